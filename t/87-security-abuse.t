#!/usr/bin/perl
#
# Abuse of the site by clients, as an outside attack run found it (issue
# 15), against a real nginx, jobrunner and SMTP server:
#
#   - views and the realtime counters: the panel, analytics, metrics,
#     cronhooks and the hub are never views, and publish nothing on
#     "metrics."; a flood of one address with random agents is at most the
#     cap of visitors and a view each, while readers still count;
#   - a trusted commenter is who holds her cookie, not whoever types her
#     e-mail address: impersonation, in any case, is held for moderation,
#     a forged cookie too, and she is published at once;
#   - a stranger cannot lock the owner out: wrong passwords lock their
#     address for the name, not the owner's; many addresses slow the name
#     down, backing off; the e-mailed code still signs the owner in, and
#     others cannot spoil it;
#   - an IPv6 client is limited by its /64, not by each address it holds.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex hmac_sha256);
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64 decode_base64);
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;
use BlogAdmin;
use BlogMail;
use BlogSSE;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';
my $TOKEN = 'the analytics token of this site';
my $CRON = 'whsec_' . encode_base64('the secret of the cronhooks here', '');

# what jobrunner/events/jr_views.h promises
my $VISITORS_PER_ADDRESS = 50;

my $site = admin_site(
    email => 'owner@example.org',
    extra => "blog_comment_limit 100 10m;\nblog_login_code on;\n",
    location => "blog_live_url /events/;\n",
    posts => {
        'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
        'other.md' => "---\ntitle: Other\ndate: 2026-10-02\n---\nYo.\n",
    },
);
my $d = $site->dir;
my $db = $site->db;
my $ttl = $site->{ttl};
my $sse = "$d/sse.sock";
my $metrics_port = free_port();

# every location sends events, the panel's and the hub's too: which of
# them are views is the module's and the jobrunner's to know
mkdir "$d/spool" or die "mkdir: $!";
$site->{http} = "blog_events unix:$d/events.sock;\n"
              . "    blog_events_spool $d/spool;\n"
              . "    keepalive_requests 100000;\n";
$site->{server} .= <<"EOF";
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Forwarded-For;
        location = /_analytics {
            blog_analytics $db;
            blog_theme $BlogTest::ROOT/conf/theme;
            blog_analytics_auth sha256:@{[ sha256_hex($TOKEN) ]};
        }
        location = /_metrics { blog_metrics; }
        location = /_cron/ping { blog_cronhook ping $CRON; }
        location /events/ {
            blog_admin_session $db;
            proxy_pass http://unix:$sse:;
            proxy_buffering off;
            proxy_read_timeout 1h;
            proxy_set_header X-Blog-Admin \$blog_admin_user;
        }
EOF
$site->start;

smtp_setup($d);
start_smtp();
my $jr_conf = "events_socket = $d/events.sock\nspool_dir = $d/spool\n"
            . "batch_interval_ms = 20\nspool_scan_ms = 100\n"
            . "metrics_listen = 127.0.0.1:$metrics_port\n"
            . "sse_socket = $sse\nsse_heartbeat_ms = 300\n"
            . "[mail]\nsmtp_url = smtp://127.0.0.1:" . smtp_port() . "\n"
            . "from = blog\@example.org\nstarttls = off\n";
$site->start_jobrunner($jr_conf);

sub daily {
    my ($col) = @_;
    return sql($db, "SELECT coalesce(sum($col), 0) FROM analytics_daily") + 0;
}

sub total_views {
    my ($path) = @_;
    return sql($db, 'SELECT coalesce(sum(views), 0) FROM analytics_path_totals'
                    . " WHERE path = '$path'") + 0;
}


# --- only the blog's pages are views ------------------------------------

my $watch = subscribe($site->port, ['metrics.*'], 'User-Agent' => $FIREFOX);
is $watch->{status}, 200, 'an anonymous reader follows metrics.*';

my ($res, $jar) = login_as($site, 'admin', 'correct horse battery');
is $res->{status}, 303, 'the owner signs in';
my $post = sql($db, "SELECT id FROM posts WHERE slug = 'hello'");

