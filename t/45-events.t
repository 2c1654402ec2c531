#!/usr/bin/perl
#
# Access events, end to end with a real nginx and a real jobrunner: N
# requests of N readers are N views, one reader's N requests of a page one;
# files and bots are not views; unique visitors per
# day across restarts and days; the jobrunner stopped means requests still
# answer and events go to the spool, replayed once and only once; garbage
# datagrams are counted and skipped; SIGTERM under load loses nothing that
# a worker had sent; /_metrics of nginx and of the jobrunner.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::UNIX;
use JSON::PP ();
use POSIX qw(_exit);
use Socket qw(SOCK_DGRAM);
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';
my $CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
           . '(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
my $GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; '
              . '+http://www.google.com/bot.html)';

my $site = new_site(posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
});
my $d = $site->dir;
my $db = $site->db;
my $sock = "$d/events.sock";
my $metrics_port = free_port();

mkdir "$d/spool" or die "mkdir: $!";

$site->{http} = "blog_events unix:$sock;\n"
              . "    blog_events_spool $d/spool max=1m;\n"
              . "    set_real_ip_from 127.0.0.1;\n"
              . "    real_ip_header X-Forwarded-For;\n";
$site->{server} = "location = /_metrics { blog_metrics; blog_events off; }\n";
$site->start;

my $jr_conf = "events_socket = $sock\nspool_dir = $d/spool\n"
            . "batch_interval_ms = 20\nspool_scan_ms = 100\n"
            . "geoip_db = /usr/share/GeoIP/GeoIP.dat\n"
            . "metrics_listen = 127.0.0.1:$metrics_port\n";
$site->start_jobrunner($jr_conf);

sub today { int(time / 86400) }

sub daily {
    my ($col) = @_;
    return sql($db, "SELECT coalesce(sum($col), 0) FROM analytics_daily") + 0;
}

sub count_of {
    my ($dim, $key) = @_;
    return sql($db, "SELECT coalesce(sum(n), 0) FROM analytics_counts"
                    . " WHERE dim = '$dim' AND key = '$key'") + 0;
}

sub get_as {
    my ($path, $agent, %h) = @_;
    return $site->get($path, 'User-Agent' => $agent, %h);
}

sub jr_metrics {
    my $r = http_request($metrics_port, 'GET', '/metrics');
    return $r->{status} == 200 ? $r->{body} : '';
}

sub jr_metric {
    my ($name) = @_;
    return jr_metrics() =~ /^\Q$name\E (\d+)$/m ? $1 : -1;
}

