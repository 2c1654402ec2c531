#!/usr/bin/perl
#
# The realtime hub, end to end: a real nginx proxies /events/ to the real
# jobrunner's Unix socket, and raw sockets subscribe as EventSource does.
# Views of a page and approved comments arrive as events; Last-Event-ID
# resumes from the kept history; a subscriber that never reads is cut off
# while the others go on; alerts need an admin session; after a restart
# of the jobrunner nginx tells clients to retry, and a reconnection gets
# what was published meanwhile.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use JSON::PP ();
use Socket qw(SOCK_DGRAM SOL_SOCKET SO_RCVBUF);
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;
use BlogAdmin;
use BlogSSE;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';

my $site = admin_site(
    extra => "blog_comment_limit 1000 10m;\n",
    # a cached page shows a count as fresh as analytics.db's
    location => "blog_live_url /events/;\nblog_views_max_age 0;\n",
    posts => {
        'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
        'other.md' => "---\ntitle: Other\ndate: 2026-10-02\n---\nYo.\n",
    },
);
my $d = $site->dir;
my $db = $site->db;
my $sse = "$d/sse.sock";
my $events_sock = "$d/events.sock";
my $metrics_port = free_port();
my $tcp_port = free_port();
my $slow_port = free_port();

# the hub's location, as in conf/nginx.conf; a second server with a small
# send buffer toward clients, so that a client that never reads stops
# nginx reading from the hub after kilobytes rather than megabytes
my $events_location = <<"EOF";
        location /events/ {
            blog_events off;
            blog_admin_session $d/data.db;
            proxy_pass http://unix:$sse:;
            proxy_buffering off;
            proxy_buffer_size 1k;
            proxy_read_timeout 1h;
            proxy_set_header X-Blog-Admin \$blog_admin_user;
            error_page 502 503 504 = \@events_down;
        }
        location \@events_down {
            default_type text/event-stream;
            return 200 "retry: 1000\\n\\n";
        }
EOF
$site->{server} .= $events_location;
$site->{http} = "blog_events unix:$events_sock;\n"
    . "    server {\n        listen 127.0.0.1:$slow_port sndbuf=8k;\n"
    . "        blog_ttl_db $d/ttl.db;\n$events_location    }\n";
$site->start;

my $jr_conf = "events_socket = $events_sock\nbatch_interval_ms = 20\n"
            . "metrics_listen = 127.0.0.1:$metrics_port\n"
            . "sse_socket = $sse\nsse_listen = 127.0.0.1:$tcp_port\n"
            . "sse_heartbeat_ms = 1000\nsse_max_pending = 4096\n"
            . "sse_history = 8\n";
$site->start_jobrunner($jr_conf);

my ($res, $jar) = login_as($site, 'admin', 'correct horse battery');
is $res->{status}, 303, 'the admin signs in';
my $cookie = "blog_session=$jar->{blog_session}";

sub jr_metric {
    my ($name) = @_;
    my $r = http_request($metrics_port, 'GET', '/metrics');
    return $r->{body} =~ /^\Q$name\E (\d+)$/m ? $1 : -1;
}

my $views_topic = 'metrics.views./posts/hello';

# --- the page, without and with JavaScript --------------------------------

my $r = $site->get('/posts/hello');
like $r->{body}, qr{<span id="views" data-topic="metrics\.views\./posts/hello">0</span> views},
    'the post page shows its views, rendered on the server';
like $r->{body}, qr{<section class="comments" id="comments" data-topic="comments\.hello">},
    '... and names the topic of its comments';
like $r->{body}, qr{<script src="/static/live\.js" data-events="/events/" defer></script>},
    '... and loads the live script';
$r = $site->get('/static/live.js');
is $r->{status}, 200, 'the live script is served';
like $r->{body}, qr/new EventSource/, '... and uses EventSource';
unlike $site->get('/about')->{body} // '', qr/live\.js/, 'pages without views load no script';

# --- subscribe, views -------------------------------------------------------

my $sa = subscribe($site->port, [$views_topic, 'comments.hello']);
is $sa->{status}, 200, 'subscription through nginx: 200';
like $sa->{head}, qr{^Content-Type: text/event-stream}mi, '... text/event-stream';
ok $sa->read_until(sub { grep { defined $_->{retry} } @{ $_[0]{events} } }, 10),
    '... the stream starts with a retry: field';
