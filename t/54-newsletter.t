#!/usr/bin/perl
# The newsletter against a real nginx, a real jobrunner and a real SMTP
# server (aiosmtpd, t/lib/smtpd.py --rules): subscribing by the form,
# double opt-in by a signed link (expired, reused, forged), no
# enumeration, rate limits; a post published to 501 subscribers, one of
# whom bounces (550) and one deferred twice (451), with the jobrunner
# killed by SIGKILL three times mid-send (each time while the server holds
# a message's RCPT: sent, not yet accepted), still delivers exactly one
# message to each of the 500 others; the headers (RFC 8058 pair,
# Message-ID, Date), hostile names and titles, one-click unsubscribe by
# POST with no cookie.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(decode_base64 encode_base64);
use BlogTest;
use BlogAdmin;
use BlogMail;

my $site = admin_site(
    location => "blog_newsletter on;\n",
    extra => "blog_newsletter_limit 4 1h;\nblog_newsletter_address_limit 2 1h;\n",
    posts => {
        'old.md' => "---\ntitle: Old news\ndate: 2020-01-01\n---\nOld.\n",
    },
);
my $dir = $site->dir;
my $db = $site->db;
my $port = $site->port;
my $base = "http://127.0.0.1:$port";
blogctl('-d', $db, 'set', 'base_url', $base);
blogctl('-d', $db, 'set', 'title', 'Notes <&> "quoted"');
$site->start;

smtp_setup($dir);
my $state = "$dir/smtp-state";
mkdir $state or die "$state: $!";
start_smtp('--rules', $state);
my $smtp_port = smtp_port();

my $jr_conf = "theme = $BlogTest::ROOT/conf/theme\n"
    . "queue_lease = 3s\nqueue_backoff = 1s\nqueue_max_attempts = 10\n"
    . "[mail]\nsmtp_url = smtp://127.0.0.1:$smtp_port\n"
    . "from = Blog <blog\@example.org>\nstarttls = off\n"
    . "rate = 100\nper_connection = 100\nretry = 1s\nattempts = 5\n"
    . "confirm_ttl = 1h\n";
$site->start_jobrunner($jr_conf);

sub form_post {
    my ($path, $from, %f) = @_;
    my $body = join '&', map { urlencode($_) . '=' . urlencode($f{$_}) } sort keys %f;
    return $site->request('POST', $path,
                          'Content-Type' => 'application/x-www-form-urlencoded',
                          _body => $body, $from ? (_from => $from) : ());
}

sub subscribe {
    my ($from, %f) = @_;
    return form_post('/subscribe', $from, %f);
}

sub jobs_of {
    my ($kind) = @_;
    return sql($db, "SELECT count(*) FROM jobs WHERE kind = '$kind'");
}

sub settle {
    my ($kind) = @_;
    wait_for(sub { sql($db, "SELECT count(*) FROM jobs WHERE kind = '$kind' AND state IN ('queued', 'leased')") == 0 }, 60)
        or diag "$kind jobs still pending";
}

# The mails whose envelope recipient is $to (Maildir, oldest first).
sub mails_to {
    my ($to) = @_;
    return grep { /^X-RcptTo: \Q$to\E\r?$/mi } mails();
}