# A record of a page in the wire format of blog_event.h.
sub record {
    my (%r) = @_;
    my $rec = 'BE' . pack('CC', 2, 2)
        . pack('Q<Q<V v', $r{ms}, 100, 1000, $r{status} // 200)
        . pack('CC', 4, 5) . pack('C4', @{ $r{addr} }) . ("\0" x 12);
    $rec .= pack('v/a*', $_) for 'GET', $r{path}, '', $r{agent}, '';
    return $rec;
}


# --- N readers' requests are N views, one reader's are one --------------

my $N = 40;
my $ok = 0;
for my $i (1 .. $N) {
    $ok++ if get_as('/posts/hello', $FIREFOX,
                    'X-Forwarded-For' => "8.8.8.$i")->{status} == 200;
}
is($ok, $N, "$N post requests of $N readers answered 200");

ok(wait_for(sub { daily('views') >= $N }, 10), 'views arrive')
    or diag $site->jobrunner_log;
sleep 0.3;
is(daily('views'), $N, "exactly $N views counted");
is(count_of('path', '/posts/hello'), $N, 'all on the path /posts/hello');
is(count_of('post', 'hello'), $N, 'and on the post slug "hello"');
is(count_of('browser', 'Firefox'), $N, 'browser: Firefox');
is(count_of('os', 'Linux'), $N, 'OS: Linux');
is(count_of('country', 'US'), $N, 'country of 8.8.8.x from GeoIP.dat: US');
is(count_of('status', '200'), $N, 'status 200 counted');
is(daily('visitors'), $N, "$N visitors");
is(sql($db, 'SELECT day FROM analytics_daily'), today(), 'on today (UTC)');

# one reader reloading: one view in 30 minutes; the same page spelled
# otherwise is the same page
for my $path ('/posts/hello', '/posts/hello?x=1', '/posts//hello',
              '/posts/%68ello', '/./posts/hello') {
    $ok = 0;
    $ok++ for grep { get_as($path, $FIREFOX, 'X-Forwarded-For' => '8.8.8.1')
                     ->{status} == 200 } 1 .. 5;
    is($ok, 5, "5 requests of $path answered 200");
}
ok(wait_for(sub { daily('requests') >= $N + 25 }, 10),
   'their events arrive');
sleep 0.3;
is(daily('requests'), $N + 25, 'every request counted as a request');
is(daily('views'), $N, "but a reader's repeats of a page are no new views");
is(count_of('path', '/posts/hello'), $N, 'and no path is made of a spelling');

# files, errors, bots and referrers
is(get_as('/static/style.css', $FIREFOX)->{status}, 200, 'a theme file');
is(get_as('/posts/nope', $FIREFOX)->{status}, 404, 'a 404');
is(get_as('/posts/hello', $GOOGLEBOT)->{status}, 200, 'a bot') for 1 .. 3;
is(get_as('/', $CHROME, Referer => 'https://News.Example.org:8443/item?id=1',
          'X-Forwarded-For' => '10.1.2.3')->{status}, 200, 'a referral');
is(get_as('/posts/hello', $CHROME, Referer => 'http://localhost/',
          'X-Forwarded-For' => '10.1.2.3')->{status}, 200,
   'a link within the site');

ok(wait_for(sub { daily('requests') >= $N + 25 + 7 }, 10),
   'all requests arrive');
sleep 0.3;
is(daily('requests'), $N + 25 + 7, 'every request counted as a request');
is(daily('views'), $N + 2, 'the file, the 404 and the bot are not views');
is(daily('bot_views'), 3, 'bot requests counted apart');
is(count_of('bot', 'Googlebot'), 3, "by the bot's name");
is(count_of('status', '404'), 1, 'the 404 in the status counts');
is(count_of('referrer', 'news.example.org'), 1,
   'referrer host lowercased, without port or path');
is(sql($db, "SELECT count(*) FROM analytics_counts WHERE dim = 'referrer'"),
   1, 'a link within the site is no referral');
is(count_of('country', '--'), 2, 'a private address has no country');
is(count_of('browser', 'Chrome'), 2, 'Chrome');
is(count_of('os', 'Windows'), 2, 'Windows');


# --- unique visitors across restarts and days --------------------------

is(daily('visitors'), $N + 1,
   'the readers at 8.8.8.x, and Chrome at 10.1.2.3: one more visitor');

get_as('/', $CHROME, 'X-Forwarded-For' => '10.1.2.3');    # seen already
get_as('/', $FIREFOX, 'X-Forwarded-For' => '10.1.2.3');   # new agent
get_as('/', $CHROME, 'X-Forwarded-For' => '10.1.2.4');    # new address
ok(wait_for(sub { daily('visitors') == $N + 3 }, 10),
   'a new agent or a new address is a new visitor, the same pair is not');

is(sql("$d/ttl.db", 'SELECT count(*) FROM analytics_salts WHERE day = '
                    . today()), 1, "today's salt is kept in ttl.db");
is(sql("$d/ttl.db", 'SELECT count(*) FROM analytics_salts WHERE day < '
                    . today()), 0, 'no salt of a past day is stored');

is($site->stop_jobrunner, 0, 'jobrunner stops with status 0');
$site->start_jobrunner($jr_conf);
get_as('/', $CHROME, 'X-Forwarded-For' => '10.1.2.3');
get_as('/', $CHROME, 'X-Forwarded-For' => '10.1.2.9');
ok(wait_for(sub { daily('visitors') == $N + 4 }, 10),
   'after a restart the same salt: a known visitor is not counted again');
sleep 0.3;
is(daily('visitors'), $N + 4, 'and still one more only');

# A visitor counted by a committed batch is marked and not hashed again
# (docs/analytics.md, "The cost per visitor"); one first seen by a 404,
# no visitor's count, is not, and its first page counts it.
my $asked = daily('requests');
is(get_as('/posts/nope', $FIREFOX, 'X-Forwarded-For' => '10.1.2.5')
   ->{status}, 404, 'a new reader: first a 404');
ok(wait_for(sub { daily('requests') == $asked + 1 }, 10),
   'its batch commits');
is(get_as('/posts/hello', $FIREFOX, 'X-Forwarded-For' => '10.1.2.5')
   ->{status}, 200, 'the reader of the 404 views a page, in a later batch');
is(get_as('/posts/hello', $CHROME, 'X-Forwarded-For' => '10.1.2.3')
   ->{status}, 200, 'a reader counted since the restart views another page');
ok(wait_for(sub { daily('requests') == $asked + 3 }, 10),
   'their batch commits');
sleep 0.3;
is(daily('visitors'), $N + 5,
   'the reader first seen by a 404 is counted by its page; the one '
   . 'counted before is not again');

# A spool of yesterday's records, as a worker would have left it: the
# records carry their time and count on their own day, with a salt of
# their own that is never stored.
my $yesterday = today() - 1;
my $yesterday_ms = $yesterday * 86400 * 1000 + 3600 * 1000;
# (written aside and renamed, as a worker hands a file over: the scan
# must not find it half written)
write_file("$d/spool/.events.tmp", join '', map { pack('v/a*', $_) }
    record(ms => $yesterday_ms, path => '/', agent => $CHROME,
           addr => [10, 1, 2, 3]),
    record(ms => $yesterday_ms, path => '/posts/hello', agent => $CHROME,
           addr => [10, 1, 2, 3]),
    record(ms => $yesterday_ms, path => '/', agent => $FIREFOX,
           addr => [10, 1, 2, 3]));
rename "$d/spool/.events.tmp", "$d/spool/events.999999.1.ready"
    or die "rename: $!";

ok(wait_for(sub {
    sql($db, "SELECT views FROM analytics_daily WHERE day = $yesterday") eq '3'
}, 10), "a spool file of yesterday's records is replayed")
    or diag $site->jobrunner_log;
is(sql($db, "SELECT visitors FROM analytics_daily WHERE day = $yesterday"),
   2, "yesterday: 2 visitors, counted apart from today's");
is(sql($db, 'SELECT visitors FROM analytics_daily WHERE day = ' . today()),
   $N + 5, 'today unchanged');
ok(!-e "$d/spool/events.999999.1.ready", 'the replayed file is deleted');
is(sql($db, 'SELECT count(*) FROM analytics_spools'
         . " WHERE file <> 'socket'"), 0,
   'and its offset forgotten');
is(sql("$d/ttl.db", 'SELECT count(*) FROM analytics_salts WHERE day < '
                    . today()), 0, "yesterday's salt was never stored");


# --- garbage on the socket ---------------------------------------------

# A datagram is frames: a 2-byte length, then a record.
my $corrupt = jr_metric('jobrunner_events_corrupt_total');
my $requests = daily('requests');
my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Peer => $sock)
    or die "socket: $!";
