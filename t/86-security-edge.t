#!/usr/bin/perl
#
# Findings of the attack run at the edge (issue 15), each against a real
# nginx: TLS seen by the module (Secure cookies, https:// links, the page
# cache keyed by scheme); nosniff on every file route; the analytics page
# with the panel's headers; long and odd paths on every route answered
# 404 or 414, never 5xx; and the cap on event streams per client address
# (a flood from one address, another address, streams closed, a worker
# killed, the hub restarted).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;
use BlogAdmin;
use BlogSSE;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $TOKEN = 'analytics token, long enough';
my $HASH = sha256_hex($TOKEN);

my $site = admin_site(tls => 1, posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\ntags: [news]\n---\n"
                . "Hi.\n",
    'about.md' => "---\ntitle: About\ntype: page\n---\nMe.\n",
});
my $d = $site->dir;
my $db = $site->db;
$site->{server} .= <<"EOF";
        location = /_analytics {
            blog_analytics $db;
            blog_theme $BlogTest::ROOT/conf/theme;
            blog_analytics_auth sha256:$HASH;
        }
EOF
write_file($site->media . '/photo.jpg', "not really a jpeg\n");
write_file($site->media . '/inner.txt', "inside\n");
write_file($site->media . '/dir/file.txt', "in a folder\n");
symlink('loop-b', $site->media . '/loop-a') or die "symlink: $!";
symlink('loop-a', $site->media . '/loop-b') or die "symlink: $!";
$site->start;
my $tls = $site->over_tls;

# --- 1. TLS: what the module knows of it --------------------------------

my $r = $site->get('/feed.xml');
is $r->{status}, 200, 'feed over plain HTTP';
like $r->{body}, qr{href="http://localhost/posts/hello"},
    '... links http://';