sub link_of {
    my ($mail) = @_;
    my ($link) = ($mail // '') =~ m{^(\Q$base\E/subscribe/confirm\?t=[A-Za-z0-9_.-]+)\r?$}m;
    return $link;
}

sub path_of {
    my ($url) = @_;
    (my $p = $url // '') =~ s{^\Q$base\E}{};
    return $p;
}

sub token_of {
    my ($url) = @_;
    my ($t) = ($url // '') =~ /[?&]t=([A-Za-z0-9_.-]+)/;
    return $t // '';
}

# --- the form ----------------------------------------------------------------

my $r = $site->get('/');
like $r->{body}, qr{<form class="subscribe" method="post" action="/subscribe">}, 'every page has the subscription form';
like $r->{body}, qr{name="email" type="email"}, '... asking for an address';
like $r->{body}, qr{name="website" tabindex="-1"}, '... with the hidden field bots fill in';

$r = $site->get('/subscribe');
is $r->{status}, 200, 'the subscription page';
like $r->{body}, qr{<h1>Subscribe to Notes &lt;&amp;&gt; &quot;quoted&quot;</h1>}, '... names the blog, escaped';

$r = subscribe('127.0.0.9', email => 'not an address');
is $r->{status}, 422, 'an address that is not one is refused';
like $r->{body}, qr{Please give an e-mail address}, '... saying why';
like $r->{body}, qr{value="not an address"}, '... with what was typed';
$r = subscribe('127.0.0.9', email => 'eve@example.org', name => "Eve\r\nBcc: all\@example.org");
is $r->{status}, 422, 'a name with a line break is refused';
is jobs_of('subscribe'), 0, 'neither queued a mail';

# --- subscribe, confirm ----------------------------------------------------

$r = subscribe('127.0.0.2', email => ' Ada@Example.org ', name => 'Ada <b>Lovelace</b>');
is $r->{status}, 200, 'subscribing';
like $r->{body}, qr{<h1>Check your inbox</h1>}, '... says to check the inbox';
my $answer_new = $r->{body};
is sql($db, "SELECT count(*) FROM subscribers"), 0, '... and stores nothing yet';

my @m = wait_mails(1);
my ($confirm) = mails_to('Ada@Example.org');
ok $confirm, 'the confirmation mail arrives';
like $confirm // '', qr/^Subject: Confirm your subscription to Notes <&> "quoted"\r?$/m, '... with its subject';
like $confirm // '', qr/^Hello Ada <b>Lovelace<\/b>,\r?$/m, '... greeting by the name, as text';
my $link = link_of($confirm);
ok $link, '... and a link to confirm';

$r = $site->get(path_of($link));
is $r->{status}, 200, 'the link shows a page';
like $r->{body}, qr{<p class="address">Ada\@Example\.org</p>}, '... naming the address';
like $r->{body}, qr{<form method="post" action="/subscribe/confirm"}, '... with a button to confirm';
is sql($db, "SELECT count(*) FROM subscribers"), 0, '... and a GET changes nothing (mail scanners follow links)';

$r = form_post('/subscribe/confirm', undef, t => token_of($link));
is $r->{status}, 200, 'confirming';
like $r->{body}, qr{<h1>You are subscribed</h1>}, '... says so';
is sql($db, "SELECT email, name, status, source, confirmed_at > 0 FROM subscribers"),
    'Ada@Example.org|Ada <b>Lovelace</b>|active|form|1', '... and stores the address, active';

$r = form_post('/subscribe/confirm', undef, t => token_of($link));
is $r->{status}, 410, 'the same link again is refused';
like $r->{body}, qr{already used}, '... as used';

# the key is the site's: a link made with it but expired, and one altered
my $key = sql($db, "SELECT value FROM settings WHERE key = 'newsletter_key'");
sub b64url { my $s = encode_base64($_[0], ''); $s =~ tr{+/}{-_}; $s =~ s/=+\z//; $s }
sub forge {
    my ($payload) = @_;
    my $p = b64url($payload);
    return $p . '.' . b64url(substr(hmac_sha256("confirm:$p", $key), 0, 16));
}
my $t = time;
$r = $site->get('/subscribe/confirm?t=' . forge(sprintf "%d %d bob\@example.org\nBob", $t - 7200, $t - 3600));
is $r->{status}, 410, 'an expired link is refused';
like $r->{body}, qr{has expired}, '... as expired';
$r = form_post('/subscribe/confirm', undef, t => forge(sprintf "%d %d bob\@example.org\nBob", $t - 7200, $t - 3600));
is $r->{status}, 410, '... also by POST';
(my $bad = token_of($link)) =~ s/^(.)/$1 eq 'A' ? 'B' : 'A'/e;
$r = $site->get("/subscribe/confirm?t=$bad");
is $r->{status}, 400, 'an altered link is refused';
$r = $site->get('/subscribe/confirm?t=' . forge(sprintf "%d %d bob\@example.org\nBob", $t, $t + 3600));
is $r->{status}, 200, 'a link signed with the site\'s key is taken (the test\'s signer is right)';
is sql($db, "SELECT count(*) FROM subscribers WHERE email = 'bob\@example.org'"), 0, '... and its GET stored nothing';

# --- no enumeration, limits ----------------------------------------------------

$r = subscribe('127.0.0.3', email => 'ada@example.org', name => 'Ada <b>Lovelace</b>');
is $r->{status}, 200, 'subscribing a known address';
is $r->{body}, $answer_new, '... answers byte for byte as for a new one';

my $before = jobs_of('subscribe');
subscribe('127.0.0.4', email => 'carol@example.org') for 1 .. 2;
is jobs_of('subscribe'), $before + 2, 'two confirmations for one address';
$r = subscribe('127.0.0.4', email => 'Carol@example.org');
is $r->{status}, 200, 'a third within the address\'s limit answers the same';
is $r->{body}, $answer_new, '... byte for byte';
is jobs_of('subscribe'), $before + 2, '... and sends nothing more';

for my $i (1 .. 4) {
    $r = subscribe('127.0.0.5', email => "dave$i\@example.org");
}
is $r->{status}, 200, 'a client within its limit';
$r = subscribe('127.0.0.5', email => 'dave5@example.org');
is $r->{status}, 429, 'past the client\'s limit (4 an hour) is 429';
like $r->{body}, qr{Too many subscriptions}, '... saying why';
like $site->error_log, qr/subscription refused: too many from this address/, '... logged';
settle('subscribe');

# --- the send ----------------------------------------------------------------

# 501 active subscribers: Ada, 495 others, one deferred twice (451), one
# that bounces (550), three whose RCPT the server holds once while the
# jobrunner is killed
my @special = ('defer-1@example.org', 'bounce-1@example.org',
               'hold-1@example.org', 'hold-2@example.org', 'hold-3@example.org');
my %at = (100 => $special[2], 250 => $special[3], 400 => $special[4],
          50 => $special[0], 300 => $special[1]);
my @rows;
for my $i (1 .. 500) {
    my $email = $at{$i} // sprintf 'reader%03d@example.org', $i;
    push @rows, "('$email', 'Reader $i', 'active', 'import', 1, 1, 1)";
}
sql($db, "INSERT INTO subscribers (email, name, status, source, created_at, confirmed_at, updated_at) VALUES "
    . join(',', @rows));
is sql($db, "SELECT count(*) FROM subscribers WHERE status = 'active'"), 501, '501 active subscribers';
is sql($db, "SELECT count(*) FROM newsletters"), 0, 'importing an old post queued no newsletter';

my $now = time;
my @t = gmtime $now;
my $date = sprintf '%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0];
write_file("$dir/media/pic.png", 'not really a picture');
# a draft, then published with a title no form would let through: a
# line break to try a header, a script to try the HTML
$site->import_posts({ 'new.md' => "---\ntitle: New\ndate: $date\ndraft: true\n---\n"
    . "A [link](/posts/old) and ![a picture](/media/pic.png) & more.\n" });
is sql($db, "SELECT count(*) FROM newsletters"), 0, 'a draft has no newsletter';
$site->import_posts({ 'quiet.md' => "---\ntitle: Quiet\ndate: $date\nnewsletter: false\n---\nNot mailed.\n" });
is sql($db, "SELECT status, newsletter FROM posts WHERE slug = 'quiet'"), 'published|0', 'a post with "newsletter: false" is published';
is sql($db, "SELECT count(*) FROM newsletters"), 0, '... without a newsletter';
sql($db, "UPDATE posts SET title = 'Hi' || char(13, 10) || 'Bcc: evil\@example.org <script>x</script>',"
    . " status = 'published', published_at = $now WHERE slug = 'new'");
my $nl = sql($db, "SELECT id FROM newsletters");
ok $nl, 'publishing it made its newsletter';
# counted once the jobrunner has moved it: two queries, one on each side,
# counted it twice when the move fell between them
ok wait_for(sub { sql($db, "SELECT count(*) FROM job_outbox WHERE kind = 'newsletter'") == 0 }, 20),
   '... its job moved out of the outbox';
is sql($db, "SELECT count(*) FROM jobs WHERE kind = 'newsletter'"), 1, '... one job, through the outbox';

for my $hold (@special[2 .. 4]) {
    ok wait_for(sub { -e "$state/held-$hold" }, 120), "the server holds the message to $hold";
    my $status = $site->stop_jobrunner('KILL');
    is $status & 127, 9, '... and the jobrunner is killed with SIGKILL';
    is sql($db, "SELECT d.status FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = '$hold'"),
        'sending', '... its delivery marked as being sent';
    $site->start_jobrunner($jr_conf);
}

ok wait_for(sub { sql($db, "SELECT status FROM newsletters WHERE id = $nl") eq 'sent' }, 180),
    'the newsletter is sent in the end'
    or diag sql($db, "SELECT status, count(*) FROM deliveries GROUP BY status");

my @letters = grep { /^Message-ID: <nl-$nl-\d+\@example\.org>\r?$/m } mails();
my %count;
$count{lc $_}++ for map { /^X-RcptTo: (\S+?)\r?$/m ? $1 : () } @letters;
is scalar @letters, 500, 'exactly 500 messages arrived';
is scalar keys %count, 500, '... to 500 distinct recipients';
is scalar(grep { $_ > 1 } values %count), 0, '... none twice';
ok !$count{'bounce-1@example.org'}, '... none to the address that bounced';
ok $count{$_}, "... one to $_" for @special[0, 2, 3, 4];
is sql($db, "SELECT status, recipients, sent, failed, bounced FROM newsletters WHERE id = $nl"),
    'sent|501|500|0|1', 'the newsletter\'s counts';
is sql($db, "SELECT status FROM subscribers WHERE email = 'bounce-1\@example.org'"), 'bounced',
    'the 550 marked the subscriber bounced';
like sql($db, "SELECT last_error FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = 'bounce-1\@example.org'"),
    qr/550/, '... with the reply in last_error';
is sql($db, "SELECT d.status || ':' || d.attempts FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = 'defer-1\@example.org'"),
    'sent:3', 'the address deferred twice got it on the third attempt';
is sql($db, "SELECT d.status || ':' || d.attempts FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = 'hold-2\@example.org'"),
    'sent:2', 'a held message was sent again after the kill';
# 500 messages at rate = 100 a second take 5 s at least (sent_at in seconds)
cmp_ok sql($db, "SELECT max(sent_at) - min(sent_at) FROM deliveries WHERE newsletter_id = $nl"), '>=', 4,
    'the send kept under the rate';
my $connections = () = (read_file("$state/connections") // '') =~ /1/g;
cmp_ok $connections, '<', 40, "the SMTP connection was reused ($connections connections for 500 messages)";

# --- one message -------------------------------------------------------------

my ($msg) = grep { /^X-RcptTo: Ada\@Example\.org\r?$/mi } @letters;
ok $msg, 'Ada got the newsletter';
$msg //= '';
my ($head, $rest) = split /\r?\n\r?\n/, $msg, 2;
like $head, qr/^Subject: Hi  Bcc: evil\@example\.org <script>x<\/script>\r?$/m, 'the subject keeps the title on one line';
unlike $head, qr/^Bcc:/mi, '... and adds no header';
like $head, qr/^From: Blog <blog\@example\.org>\r?$/m, 'From: as configured';
like $head, qr/^To: Ada\@Example\.org\r?$/m, 'To: the subscriber';
like $head, qr/^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r?$/m, 'Date:';
my $ada = sql($db, "SELECT id FROM subscribers WHERE email = 'Ada\@Example.org'");
like $head, qr/^Message-ID: <nl-$nl-$ada\@example\.org>\r?$/m, 'Message-ID: of the newsletter and the subscriber';
my ($unsub) = $head =~ m{^List-Unsubscribe: <(\Q$base\E/unsubscribe\?t=[A-Za-z0-9_.-]+)>\r?$}m;
ok $unsub, 'List-Unsubscribe: a signed link';
like $head, qr/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m, 'List-Unsubscribe-Post: One-Click (RFC 8058)';
like $head, qr{^Content-Type: multipart/alternative; boundary=}m, 'text and HTML';

my ($text, $html) = map { decode_base64($_) }
    $rest =~ m{Content-Transfer-Encoding: base64\r?\n\r?\n([A-Za-z0-9+/=\r\n]+)}g;
like $text // '', qr/^Hi\r?\nBcc: evil\@example\.org <script>x<\/script>$/m, 'the text part has the title as written';
like $text // '', qr{Read it on the blog: \Q$base\E/posts/}, '... the post\'s absolute URL';
like $text // '', qr{Unsubscribe: \Q$unsub\E}, '... and the reader\'s unsubscribe link';
like $html // '', qr{<h1[^>]*><a href="\Q$base\E/posts/[^"]+"[^>]*>Hi\s+Bcc: evil\@example\.org &lt;script&gt;x&lt;/script&gt;</a></h1>},
    'the HTML part escapes the title';
unlike $html // '', qr{<script>}, '... no script in it';
like $html // '', qr{<a href="\Q$base\E/posts/old">link</a>}, '... links made absolute';
like $html // '', qr{<img src="\Q$base\E/media/pic\.png"}, '... images by absolute URL';
like $html // '', qr{<a href="\Q$unsub\E"}, '... and the unsubscribe link';

# --- a test message ---------------------------------------------------------

my $deliveries = sql($db, "SELECT count(*) FROM deliveries");
my ($rc, $out) = blogctl('-d', $db, 'newsletter', 'test', 'new', 'proof@example.org');
is $rc, 0, 'blogctl newsletter test queues a test message';
ok wait_for(sub { scalar mails_to('proof@example.org') }, 60), '... which arrives';
my ($proof) = mails_to('proof@example.org');
like $proof // '', qr/^Message-ID: <nl-test-[0-9a-f]{32}\@example\.org>\r?$/m, '... with a Message-ID of its own';
like $proof // '', qr/^Subject: Hi  Bcc: evil\@example\.org/m, '... and the post\'s subject';
is sql($db, "SELECT count(*) FROM deliveries"), $deliveries, '... recording no delivery';
($rc, $out) = blogctl('-d', $db, 'newsletter', 'test', 'new', 'not an address');
isnt $rc, 0, 'a test to something that is not an address is refused';

# a site whose posts nginx serves elsewhere ("blog_route post articles/")
# says so to the jobrunner, which cannot read nginx's configuration
blogctl('-d', $db, 'set', 'post_route', 'articles');
blogctl('-d', $db, 'newsletter', 'test', 'new', 'route@example.org');
ok wait_for(sub { scalar mails_to('route@example.org') }, 60), 'with post_route set, a test message arrives';
my ($routed) = mails_to('route@example.org');
my ($routed_text) = map { decode_base64($_) }
    ($routed // '') =~ m{Content-Transfer-Encoding: base64\r?\n\r?\n([A-Za-z0-9+/=\r\n]+)};
like $routed_text // '', qr{Read it on the blog: \Q$base\E/articles/new\r?$}m,
    '... linking to the post under that route, given its "/"';
blogctl('-d', $db, 'set', 'post_route', 'posts/');

# --- unsubscribe -------------------------------------------------------------

$r = $site->get(path_of($unsub));
is $r->{status}, 200, 'the unsubscribe link shows a page';
like $r->{body}, qr{<p class="address">Ada\@Example\.org</p>}, '... naming the address';
is sql($db, "SELECT status FROM subscribers WHERE id = $ada"), 'active', '... a GET changes nothing';

$r = $site->request('POST', path_of($unsub),
                    'Content-Type' => 'application/x-www-form-urlencoded',
                    _body => 'List-Unsubscribe=One-Click');
is $r->{status}, 200, 'the one-click POST, without cookie or form token';
like $r->{body}, qr{<h1>You are unsubscribed</h1>}, '... says so';
is sql($db, "SELECT status, unsubscribed_at > 0 FROM subscribers WHERE id = $ada"), 'unsubscribed|1', '... and unsubscribes';
$r = $site->request('POST', path_of($unsub),
                    'Content-Type' => 'application/x-www-form-urlencoded',
                    _body => 'List-Unsubscribe=One-Click');
is $r->{status}, 200, 'again is harmless';
$r = form_post('/subscribe/confirm', undef, t => token_of($link));
is $r->{status}, 410, 'the old confirmation link cannot subscribe it again';
(my $forged = token_of($unsub)) =~ s/^(.)/$1 eq 'M' ? 'N' : 'M'/e;
$r = $site->request('POST', "/unsubscribe?t=$forged",
                    'Content-Type' => 'application/x-www-form-urlencoded',
                    _body => 'List-Unsubscribe=One-Click');
is $r->{status}, 400, 'a forged unsubscribe link is refused';

# --- the SMTP server down ------------------------------------------------

# a few readers left, the server stopped, a post published
sql($db, "UPDATE subscribers SET status = 'unsubscribed' WHERE email LIKE 'reader%' AND email NOT IN ('reader001\@example.org', 'reader002\@example.org')");
my @left = split /\n/, sql($db, "SELECT lower(email) FROM subscribers WHERE status = 'active' ORDER BY id");
is scalar @left, 6, 'six readers left';
stop_smtp();
$site->import_posts({ 'down.md' => "---\ntitle: While it was down\ndate: $date\n---\nLater.\n" });
my $nl2 = sql($db, "SELECT id FROM newsletters WHERE post_id = (SELECT id FROM posts WHERE slug = 'down')");
ok $nl2, 'a second newsletter';
ok wait_for(sub { sql($db, "SELECT count(*) FROM jobs WHERE kind = 'newsletter' AND last_error LIKE '%connect%'") > 0 }, 60),
    'with the server down, its job fails and waits for a retry';
# (polled: a retry may be between its two commits just then)
ok wait_for(sub { sql($db, "SELECT group_concat(DISTINCT status || ':' || attempts) FROM deliveries WHERE newsletter_id = $nl2") eq 'queued:0' }, 30),
    '... its messages queued, no attempt counted against them';
# without --rules: a new server would hold the hold-N addresses again
start_smtp();
ok wait_for(sub { sql($db, "SELECT status FROM newsletters WHERE id = $nl2") eq 'sent' }, 120),
    'the server back, the newsletter is sent';
my %got;
$got{lc $_}++ for map { /^X-RcptTo: (\S+?)\r?$/m ? $1 : () }
    grep { /^Message-ID: <nl-$nl2-\d+\@example\.org>\r?$/m } mails();
is join(',', sort keys %got), join(',', sort @left), '... to each reader left';
is scalar(grep { $_ > 1 } values %got), 0, '... once';

# --- the panel's post form ------------------------------------------------

my (undef, $ajar) = login_as($site, 'admin', 'correct horse battery');
$r = jar_get($site, $ajar, '/admin/posts/new');
like $r->{body}, qr{<input type="checkbox" name="newsletter" value="1" checked>}, 'the panel\'s new post is mailed unless unchecked';
my $acsrf = csrf_of($r->{body});
my @form = (csrf => $acsrf, title => 'From the panel', slug => 'panel', type => 'post', status => 'published',
            published => '', tags => '', summary => '', body => "Quiet.\n", base => '', action => 'save');
$r = jar_post($site, $ajar, '/admin/posts/new', [@form]);
is $r->{status}, 303, 'published from the panel with the box unchecked';
is sql($db, "SELECT status, newsletter FROM posts WHERE slug = 'panel'"), 'published|0', '... the post says so';
is sql($db, "SELECT count(*) FROM newsletters WHERE post_id = (SELECT id FROM posts WHERE slug = 'panel')"), 0,
    '... and has no newsletter';
my $pid = sql($db, "SELECT id FROM posts WHERE slug = 'panel'");
like jar_get($site, $ajar, "/admin/posts/$pid")->{body}, qr{<input type="checkbox" name="newsletter" value="1">},
    '... and its form shows the box unchecked';

# --- a scheduled post ------------------------------------------------------

# scheduled as the panel schedules; the panel's timer publishes it
$site->import_posts({ 'later.md' => "---\ntitle: Scheduled\ndate: $date\ndraft: true\n---\nOn time.\n" });
sql($db, "UPDATE posts SET status = 'scheduled', published_at = " . (time + 1) . " WHERE slug = 'later'");
ok wait_for(sub { sql($db, "SELECT status FROM posts WHERE slug = 'later'") eq 'published' }, 30),
    'a scheduled post is published at its time';
my $nl3 = sql($db, "SELECT id FROM newsletters WHERE post_id = (SELECT id FROM posts WHERE slug = 'later')");
ok $nl3, '... with its newsletter';
ok wait_for(sub { sql($db, "SELECT status FROM newsletters WHERE id = $nl3") eq 'sent' }, 120),
    '... which is sent';
is scalar(grep { /^Message-ID: <nl-$nl3-\d+\@example\.org>\r?$/m } mails()), scalar @left,
    '... to each reader';

unlike $site->error_log, qr/\[(?:alert|emerg|crit)\]/, 'no alerts in the error log';
unlike $site->jobrunner_log, qr/\b(?:CRIT|ALERT)\b/, 'nothing critical in the jobrunner log';

$site->stop_jobrunner;
# under ASan: no error, and no leak of the jobrunner's own (libfontconfig,
# which the social cards load, leaks a little at exit by itself)
my $stderr = read_file("$dir/logs/jobrunner.stderr") // '';
unlike $stderr, qr/ERROR: AddressSanitizer|runtime error:/, 'no memory error in the jobrunner';
unlike $stderr, qr/ in (?:jr|blog)_\w+ /, 'no leak from its own code';
stop_smtp();
done_testing();