my $good = record(ms => int(time * 1000), path => '/x', agent => $FIREFOX,
                  addr => [192, 0, 2, 1]);
sub send_dgram {
    my ($d) = @_;
    # a few at a time: the kernel queues only so many datagrams
    defined $s->send($d) or do { sleep 0.05; redo };
}

# framed records that are each wrong in one way: one corrupt record each
my @bad = map { pack('v/a*', $_) } (
    '', 'B', 'BE', "BE\x03" . substr($good, 3),          # version 3
    'XX' . substr($good, 2),                               # magic
    substr($good, 0, length($good) - 1),                   # cut short
    $good . 'x',                                           # trailing byte
    substr($good, 0, 27) . "\x06" . substr($good, 28),     # field count
    substr($good, 0, 26) . "\x05" . substr($good, 27),     # family
);
push @bad, '', "\x05", "\xff\xff" . $good, 'x' x 40000;   # no frame fits
send_dgram($_) for @bad;
ok(wait_for(sub {
    jr_metric('jobrunner_events_corrupt_total') - $corrupt == @bad }, 10),
   scalar(@bad) . ' bad datagrams: as many corrupt records')
    or diag jr_metric('jobrunner_events_corrupt_total') - $corrupt;

# random bytes: each datagram is at least one corrupt record
$corrupt = jr_metric('jobrunner_events_corrupt_total');
srand(4);
my @garbage;
push @garbage, join('', map { chr(int(rand(256))) } 1 .. 1 + int(rand(300)))
    for 1 .. 40;
push @garbage, pack('v/a*', substr($good, 0, 44) . join('', map {
    chr(int(rand(256))) } 1 .. int(rand(60)))) for 1 .. 40;
send_dgram($_) for @garbage;
send_dgram(pack('v/a*', $good) . pack('v/a*', $good));

ok(wait_for(sub { daily('requests') == $requests + 2 }, 10),
   'two good records in one datagram after the garbage are counted')
    or diag $site->jobrunner_log;
cmp_ok(jr_metric('jobrunner_events_corrupt_total') - $corrupt, '>=',
       scalar @garbage, scalar(@garbage) . ' random datagrams: corrupt');
is(get_as('/posts/hello', $FIREFOX)->{status}, 200, 'nginx unaffected');
ok(kill(0, $site->{jobrunner}), 'the jobrunner is still running');
ok(wait_for(sub { daily('requests') == $requests + 3 }, 10),
   'and counts what comes next');


# --- the jobrunner stopped: requests answer, events spool, none lost ----

is($site->stop_jobrunner, 0, 'jobrunner stopped');
ok(!-e $sock, 'its socket is gone');
$requests = daily('requests');