my $sent = 1;                                   # the sign-in's POST
for my $path ('/admin/', '/admin/comments', "/admin/posts/$post/revisions",
              '/admin/analytics', '/admin/jobs') {
    my $r = jar_get($site, $jar, $path, 'User-Agent' => $FIREFOX);
    is $r->{status}, 200, "the owner opens $path";
    $sent++;
}
for my $path ('/admin/login', '/_metrics') {
    is $site->get($path, 'User-Agent' => $FIREFOX)->{status}, 200,
        "anyone gets $path";
    $sent++;
}
is $site->get('/_analytics', 'User-Agent' => $FIREFOX,
              Authorization => "Bearer $TOKEN")->{status}, 200,
    'the analytics page, with its token';
$sent++;

my $id = 'msg_' . int(rand(1e9));
my $ts = int time;
my $body = '{"type":"ping"}';
my $sig = 'v1,' . encode_base64(hmac_sha256("$id.$ts.$body",
    decode_base64(substr $CRON, length 'whsec_')), '');
is $site->request('POST', '/_cron/ping', 'User-Agent' => $FIREFOX,
                  'Content-Type' => 'application/json', 'webhook-id' => $id,
                  'webhook-timestamp' => $ts, 'webhook-signature' => $sig,
                  _body => $body)->{status}, 204, 'a signed cronhook';
$sent++;

# a subscription of its own, ended: the hub answered 200 for as long
my $short = subscribe($site->port, ['metrics.views./posts/other'],
                      'User-Agent' => $FIREFOX);
is $short->{status}, 200, 'another subscription to the hub';
$short->close_sub;
$sent++;

ok wait_for(sub { daily('requests') >= $sent }, 15),
    "the $sent requests' events arrive" or diag daily('requests');
sleep 0.5;
is daily('views'), 0, 'none of them is a view';
is sql($db, "SELECT count(*) FROM analytics_counts WHERE dim = 'path'"), 0,
    '... no path counted';