$r = $tls->get('/feed.xml');
is $r->{status}, 200, 'feed over TLS';
like $r->{body}, qr{href="https://localhost/posts/hello"}, '... links https://';
unlike $r->{body}, qr{http://localhost}, '... and none http://, though the '
    . 'HTTP feed is in the page cache';

$r = $site->get('/feed.xml');
like $r->{body}, qr{href="http://localhost/posts/hello"},
    'the HTTP feed again: still http:// (the cache keys the scheme)';

$r = $tls->get('/sitemap.xml');
is $r->{status}, 200, 'sitemap over TLS';
like $r->{body}, qr{<loc>https://localhost/posts/hello</loc>},
    '... locations are https://';
unlike $r->{body}, qr{http://localhost}, '... all of them';
like $site->get('/sitemap.xml')->{body}, qr{<loc>http://localhost/},
    'sitemap over HTTP: http://';

my %jar;
$r = jar_get($tls, \%jar, '/admin/login');
is $r->{status}, 200, 'sign-in form over TLS';
like cookie_attrs($r, 'blog_csrf'), qr/; Secure\b/,
    '... its CSRF cookie is Secure';
my ($res, $jar) = login_as($tls, 'admin', 'correct horse battery');
is $res->{status}, 303, 'sign-in over TLS';
my $sc = cookie_attrs($res, 'blog_session');
like $sc, qr/; Secure\b/, '... the session cookie is Secure';
like $sc, qr/HttpOnly/, '... HttpOnly';
like $sc, qr/SameSite=Strict/, '... SameSite=Strict';
is jar_get($tls, $jar, '/admin/')->{status}, 200,
    '... and the session works over TLS';

($res) = login_as($site, 'admin', 'correct horse battery');
is $res->{status}, 303, 'sign-in over plain HTTP';
$sc = cookie_attrs($res, 'blog_session');
like $sc, qr/^blog_session=/, '... sets the session cookie';
unlike $sc, qr/Secure/, '... without Secure';
unlike cookie_attrs($site->get('/admin/login'), 'blog_csrf'), qr/Secure/,
    '... nor the CSRF cookie';

# --- 7. nosniff on every file route ---------------------------------------

for my $case (['/media/photo.jpg', 'media'],
              ['/static/style.css', 'the theme\'s static/'],
              ['/admin/static/admin.css', 'the panel\'s static/']) {
    my ($path, $what) = @$case;
    for my $via ([$site, 'HTTP'], [$tls, 'TLS']) {
        $r = $via->[0]->get($path);
        is $r->{status}, 200, "$what over $via->[1]: 200";
        is $r->{headers}{'x-content-type-options'}, 'nosniff', '... nosniff';
    }
    $r = $site->request('HEAD', $path);
    is $r->{headers}{'x-content-type-options'}, 'nosniff', "$what, HEAD: nosniff";
}

# --- 8. the analytics page has the panel's headers -----------------------

my $admin = jar_get($site, $jar, '/admin/');
my $an = $site->get('/_analytics', Authorization => "Bearer $TOKEN");
is $an->{status}, 200, 'the analytics page';
for my $h ('x-frame-options', 'x-content-type-options', 'referrer-policy',
           'cache-control') {
    ok defined $an->{headers}{$h}, "analytics: $h";
    is $an->{headers}{$h}, $admin->{headers}{$h}, "... as the panel's";
}
my $csp = $an->{headers}{'content-security-policy'} // '';
like $csp, qr/frame-ancestors 'none'/, "analytics: CSP frame-ancestors 'none'";
my $panel_csp = $admin->{headers}{'content-security-policy'} // 'none';
is substr($csp, 0, length $panel_csp), $panel_csp,
    '... the panel\'s policy, then its style nonce';
my ($nonce) = $csp =~ /style-src 'self' 'nonce-([A-Za-z0-9+\/=]+)'/;
ok $nonce && length $nonce >= 22, '... a nonce of 128 bits';
like $an->{body}, qr{<style nonce="\Q$nonce\E">},
    '... which the page\'s <style> carries';
unlike $an->{body}, qr/\sstyle="/, '... and no style attribute it would block';
my ($nonce2) = ($site->get('/_analytics', Authorization => "Bearer $TOKEN")
    ->{headers}{'content-security-policy'} // '') =~ /'nonce-([^']+)'/;
isnt $nonce2, $nonce, '... a new nonce for each response';
$r = $site->get('/_analytics');
is $r->{status}, 401, 'analytics without the token: 401';
is $r->{headers}{'x-frame-options'}, 'DENY', '... not framed either';

# --- 9. long and odd paths: 404 or 414, never 5xx ------------------------

my $long = 'a' x 300;
my @routes = ('/', '/posts/', '/tags/', '/tags/news/page/', '/page/',
              '/media/', '/media/dir/', '/static/', '/admin/static/',
              '/admin/', '/admin/posts/', '/admin/comments/', '/feed.xml/',
              '/_analytics/');
for my $base (@routes) {
    for my $case ([$long, '300 bytes'], ["$long/x", '300 bytes, then more'],
                  [join('/', ($long) x 20), '20 segments of 300'],
                  ['b' x 255, '255 bytes, the longest name'],
                  ['%E2%82%AC' x 100, '100 euro signs (300 bytes)']) {
        my ($tail, $what) = @$case;
        $r = $site->get("$base$tail");
        ok $r->{status} == 404 || $r->{status} == 414
            || ($base =~ m{^/admin/} && $r->{status} == 303),
            "GET $base + $what: $r->{status}";
    }
}
# the panel's routes once signed in
for my $base ('/admin/', '/admin/posts/', '/admin/comments/',
              '/admin/static/') {
    for my $tail ($long, "$long/x", 'b' x 255) {
        $r = jar_get($site, $jar, "$base$tail");
        ok $r->{status} == 404 || $r->{status} == 414,
            "signed in, GET $base + " . length($tail) . " bytes: $r->{status}";
    }
}
$r = $site->get('/media/' . ('c' x 9000));
ok $r->{status} >= 400 && $r->{status} < 500,
    "a URI longer than nginx's buffers: $r->{status}";

$r = $site->get('/media/inner.txt/x');
is $r->{status}, 404, 'a file taken as a folder (ENOTDIR): 404';
$r = $site->get('/media/loop-a');
is $r->{status}, 404, 'a symlink loop (ELOOP): 404';
$r = $tls->get("/media/$long");
is $r->{status}, 404, 'a long name over TLS: 404';

my $log = $site->error_log;
like $log, qr/\[info\].*realpath\(\) ".*\/a{300}" failed \(36: File name too long\)/,
    'a name too long is logged at info, with the reason';
like $log, qr/\[error\].*realpath\(\) ".*loop-a" failed \(40: Too many levels of symbolic links\)/,
    'a symlink loop is logged at error, for the owner';
unlike $log, qr/\[(crit|alert|emerg)\]/, 'nothing logged at crit or alert';
my $access = read_file("$d/logs/access.log") // '';
unlike $access, qr/" 5\d\d /, 'no 5xx in the access log';

# EACCES: a folder the workers may not enter (as root, they run as nobody)
{
    my $files = new_site(no_db => 1);
    $files->{location_override} = <<"EOF";
        location / {
            blog $d/none.db;
            blog_theme $BlogTest::ROOT/conf/theme;
            blog_media_root ${\ $files->media};
        }
EOF
    my $locked = $files->media . '/locked';
    write_file("$locked/file.txt", "secret\n");
    write_file($files->media . '/open.txt', "open\n");
    my $text = $files->conf_text;
    if ($> == 0) {
        $text =~ s/^user root root;$/user nobody nogroup;/m;
        chmod 0700, $locked;
    } else {
        chmod 0, $locked;
    }
    $files->write_conf($text);
    $files->start;
    $r = $files->get('/media/open.txt');
    is $r->{status}, 200, 'the workers read a readable file';
    $r = $files->get('/media/locked/file.txt');
    is $r->{status}, 404, 'a file in a folder they may not enter (EACCES): 404';
    like $files->error_log, qr/\[error\].*"\S*locked\/file\.txt" failed \(13: Permission denied\)/,
        '... logged at error, for the owner';
    unlike $files->error_log, qr/\[(crit|alert)\]/, '... nothing at crit';
    $files->stop;
    chmod 0755, $locked;
}

# --- 2. the cap on event streams per client address -----------------------

$site->stop;

my $streams = new_site(workers => 2, listen => 'reuseport', posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
});
my $sd = $streams->dir;
my $sse = "$sd/sse.sock";
add_user($streams, 'admin', 'correct horse battery');
$streams->{http} = 'log_format pids \'$pid $remote_addr "$request" $status\';';
# the hub's location as the README has it: no blog_live_streams, so the
# default applies
$streams->{server} = <<"EOF";
        blog_ttl_db $sd/ttl.db;
        location /events/ {
            blog_events off;
            blog_admin_session $sd/data.db;
            proxy_pass http://unix:$sse:;
            proxy_buffering off;
            proxy_buffer_size 1k;
            proxy_read_timeout 1h;
            proxy_set_header X-Blog-Admin \$blog_admin_user;
            error_page 502 503 504 = \@events_down;
            access_log $sd/logs/streams.log pids;
        }
        location \@events_down {
            default_type text/event-stream;
            return 200 "retry: 1000\\n\\n";
        }
EOF
$streams->start;
$streams->start_jobrunner("sse_socket = $sse\nsse_heartbeat_ms = 1000\n");
my $port = $streams->port;
my $N = 16;

sub open_stream {
    my (%opt) = @_;
    return subscribe($port, ['comments.hello'], %opt);
}

# whether the stream has ended (the connection closed, or the last chunk
# came), from what is there to read now
sub ended {
    my ($s) = @_;
    1 while $s->read_more(0);
    return $s->{eof} || $s->{end};
}

my @open = map { open_stream() } 1 .. $N;
is scalar(grep { $_->{status} == 200 } @open), $N,
    "$N streams from 127.0.0.1 open (the default cap, unconfigured)";
ok $_->read_until(sub { grep { defined $_->{retry} } @{ $_[0]{events} } }, 10),
    '... and stream' for $open[0], $open[-1];

my @refused = map { open_stream() } 1 .. 4;
is scalar(grep { $_->{status} == 503 } @refused), 4,
    'the next 4 from the same address: 503';
like $refused[0]{head}, qr/^Retry-After: 30\r$/mi, '... with Retry-After';
unlike $refused[0]{head}, qr{text/event-stream},
    '... not turned into the 200 of @events_down by error_page';
$refused[0]->read_until(sub { $_[0]{eof} }, 5);
like $refused[0]{body} . $refused[0]{raw}, qr/Too many event streams/,
    '... saying why';
ok $refused[-1]->read_until(sub { $_[0]{eof} }, 5),
    '... and the connection is closed';

my $other = open_stream(_from => '127.0.0.2');
is $other->{status}, 200, 'a stream from 127.0.0.2 still opens';

# streams closed free their slots
$_->close_sub for splice @open, 0, 3;
my $reopened = 0;
wait_for(sub {
    my $s = open_stream();
    if ($s->{status} == 200) {
        push @open, $s;
        $reopened++;
    }
    $reopened == 3;
}, 10);
is $reopened, 3, 'three streams closed: three open again';
is open_stream()->{status}, 503, '... and not a fourth';

# the flood of the attack run (1,600 requests), in batches of 200 held
# open at once: without the cap each would be a stream, two of a worker's
# 256 connections; with it, each is answered 503 at once.  Never a 500,
# and the other address keeps its stream.
my %status;
for my $batch (1 .. 8) {
    my @socks;
    for (1 .. 200) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Proto => 'tcp')
            or die "connect: $!";
        print $s "GET /events/?topic=comments.hello HTTP/1.1\r\n"
            . "Host: localhost\r\nAccept: text/event-stream\r\n\r\n";
        push @socks, $s;
    }
    # each answer's status, all read together for at most 10 s
    my %raw = map { (fileno($_) => '') } @socks;
    my $sel = IO::Select->new(@socks);
    my $until = time + 10;
    while ($sel->count && time < $until) {
        for my $s ($sel->can_read(1)) {
            my $n = sysread($s, $raw{fileno $s}, 4096, length $raw{fileno $s});
            $sel->remove($s) if !$n || $raw{fileno $s} =~ /\r\n\r\n/;
        }
    }
    for my $s (@socks) {
        my ($st) = $raw{fileno $s} =~ m{^HTTP/1\.1 (\d{3})};
        $status{$st // 'none'}++;
        close $s;
    }
}
is_deeply \%status, { 503 => 1600 },
    'a flood of 1,600 more from the same address: all 503';
$other->read_until(sub { 0 }, 0.5);
ok !$other->{eof}, 'the other address\'s stream is still open';
is open_stream(_from => '127.0.0.2')->{status}, 200,
    '... and it can open another';

# a worker killed with its streams: the one nginx starts in its place
# gives them back
my @before = $streams->worker_pids;
my $gone = 0;
my $victim;
for my $pid (@before) {
    $victim = $pid;
    kill 'KILL', $pid;
    wait_for(sub { grep { ended($_) } @open }, 3);
    sleep 0.2;
    $gone = grep { ended($_) } @open;
    last if $gone;
}
ok $gone > 0, "a worker killed: $gone of its streams end";
ok wait_for(sub { my @now = $streams->worker_pids; @now == 2
                  && !grep { $_ == $victim } @now }, 10),
    '... and nginx starts another';
@open = grep { !$_->{eof} } @open;
my $again = 0;
wait_for(sub {
    my $s = open_stream();
    if ($s->{status} == 200) {
        push @open, $s;
        $again++;
    }
    $again == $gone;
}, 10);
is $again, $gone, "... whose $gone slots are free again";
is open_stream()->{status}, 503, '... and no more';

# the hub restarted: its streams end, and their slots are free
is $streams->stop_jobrunner, 0, 'the jobrunner stops';
ok wait_for(sub { !grep { !ended($_) } @open }, 10), '... every stream ends';
$streams->start_jobrunner("sse_socket = $sse\nsse_heartbeat_ms = 1000\n");
@open = map { open_stream() } 1 .. $N;
is scalar(grep { $_->{status} == 200 } @open), $N,
    "after its restart, $N streams open again";
is open_stream()->{status}, 503, '... and not one more';

# a reload: the old workers keep their streams, and the count with them
# (old workers stay while their streams do: no waiting for them to go)
my @old_workers = $streams->worker_pids;
kill 'HUP', $streams->master_pid;
ok wait_for(sub { my @w = $streams->worker_pids; @w == @old_workers + 2 }, 10),
    'nginx reloads with streams open: new workers start, the old stay';
is open_stream()->{status}, 503,
    '... and the new workers count the old ones\' streams';
(shift @open)->close_sub;
my $after_reload;
wait_for(sub { $after_reload = open_stream(); $after_reload->{status} == 200 },
         10);
is $after_reload->{status}, 200, '... one closed: one opens';
push @open, $after_reload;
is open_stream()->{status}, 503, '... and not two';
$_->close_sub for @open, $other;

# each stream is in the access log once it ends: those of the last round
# came from both workers, so the count they kept to was the zone's
my %pid_of;
wait_for(sub {
    my @ok = grep { / 200$/ } split /\n/, read_file("$sd/logs/streams.log") // '';
    %pid_of = map { (split ' ')[0] => 1 } @ok[-$N .. -1] if @ok >= $N;
    keys %pid_of >= 2;
}, 10);
ok keys(%pid_of) >= 2, "the last $N streams were on more than one worker";

my $elog = $streams->error_log;
my @bad = grep { /\[(alert|crit|emerg)\]/ && !/exited on signal 9/ }
    split /\n/, $elog;
is "@bad", '', 'nothing at alert or crit but the killed worker';
like $elog, qr/\[warn\].*blog_live_streams: 16 event streams from this address already, stream refused.*client: 127\.0\.0\.1/,
    'refusals are logged at warn, with the address';
like $elog, qr/\[notice\].*blog_live_streams: \d+ streams of a previous worker given back/,
    'the new worker says what it took back';
unlike read_file("$sd/logs/streams.log") // '', qr/ 5(00|02|04)$/m,
    'no 500, 502 or 504 was answered';

# --- configuration ---------------------------------------------------------

sub conf_check {
    my ($location) = @_;
    my $text = $streams->conf_text;
    $text =~ s/(location \/events\/ \{)/$1\n            $location/;
    $streams->write_conf($text);
    return $streams->nginx('-t');
}
my ($rc, $out) = conf_check('blog_live_streams 0;');
isnt $rc, 0, 'blog_live_streams 0: refused';
like $out, qr/invalid value "0".*in \Q$sd\E\/conf\/nginx\.conf:\d+/,
    '... naming the file and line';
($rc, $out) = conf_check('blog_live_streams 4; blog_live_streams 5;');
like $out, qr/"blog_live_streams" directive is duplicate/, 'a duplicate: refused';
($rc, $out) = conf_check('blog_live_streams off;');
is $rc, 0, 'blog_live_streams off: accepted';

done_testing;