my ($retry) = map { $_->{retry} // () } @{ $sa->{events} };
is $retry, 3000, '... of sse_retry_ms';
ok $sa->read_until(sub { grep { ($_->{id} // '') =~ /^\d+\.\d+$/ } @{ $_[0]{events} } }, 10),
    '... then the id of now, E.S';

# three readers (a reader's reloads within 30 minutes are one view)
$site->get('/posts/hello', 'User-Agent' => "$FIREFOX ($_)") for 1 .. 3;
my $ev;
ok $sa->read_until(sub {
    grep { ($_->{event} // '') eq 'views' && $_->{data} =~ /"views":3\b/ } @{ $_[0]{events} }
}, 15), 'three views of the page: an event with views 3' or diag explain $sa->{events};
($ev) = grep { ($_->{event} // '') eq 'views' } reverse @{ $sa->{events} };
my $data = JSON::PP::decode_json($ev->{data});
is $data->{path}, '/posts/hello', '... for its path';
like $ev->{id}, qr/^\d+\.\d+$/, '... with an id';
my $after_views = $ev->{id};
@{ $sa->{events} } = ();
like $site->get('/posts/hello')->{body}, qr{>3</span> views}, 'the page now shows 3 views';
is sql($db, "SELECT views FROM analytics_path_totals WHERE path = '/posts/hello'"), 3,
    '... the total the jobrunner keeps';

my $sb = subscribe($site->port, ['metrics.views./posts/other']);
$site->get('/posts/other', 'User-Agent' => $FIREFOX);
$ev = $sb->next_event('views', 15);
is $ev && $ev->{json}{views}, 1, 'another topic gets its own views';
ok !(grep { ($_->{event} // '') eq 'views' } @{ $sa->{events} }),
    '... which the first subscriber does not get';
$sb->close_sub;

# --- comments ---------------------------------------------------------------

sub comment {
    my ($slug, $name, $text, @h) = @_;
    my $body = 'name=' . urlencode($name) . '&body=' . urlencode($text);
    return $site->request('POST', "/posts/$slug/comments",
                          'Content-Type' => 'application/x-www-form-urlencoded',
                          _body => $body, @h);
}

$r = comment('hello', 'Ann', "A *pending* one.\n");
is $r->{status}, 303, 'a reader comments';
my $cid = sql($db, "SELECT id FROM comments WHERE author_name = 'Ann'");
ok !defined $sa->next_event('comment', 2), '... nothing is pushed while it waits for moderation';

my $page = jar_get($site, $jar, '/admin/comments');
my $csrf = csrf_of($page->{body});
$r = jar_post($site, $jar, "/admin/comments/$cid", [csrf => $csrf, action => 'approve']);
is $r->{status}, 303, 'the admin approves it';
$ev = $sa->next_event('comment', 15);
ok $ev, '... and it is pushed' or diag $site->jobrunner_log;
is $ev && $ev->{json}{id}, $cid, '... with its id';
is $ev && $ev->{json}{name}, 'Ann', '... its author';
like $ev && $ev->{json}{html}, qr{<em>pending</em>}, '... its HTML';
like $ev && $ev->{json}{created_date}, qr/^\w+ \d+, \d{4}$/, "... and the page's date format";
like $site->jobrunner_log, qr/comment $cid on "hello" approved/, 'the jobrunner logs the approval';

$r = comment('hello', 'Owner', "From the owner\n", Cookie => $cookie);
like $r->{headers}{location}, qr/#comment-\d+$/, "the owner's comment is published at once";
$ev = $sa->next_event('comment', 15);
is $ev && $ev->{json}{name}, 'Owner', '... and pushed';
my $last = $ev && $ev->{id};

# --- Last-Event-ID ------------------------------------------------------------

$sa->close_sub;
$site->get('/posts/hello', 'User-Agent' => "$FIREFOX ($_)") for 4 .. 5;
ok wait_for(sub { sql($db, "SELECT views FROM analytics_path_totals WHERE path = '/posts/hello'") == 5 }, 15),
    'two more views while no one listens';
comment('hello', 'Missed', "Said while you were away\n", Cookie => $cookie);
my $missed = sql($db, "SELECT id FROM comments WHERE author_name = 'Missed'");
ok wait_for(sub { sql($db, "SELECT count(*) FROM jobs WHERE kind = 'comment' AND state != 'done'") == 0 }, 15),
    '... and a comment';

$sa = subscribe($site->port, [$views_topic, 'comments.hello'], 'Last-Event-ID' => $last);
$ev = $sa->next_event('views', 5);
is $ev && $ev->{json}{views}, 5, 'Last-Event-ID: the missed views come at once';
$ev = $sa->next_event('comment', 5);
is $ev && $ev->{json}{id}, $missed, '... and the missed comment';
ok !defined $sa->next_event('comment', 1), '... and nothing before the last id';
$sa->close_sub;

my ($epoch) = $last =~ /^(\d+)\./;
$sa = subscribe($site->port, ['comments.hello'],
               _path => '/events/?' . topic_query('comments.hello')
                        . '&last_event_id=' . urlencode("$epoch.0"));
my @names;
while (my $e = $sa->next_event('comment', 3)) { push @names, $e->{json}{name} }
is "@names", 'Ann Owner Missed', 'last_event_id in the query, from the start: all kept comments, in order';
$sa->close_sub;

# --- admin topics ----------------------------------------------------------------

$sa = subscribe($site->port, ['alerts.*']);
is $sa->{status}, 403, 'alerts without an admin session: 403';
$sa->close_sub;
$sa = subscribe($site->port, ['comments.hello', 'alerts.errors'], 'X-Blog-Admin' => 'admin');
is $sa->{status}, 403, '... and with a forged X-Blog-Admin header, which nginx replaces';
$sa->close_sub;
$sa = subscribe($tcp_port, ['alerts.*'], 'X-Blog-Admin' => 'admin');
is $sa->{status}, 403, '... and on the TCP port, whatever the header';
$sa->close_sub;
$sa = subscribe($sse, ['alerts.*']);
is $sa->{status}, 403, '... and on the Unix socket without the header';
$sa->close_sub;
$sa = subscribe($site->port, ['alerts.*', 'comments.hello'], Cookie => 'blog_session=' . ('0' x 64));
is $sa->{status}, 403, '... and with a session that does not exist';
$sa->close_sub;
like $site->jobrunner_log, qr/sse: 403, admin topics need an admin session/, 'refusals are logged with the reason';

my $adm = subscribe($site->port, ['alerts.*'], Cookie => $cookie);
is $adm->{status}, 200, 'alerts with the admin session: 200';
like $site->jobrunner_log, qr/sse: admin "admin" subscribed to 1 topic/, '... logged with the user';
my $garbage = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Peer => $events_sock)
    or die "events socket: $!";
$garbage->send("\x03\x00xyz") for 1 .. 3;
my ($corrupt, @alerts) = (0);
while ($corrupt < 3 && (my $e = $adm->next_event('alert', 15))) {
    push @alerts, $e->{json};
    $corrupt += $e->{json}{corrupt} // 0;
}
is $corrupt, 3, 'corrupt event records: alerts with their count' or diag $site->jobrunner_log;
is $alerts[0] && $alerts[0]{message}, 'corrupt event records skipped', '... and what happened';
ok @alerts <= 2, '... at most one a second';

# a job that cannot succeed goes dead: an alert on alerts.jobs, and its
# error line on alerts.errors
sql($db, "INSERT INTO jobs (kind, payload, run_after, created_at, updated_at)"
       . " VALUES ('no-such-kind', '{}', 0, 0, 0)");
my %alerts;
while (keys %alerts < 2 && (my $e = $adm->next_event('alert', 15))) {
    $alerts{jobs} = $e->{json} if $e->{json}{kind};
    $alerts{errors} = $e->{json} if ($e->{json}{message} // '') =~ /dead after/
                                    && !$e->{json}{kind};
}
is $alerts{jobs} && $alerts{jobs}{kind}, 'no-such-kind', 'a dead job: an alert with its kind';
like $alerts{errors} && $alerts{errors}{message}, qr/dead after 1 attempt/, "... and the log's error line";
$adm->close_sub;

# --- a slow consumer --------------------------------------------------------------

$sa = subscribe($site->port, ['comments.hello']);
my $slow = subscribe($slow_port, ['comments.hello'], _rcvbuf => 2048);
is $slow->{status}, 200, 'a subscriber that will never read';
my $big = ('All work and no play makes a long comment. ' x 220) . "\n";
my ($posted, $got) = (0, 0);
while ($posted < 120 && jr_metric('jobrunner_sse_slow_closed_total') < 1) {
    comment('hello', "Big $posted", $big, Cookie => $cookie) for 1 .. 5;
    $posted += 5;
    sleep 0.3;
    while (my $e = $sa->next_event('comment', 0.2)) { $got++ }
}
ok wait_for(sub { jr_metric('jobrunner_sse_slow_closed_total') >= 1 }, 20),
    "it is cut off once its unsent bytes pass sse_max_pending ($posted comments of 10 KB)";
like $site->jobrunner_log, qr/sse: a subscriber with \d+ bytes unsent is cut off/, '... and logged';
$sa->read_until(sub { 0 }, 0) ;
while ($got < $posted) {
    my $e = $sa->next_event('comment', 10) or last;
    $got++;
}
is $got, $posted, 'the other subscriber got every comment';
comment('hello', 'After', "After the cut\n", Cookie => $cookie);
$ev = $sa->next_event('comment', 15);
is $ev && $ev->{json}{name}, 'After', '... and goes on getting them';
ok $slow->read_until(sub { $_[0]{end} }, 30), 'the slow one reads what nginx had, then the end';
is jr_metric('jobrunner_sse_subscribers'), 1, 'the hub still serves the other';

# --- heartbeats ---------------------------------------------------------------------

ok $sa->read_until(sub { grep { $_->{comment} } @{ $_[0]{events} } }, 5),
    'idle streams get heartbeat comments';
$sa->close_sub;

# --- a restart of the jobrunner ------------------------------------------------------

$sa = subscribe($site->port, ['comments.other']);
ok $sa->read_until(sub { grep { ($_->{id} // '') =~ /^\d+\.\d+$/ } @{ $_[0]{events} } }, 10),
    'a subscriber before the restart';
my ($old_id) = map { $_->{id} // () } @{ $sa->{events} };
$site->stop_jobrunner;
ok $sa->read_until(sub { $_[0]{end} }, 10), 'the jobrunner stops: the response ends';
$r = $site->get('/events/?' . topic_query('comments.other'));
is $r->{status}, 200, 'while it is down, nginx answers 200';
like $r->{body}, qr/^retry: 1000$/m, '... with a retry: field, so EventSource tries again';

# approved while the jobrunner is down: queued, pushed when it is back
comment('other', 'While down', "Nobody pushed me yet\n", Cookie => $cookie);
$site->start_jobrunner($jr_conf);
ok wait_for(sub { sql($db, "SELECT count(*) FROM jobs WHERE kind = 'comment' AND state != 'done'") == 0 }, 15),
    'restarted, the jobrunner takes the queued comment';
$sa = subscribe($site->port, ['comments.other'], 'Last-Event-ID' => $old_id);
is $sa->{status}, 200, 'the client reconnects';
ok $sa->read_until(sub { grep { defined $_->{retry} } @{ $_[0]{events} } }, 10), '... gets retry:';
$ev = $sa->next_event('comment', 5);
is $ev && $ev->{json}{name}, 'While down',
    "... and, with the last id of the jobrunner's earlier life, what was published since";
$site->get('/posts/other', 'User-Agent' => $FIREFOX);
comment('other', 'Live again', "Hello\n", Cookie => $cookie);
$ev = $sa->next_event('comment', 15);
is $ev && $ev->{json}{name}, 'Live again', '... and what comes next';
$sa->close_sub;

# --- bad requests ---------------------------------------------------------------------------

$r = $site->get('/events/');
is $r->{status}, 400, 'no topic: 400';
$r = $site->get('/events/?topic=' . urlencode('has space'));
is $r->{status}, 400, 'an invalid topic: 400';
$r = $site->get('/events/?' . join '&', map { "topic=t$_" } 1 .. 9);
is $r->{status}, 400, 'more than 8 topics: 400';
$r = $site->request('POST', '/events/?topic=x');
is $r->{status}, 405, 'not a GET: 405';
like $site->jobrunner_log, qr/sse: 400, invalid topic/, 'each logged with its reason';
my $half = IO::Socket::UNIX->new(Peer => $sse) or die "connect $sse: $!";
print $half "GET /events/?topic=x HTTP/1.1\r\nHost: loc";
my $answer = '';
IO::Select->new($half)->can_read(10) and sysread $half, $answer, 4096;
like $answer, qr{^HTTP/1\.1 400 .*request not complete in time}s,
    'a request left unfinished: 400 after a heartbeat round or two';
close $half;

# --- a full hub --------------------------------------------------------------------------------

$site->stop_jobrunner;
$site->start_jobrunner($jr_conf . "sse_max_subscribers = 1\n");
$sa = subscribe($sse, ['comments.hello']);
is $sa->{status}, 200, 'with sse_max_subscribers = 1, one subscriber gets in';
my $full = subscribe($sse, ['comments.hello']);
is $full->{status}, 503, '... a second one gets 503';
like $full->{head}, qr/^Retry-After: 30\r?$/mi, '... with Retry-After';
$full->close_sub;
$sa->close_sub;
like $site->jobrunner_log, qr/sse: 503, sse_max_subscribers reached/, '... logged with its reason';

$site->stop_jobrunner;
unlike $site->jobrunner_log, qr/\[error\](?!.*(dead after|no-such-kind))/, 'no other errors in the log';
# while the hub is down, nginx logs its failed connects as [crit]
my @bad = grep { /\[(alert|crit|emerg)\]/ && !/connect\(\) to unix:\Q$sse\E failed/ }
          split /\n/, $site->error_log;
is "@bad", '', 'no other alerts in the error log';

done_testing;