$watch->read_until(sub { 0 }, 1);                   # what came meanwhile
my @published = map { $_->{data} } grep { ($_->{event} // '') eq 'views' }
                @{ $watch->{events} };
is "@published", '', '... and nothing published on metrics.*';

# the control: a page of the blog is a view, and published
is $site->get('/posts/hello', 'User-Agent' => $FIREFOX)->{status}, 200,
    'a reader reads a post';
my $ev = $watch->next_event('views', 15);
is $ev && $ev->{json}{path}, '/posts/hello', '... its view is published';
is $ev && $ev->{json}{views}, 1, '... once';
is daily('views'), 1, 'one view in all';
is sql($db, "SELECT group_concat(key) FROM analytics_counts"
            . " WHERE dim = 'path'"), '/posts/hello', '... of the post';
$watch->read_until(sub { 0 }, 1);
@published = map { $_->{data} } grep { ($_->{event} // '') eq 'views' }
             @{ $watch->{events} };
is "@published", '', 'nothing else was published';


# --- a flood of one address ---------------------------------------------

# $n GETs of $path pipelined on one connection from $from, each with a
# random browser agent, as fast as nginx answers; returns the 200s.
sub flood {
    my ($n, $path, $from) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $site->port, Proto => 'tcp',
                                  LocalAddr => $from)
        or die "connect: $!";
    my $writer = fork // die "fork: $!";
    if ($writer == 0) {
        for my $i (1 .. $n) {
            my $agent = sprintf 'Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) '
                . 'Gecko/20100101 Firefox/%d.%d', 60 + int(rand(60)),
                60 + int(rand(60)), int(rand(1e6));
            print $s "GET $path HTTP/1.1\r\nHost: localhost\r\n"
                . "User-Agent: $agent\r\n"
                . ($i == $n ? "Connection: close\r\n" : '') . "\r\n";
        }
        POSIX::_exit(0);
    }
    my ($raw, $ok) = ('', 0);
    while (sysread $s, my $buf, 1 << 16) {
        $raw .= $buf;
        # count the status lines that are in, keep what may be one cut
        while ($raw =~ m{HTTP/1\.1 200 OK\r\n}g) {
            $ok++;
            $raw = substr $raw, pos $raw;
        }
        $raw = substr $raw, -16 if length $raw > 16;
    }
    waitpid $writer, 0;
    return $ok;
}

my $views = daily('views');
my $visitors = daily('visitors');
my $requests = daily('requests');
my $t0 = time;
my $ok = flood(10_000, '/posts/hello', '127.0.0.1');
is $ok, 10_000, sprintf '10,000 GETs of one post from one address with '
    . 'random browser agents: all 200 (%.1f s)', time - $t0;
ok wait_for(sub { daily('requests') >= $requests + 10_000 }, 30),
    '... every one counted as a request' or diag daily('requests');
sleep 0.5;
cmp_ok daily('views') - $views, '<=', $VISITORS_PER_ADDRESS + 1,
    sprintf 'views: %d more, at most the cap of visitors and the address',
    daily('views') - $views;
cmp_ok daily('visitors') - $visitors, '<=', $VISITORS_PER_ADDRESS + 1,
    sprintf 'visitors: %d more, at most as many',
    daily('visitors') - $visitors;
my ($shown) = $site->get('/posts/hello')->{body}
    =~ m{<span id="views"[^>]*>(\d+)</span> views};
cmp_ok $shown // 1e9, '<=', $VISITORS_PER_ADDRESS + 2,
    "the post page shows $shown views, not 10,000";

# readers from other addresses still count, one view each
$views = daily('views');
$visitors = daily('visitors');
for my $i (2 .. 21) {
    is $site->get('/posts/hello', 'User-Agent' => $FIREFOX,
                  _from => "127.0.0.$i")->{status}, 200,
        "a reader at 127.0.0.$i" for 1 .. 2;
}
ok wait_for(sub { daily('views') >= $views + 20 }, 15),
    '20 readers at 20 addresses: 20 views' or diag daily('views') - $views;
sleep 0.3;
is daily('views'), $views + 20, '... exactly: a reload is no new view';
is daily('visitors'), $visitors + 20, '... and 20 visitors';

$watch->close_sub;


# --- trust is a cookie, not an e-mail address ----------------------------

sub comment {
    my ($name, $email, $text, $cookie) = @_;
    my $r = $site->request('POST', '/posts/hello/comments',
        'Content-Type' => 'application/x-www-form-urlencoded',
        _body => join('&', 'name=' . urlencode($name),
                      'email=' . urlencode($email),
                      'body=' . urlencode($text)),
        defined $cookie ? (Cookie => "blog_commenter=$cookie") : ());
    my ($token) = cookie_attrs($r, 'blog_commenter') =~ /=([0-9a-f]{64});/;
    return ($r, $token);
}

sub status_of {
    my ($text) = @_;
    return sql($db, 'SELECT status FROM comments WHERE body_md = '
                    . "'$text' ORDER BY id DESC LIMIT 1");
}

my ($r, $alice) = comment('Alice', 'alice@example.net', 'Hello, first time');
like $r->{headers}{location}, qr/#comment-pending$/,
    "Alice's first comment waits for moderation";
ok $alice, '... her browser gets a commenter token';
unlike sql($db, 'SELECT group_concat(commenter) FROM comments'), qr/$alice/,
    '... which data.db does not hold, only its hash';
my $cid = sql($db, "SELECT id FROM comments WHERE author_name = 'Alice'");
my $queue = jar_get($site, $jar, '/admin/comments');
$r = jar_post($site, $jar, "/admin/comments/$cid",
              [csrf => csrf_of($queue->{body}), action => 'trust']);
is $r->{status}, 303, 'the owner approves her and trusts her';

($r) = comment('Alice', 'alice@example.net',
               'See [my site](https://alice.example.net/)', $alice);
like $r->{headers}{location}, qr/#comment-\d+$/,
    'Alice, with her cookie: published at once, link and all';

my @held = (
    ['ALICE@example.net, no cookie', 'Alice', 'ALICE@example.net', undef],
    ['alice@example.net, no cookie', 'Alice', 'alice@example.net', undef],
    ['a made-up token', 'Alice', 'alice@example.net', '0' x 64],
    ["Alice's token altered", 'Alice', 'alice@example.net',
     substr($alice, 0, 63) . (substr($alice, 63) eq 'a' ? 'b' : 'a')],
    ['a token of the wrong shape', 'Alice', 'alice@example.net', $alice . 'f'],
    ['a cookie of markup', 'Alice', 'alice@example.net', '<script>x</script>'],
);
my $n = 0;
for my $case (@held) {
    my ($what, $name, $email, $cookie) = @$case;
    my $text = 'Buy now at [cheap](https://spam.example/) ' . ++$n;
    my ($hr, $new) = comment($name, $email, $text, $cookie);
    is $hr->{status}, 303, "impersonation with $what: 303, no error";
    like $hr->{headers}{location}, qr/#comment-pending$/, '... held';
    is status_of($text), 'pending', '... pending in data.db';
    isnt $new // '', $alice, '... and the cookie it gets is not hers';
}
my $page = $site->get('/posts/hello')->{body};
like $page, qr{href="https://alice\.example\.net/"}, "the post shows Alice's link";
unlike $page, qr{spam\.example}, '... and none of the impostors\'';
like $site->error_log, qr/a commenter cookie this site did not make, replaced/,
    'a made-up cookie is logged';
unlike $site->error_log, qr/\Q$alice\E/, "Alice's token is never logged";


# --- no stranger can lock the owner out -----------------------------------

my $PW = 'correct horse battery';

# A password sign-in as $name from $from; returns the response.
sub sign_in {
    my ($name, $password, $from) = @_;
    my $jar = {};
    my $page = jar_get($site, $jar, '/admin/login', _from => $from);
    return jar_post($site, $jar, '/admin/login',
                    [csrf => csrf_of($page->{body}) // '', name => $name,
                     password => $password], _from => $from);
}

# Asks for a code as $login from $from (in the browser of $jar); returns
# the page with the form to enter it.
sub ask_code {
    my ($login, $from, $jar) = @_;
    my $page = jar_get($site, $jar, '/admin/login/code', _from => $from);
    return jar_post($site, $jar, '/admin/login/code',
                    [csrf => csrf_of($page->{body}) // '', login => $login],
                    _from => $from);
}

# Enters $code on the form of $page (a code form in the browser of $jar).
sub enter_code {
    my ($jar, $page, $code, $from) = @_;
    return jar_post($site, $jar, '/admin/login/code/verify',
                    [csrf => csrf_of($page->{body}) // '', login => 'admin',
                     code => $code], _from => $from);
}

sub retry_of {
    my ($r) = @_;
    my ($n, $unit) = $r->{body} =~ /Try again in (\d+) (second|minute)/;
    return defined $n ? $n * ($unit eq 'minute' ? 60 : 1) : -1;
}

sql($ttl, 'DELETE FROM rate_limits');

# one address: it locks itself out for the name, not the owner
my @st = map { sign_in('admin', "guess $_", '127.0.0.2')->{status} } 1 .. 5;
is "@st", '403 403 403 403 403', 'five wrong passwords from 127.0.0.2';
$r = sign_in('admin', $PW, '127.0.0.2');
is $r->{status}, 429, '... lock 127.0.0.2 out for the name, right password or not';
like $r->{body}, qr/Too many failed sign-ins from here\. Try again in 15 minutes, or sign in with a code sent by e-mail\./,
    '... saying for how long, and what else there is';
is sign_in('admin', $PW, '127.0.0.3')->{status}, 303,
    'the owner at 127.0.0.3 signs in all the same';
is sign_in('admin', $PW, '127.0.0.2')->{status}, 429,
    '... while 127.0.0.2 stays locked out';
is sign_in('editor', 'guess', '127.0.0.2')->{status}, 403,
    '... for that name only';
like $site->error_log, qr/sign-in as "admin" refused: locked out after too many failures from this address/,
    'the lock-out is logged';

# many addresses: the name slows down, backing off
sql($ttl, 'DELETE FROM rate_limits');
for my $from ('127.0.0.4', '127.0.0.5') {
    @st = map { sign_in('admin', "guess $_", $from)->{status} } 1 .. 5;
    is "@st", '403 403 403 403 403', "five wrong passwords from $from";
}
sleep 1.1;
is sign_in('admin', 'guess', '127.0.0.6')->{status}, 403,
    'ten failures of the name from two addresses: the next is still checked';
my @waits;
for my $i (7 .. 8) {
    $r = sign_in('admin', 'guess', "127.0.0.$i");
    is $r->{status}, 429, "then an attempt at once from 127.0.0.$i: 429";
    push @waits, retry_of($r);
    # seconds, not the lock-out of a whole window
    unless ($waits[-1] > 0 && $waits[-1] <= 8) {
        fail("the name waits $waits[-1] s, not a few seconds");
        last;
    }
    sleep $waits[-1] + 0.1;
    is sign_in('admin', 'guess', "127.0.0.$i")->{status}, 403,
        "... after the wait it is checked (and fails)";
}
$r = sign_in('admin', $PW, '127.0.0.9');
is $r->{status}, 429, 'then even the right password, from a new address: 429';
push @waits, retry_of($r);
like $r->{body}, qr/Too many failed sign-ins for this name lately\. Try again in \d+ seconds?, or sign in with a code sent by e-mail\./,
    '... saying why, for how long, and what else there is';
ok $waits[0] >= 1 && $waits[1] >= 3 && $waits[2] >= 7,
    "each failure doubles the wait: @waits s after failures 11, 12, 13";
sql($ttl, "UPDATE rate_limits SET hits = 60 WHERE key = 'login-name:admin'");
is retry_of(sign_in('admin', $PW, '127.0.0.9')), 15 * 60,
    '... up to the 15 minutes of blog_login_limit';
like $site->error_log, qr/sign-in as "admin" refused: too many failures for the name lately, \d+ s to wait/,
    'the slowing down is logged';

# the owner's way in: a code by e-mail, which strangers cannot spoil
my $mails = () = mails();
my $stranger = {};
my @mails;
for my $n (1 .. 3) {
    is ask_code('admin', '127.0.0.12', $stranger)->{status}, 200,
        'a stranger asks for a code for the name';
    # one after the other: each code replaces the one before
    @mails = wait_mails($mails + $n);
}
is scalar @mails, $mails + 3, '... which go to the owner: 3 mails, the limit';
my $newest = code_of($mails[-1]);

my $owner = {};
my $form = ask_code('admin', '127.0.0.11', $owner);
is $form->{status}, 200, 'the owner, at a new address, asks for a code too';
like $form->{body}, qr/no new one is sent now\. The newest of them works here/,
    '... none is mailed (the name has had its 3), the newest one will do';
ok $owner->{blog_code}, '... and her browser is one that asked';

my $spage = ask_code('admin', '127.0.0.13', $stranger);
for (1 .. 5) {
    $spage = enter_code($stranger, $spage, 'ZZZZZ-ZZZZ' . $_, '127.0.0.13');
}
is $spage->{status}, 403, 'the stranger guesses 5 codes in his browser';
like $spage->{body}, qr/ask for a new one/, '... which is then void';
my $nobody = {};
my $npage = jar_get($site, $nobody, '/admin/login/code', _from => '127.0.0.14');
$r = enter_code($nobody, $npage, $newest, '127.0.0.14');
is $r->{status}, 403, 'the right code from a browser that did not ask: refused';
is sign_in('admin', $PW, '127.0.0.15')->{status}, 429,
    'password sign-ins of the name still wait';

$r = enter_code($owner, $form, $newest, '127.0.0.11');
is $r->{status}, 303, 'the owner enters the newest code: signed in';
ok $owner->{blog_session}, '... with a session';
is jar_get($site, $owner, '/admin/', _from => '127.0.0.11')->{status}, 200,
    '... which opens the panel';
is sql($ttl, "SELECT count(*) FROM rate_limits WHERE key = 'login-name:admin'"),
   0, '... and ends the slowing down of her name';
is sql($ttl, "SELECT count(*) FROM rate_limits"
             . " WHERE key = 'login-pair:127.0.0.4 admin'"), 1,
    "(the strangers' own addresses stay locked)";
is sign_in('admin', $PW, '127.0.0.15')->{status}, 303,
    'so her password works again';

# --- an IPv6 client is its /64 --------------------------------------------

# one client usually holds a whole /64: a new address per guess must not
# buy new guesses (the realip module gives the addresses here)
sub sign_in_v6 {
    my ($password, $addr) = @_;
    my $jar = {};
    my $page = jar_get($site, $jar, '/admin/login', 'X-Forwarded-For' => $addr);
    return jar_post($site, $jar, '/admin/login',
                    [csrf => csrf_of($page->{body}) // '', name => 'admin',
                     password => $password], 'X-Forwarded-For' => $addr);
}

sql($ttl, 'DELETE FROM rate_limits');
@st = map { sign_in_v6("guess $_", "2001:db8:1:2::$_")->{status} } 1 .. 5;
is "@st", '403 403 403 403 403', 'five wrong passwords from five addresses of 2001:db8:1:2::/64';
is sign_in_v6($PW, '2001:db8:1:2:ffff::6')->{status}, 429,
    '... lock the whole /64 out for the name';
is sql($ttl, "SELECT count(*) FROM rate_limits"
             . " WHERE key = 'login-pair:2001:db8:1:2::/64 admin'"), 1,
    '... under one key';
is sign_in_v6($PW, '2001:db8:1:3::1')->{status}, 303, 'the next /64 signs in';
is sign_in_v6($PW, '::ffff:192.0.2.9')->{status}, 303,
    'an IPv4-mapped address counts as its IPv4 address';
sql($ttl, 'DELETE FROM rate_limits');

unlike $site->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts in the error log';

done_testing;