my $M = 30;
$ok = 0;
my $t0 = time;
for (1 .. $M) {
    $ok++ if get_as('/posts/hello', $FIREFOX)->{status} == 200;
}
is($ok, $M, "$M requests answered 200 without a jobrunner");
cmp_ok(time - $t0, '<', 5, 'and quickly');
# the worker's batch goes out within 100 ms
my @spools;
wait_for(sub { @spools = glob "$d/spool/events.*.spool"; @spools }, 5);
is(scalar @spools, 1, 'the worker spools to events.PID.spool')
    or diag `ls -l $d/spool`;
like($site->get('/_metrics')->{body},
     qr/^nginx_blog_events_total\{outcome="spooled"\} (?:[3-9]\d|\d{3,})$/m,
     '/_metrics counts the spooled events');

$site->start_jobrunner($jr_conf);
ok(wait_for(sub { daily('requests') >= $requests + $M }, 10),
   'restarted: the spool is handed over and replayed')
    or diag $site->jobrunner_log . $site->error_log;
sleep 1.5;
is(daily('requests'), $requests + $M,
   "exactly $M more requests: none lost, none twice");
is(scalar(() = glob "$d/spool/events.*"), 0, 'no spool file left');
like(jr_metrics(), qr/^jobrunner_spool_files_replayed_total [1-9]/m,
     'jobrunner metrics count the replayed file');


# --- SIGTERM under load ------------------------------------------------

$requests = daily('requests');
my ($W, $R) = (4, 60);
my @kids;
for my $w (1 .. $W) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my $fails = 0;
        for (1 .. $R) {
            my $r = eval { get_as('/posts/hello', $FIREFOX) };
            $fails++ unless $r && $r->{status} == 200;
        }
        _exit($fails > 255 ? 255 : $fails);
    }
    push @kids, $pid;
}
sleep 0.3;
is($site->stop_jobrunner('TERM'), 0,
   'SIGTERM in the middle of the load: exit 0');
my $fails = 0;
for (@kids) { waitpid $_, 0; $fails += $? >> 8 }
is($fails, 0, 'every request of the load answered 200');
$site->start_jobrunner($jr_conf);
ok(wait_for(sub { daily('requests') >= $requests + $W * $R }, 15),
   'after a restart all of them are counted')
    or diag $site->jobrunner_log;
sleep 1.5;
is(daily('requests'), $requests + $W * $R,
   'exactly: what was sent before the shutdown was committed, the rest spooled');


# --- /_metrics of nginx ------------------------------------------------

my $m = $site->get('/_metrics');
is($m->{status}, 200, '/_metrics answers');
like($m->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4},
     'in Prometheus text format');
like($m->{body}, qr/^nginx_blog_requests_total\{status="200"\} \d+$/m,
     'requests by status');
like($m->{body}, qr/^nginx_blog_requests_total\{status="404"\} 2$/m,
     'the two 404s');
like($m->{body}, qr/^nginx_blog_page_cache_total\{result="hit"\} [1-9]\d*$/m,
     'page-cache hits');
like($m->{body}, qr/^nginx_blog_page_cache_total\{result="miss"\} [1-9]\d*$/m,
     'page-cache misses');
like($m->{body}, qr/^nginx_blog_events_total\{outcome="sent"\} [1-9]\d*$/m,
     'events sent');
like($m->{body}, qr/^nginx_blog_events_total\{outcome="dropped"\} 0$/m,
     'none dropped');

# this jobrunner may have found nothing to do yet: give it one event
get_as('/posts/hello', $FIREFOX);
ok(wait_for(sub { jr_metric('jobrunner_batch_seconds_count') >= 1 }, 10),
   'jobrunner: a batch committed');
my $jm = jr_metrics();
like($jm, qr/^jobrunner_events_consumed_total [1-9]\d*$/m,
     'jobrunner: events consumed');
like($jm, qr/^jobrunner_batch_seconds_count [1-9]\d*$/m, 'batch latency');
like($jm, qr/^jobrunner_spool_backlog_bytes \d+$/m, 'spool backlog');
is(http_request($metrics_port, 'GET', '/other')->{status}, 404,
   'jobrunner: other paths 404');

# every metric the Grafana dashboard charts is one of these
my $dash = JSON::PP::decode_json(read_file("$BlogTest::ROOT/conf/grafana-dashboard.json"));
my %exposed = map { $_ => 1 } ($m->{body} . $jm) =~ /^(\w+?)(?:_bucket)?[{ ]/mg;
my @used = map { $_->{expr} =~ /(?<![\$\w])((?:nginx_blog|jobrunner)_\w+?)(?:_bucket)?\b/g }
           map { @{ $_->{targets} } } @{ $dash->{panels} };
cmp_ok(scalar @used, '>=', 10, 'the dashboard charts the metrics');
is_deeply([grep { !$exposed{$_} } @used], [],
          'every metric of the dashboard is exposed');

is($site->stop_jobrunner, 0, 'jobrunner stops cleanly');

done_testing();
