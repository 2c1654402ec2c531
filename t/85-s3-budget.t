#!/usr/bin/perl
#
# S3 requests as a budget: an idle replica backs off from poll_ms, then
# reads PREFIX/.wake (GETs) less and less often, from watch_ms up to
# watch_max_ms, and lists only every poll_max_ms, counted at s3rver; the
# primary writes .wake for the first segment after a quiet time and not
# for the ones of a burst; a write after the idle time is applied within
# watch_max_ms, then the replica polls every poll_ms again, and after a
# short quiet time it watches fast again;
# a hot database's copy in the bucket is no news to it; the expositions
# of both jobrunners and of the module pass promtool check metrics.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;
use BlogS3;
use BlogNats;

my $bin = "$BlogTest::BUILD/jobrunner";
-x $bin or BAIL_OUT('jobrunner not built: run make');

my $prefix = 'blog/data.db';
my $s3 = start_s3rver();

my $primary = new_site(posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nFirst post.\n",
});
my $pdb = $primary->db;
my $pport = free_port();

# a hot database next to data.db: its copy, PREFIX/hot/..., sorts after
# every segment, and must not look like news to an idle replica
(my $pdir = $pdb) =~ s{/[^/]+\z}{};
sql("$pdir/queue.db", 'PRAGMA journal_mode = WAL; CREATE TABLE q (id '
    . 'INTEGER PRIMARY KEY); INSERT INTO q DEFAULT VALUES');

$primary->start_jobrunner("metrics_listen = 127.0.0.1:$pport\n"
    . $s3->conf(max_attempts => 3, timeout => '5s')
    . "[backup]\nprefix = $prefix\ninterval_ms = 50\nhot_interval = 1s\n");
ok(wait_for(sub { grep { /\.ok$/ } $s3->keys("$prefix/") }, 20),
   'the primary has a complete snapshot in the bucket')
    or diag $primary->jobrunner_log;
sql($pdb, 'CREATE TABLE budget (id INTEGER PRIMARY KEY)');

my ($poll_ms, $poll_max_ms, $watch_ms, $watch_max_ms) = (50, 6000, 250, 3000);
my $replica = new_site(no_db => 1);
my $mport = free_port();
$replica->start_jobrunner("metrics_listen = 127.0.0.1:$mport\n"
    . $s3->conf(max_attempts => 3, timeout => '5s')
    . "[replica]\nprefix = $prefix\npoll_ms = $poll_ms\n"
    . "poll_max_ms = $poll_max_ms\nwatch_ms = $watch_ms\n"
    . "watch_max_ms = $watch_max_ms\n");

sub rows { sql($replica->db, 'SELECT count(*) FROM budget') // '' }

ok(wait_for(sub { rows() eq '0' }, 20), 'the replica follows the primary')
    or diag $replica->jobrunner_log;
ok(wait_for(sub { grep { m{^\Q$prefix\E/hot/queue\.db/} } $s3->keys("$prefix/") },
            10), 'the hot queue.db has a copy in the bucket, after every '
   . 'segment in key order') or diag $primary->jobrunner_log;

# the primary writes nothing from here: every request is the replica's
# unless the primary's backup looks at the bucket while idle, and then
# the bounds below hold for both.  The window opens once the replica's
# wait between two looks has grown to watch_max_ms: it watches after 2 s
# without a find, and waits a quarter of the time since, so 4 *
# watch_max_ms after the last find (and a second for a slow machine).
sleep(4 * $watch_max_ms / 1000 + 1);
my $before = () = $s3->requests;
my $t0 = time;
sleep(3 * $watch_max_ms / 1000);
my @window = ($s3->requests)[$before .. scalar($s3->requests) - 1];
my $secs = time - $t0;
my $lists = grep { $_->{op} eq 'LIST' } @window;
my $wakes = grep { $_->{op} eq 'GET' && $_->{key} eq "$prefix/.wake" }
    @window;
my $list_bound = int($secs * 1000 / $poll_max_ms) + 2;
my $look_bound = int($secs * 1000 / $watch_max_ms) + 2;
ok($lists + $wakes >= 1 && $wakes >= 1,
   "an idle replica still looks: $lists LISTs, $wakes GETs of .wake")
    or diag $replica->jobrunner_log;
ok($lists <= $list_bound, sprintf('an idle replica sent %d LISTs in %.1f s '
   . '(at most %d: one per poll_max_ms; %d without the backoff)', $lists,
   $secs, $list_bound, 2 * $secs * 1000 / $poll_ms))
    or diag join "\n", map { "$_->{op} $_->{key}" } @window;
ok($lists + $wakes <= $look_bound, sprintf('and %d requests in all (at most '
   . '%d: one per watch_max_ms; %d GETs at watch_ms without the backoff)',
   $lists + $wakes, $look_bound, $secs * 1000 / $watch_ms));
is(scalar @window, $lists + $wakes, 'nothing else')
    or diag join "\n", map { "$_->{op} $_->{key}" } @window;

# watching: a write is applied within watch_max_ms (and the primary's
# interval, its two PUTs and the replica's listing), then the follower
# looks every poll_ms again
$before = () = $s3->requests;
sql($pdb, 'INSERT INTO budget DEFAULT VALUES');
$t0 = time;
ok(wait_for(sub { rows() eq '1' }, 10), 'a write after the idle time');
my $lag = time - $t0;
ok($lag < $watch_max_ms / 1000 + 1, sprintf('applied within watch_max_ms '
   . '(%.2f s)', $lag));
my $wake = $s3->object("$prefix/.wake") // '';
chomp $wake;
ok($wake =~ m{^\Q$prefix\E/[^/]+/wal/[0-9a-f]{8}-[0-9a-f]{12}-\d{13}\.wal\z}
   && grep({ $_ eq $wake } $s3->keys("$prefix/")),
   "the primary wrote the segment's key to .wake: $wake");

sql($pdb, 'INSERT INTO budget DEFAULT VALUES');
$t0 = time;
ok(wait_for(sub { rows() eq '2' }, 10), 'the next write');
$lag = time - $t0;
ok($lag < 1.5, sprintf('applied at once: the follower polls every poll_ms '
   . 'again after a find (%.2f s)', $lag));

# a burst, a write every 100 ms: segments closer than 1 s write no .wake
# (the replica lists while they come)
for (1 .. 20) {
    sql($pdb, 'INSERT INTO budget DEFAULT VALUES');
    sleep 0.1;
}
ok(wait_for(sub { rows() eq '22' }, 10), 'the burst reaches the replica');
my @burst = ($s3->requests)[$before .. scalar($s3->requests) - 1];
my $segs = grep { $_->{op} eq 'PUT' && $_->{key} =~ m{/wal/} } @burst;
my $wake_puts = grep { $_->{op} eq 'PUT' && $_->{key} eq "$prefix/.wake" }
    @burst;
ok($segs >= 10 && $wake_puts >= 1 && $wake_puts <= 3, "$segs segments "
   . "stored, .wake written $wake_puts times: after the quiet times only");

# a short quiet time after the burst: the replica watches again (after
# 2 s), but fast, its wait a quarter of the quiet time (0.75 s after 3 s),
# not the watch_max_ms it had reached before the writes
sleep 3;
sql($pdb, 'INSERT INTO budget DEFAULT VALUES');
$t0 = time;
ok(wait_for(sub { rows() eq '23' }, 10), 'a write 3 s after the burst');
$lag = time - $t0;
ok($lag < 2, sprintf('applied within 2 s: the watch is fast again after '
   . 'a find (%.2f s; watch_max_ms %d)', $lag, $watch_max_ms));

# --- requests by operation as a metric -----------------------------------

sub metrics {
    my ($port) = @_;
    my $r = eval { http_request($port, 'GET', '/metrics') } or return undef;
    return $r->{body};
}

sub by_op {
    my ($body, $user) = @_;
    my %n;
    $n{uc $1} = $2 while $body =~ /^jobrunner_s3_operations_total
        \{user="\Q$user\E",op="([a-z_]+)"\}\ (\d+)$/gmx;
    return \%n;
}

# s3rver's own count of a user's requests (their User-Agent names it)
sub at_s3rver {
    my ($user) = @_;
    my %n;
    $n{$_->{op}}++ for grep { $_->{agent} =~ /\(\Q$user\E\)/ } $s3->requests;
    return \%n;
}

# the metric and s3rver agree on every operation; read between two
# scrapes that are equal, so that no request was on its way, once the
# replica watches again (a request every half second or more, not a LIST
# every poll_ms as just after the write: one could be on its way)
sleep 2.5;
for my $node ([$replica, $mport, 'replica'], [$primary, $pport, 'backup']) {
    my ($site, $port, $user) = @$node;
    my ($m, $seen);
    for (1 .. 20) {
        my $m1 = by_op(metrics($port) // '', $user);
        $seen = at_s3rver($user);
        my $m2 = by_op(metrics($port) // '', $user);
        if (join(',', map { "$_=$m1->{$_}" } sort keys %$m1)
            eq join(',', map { "$_=$m2->{$_}" } sort keys %$m2))
        {
            $m = $m2;
            last;
        }
        sleep 0.1;
    }
    ok($m && keys %$m == 10, "$user: jobrunner_s3_operations_total has the "
       . '10 operations') or diag explain $m;
    my %want = map { $_ => $seen->{$_} // 0 } keys %{ $m // {} };
    is_deeply($m, \%want, "$user: every operation as s3rver counted it")
        or diag explain $seen;
}
my $replica_by_op = by_op(metrics($mport), 'replica');
ok($replica_by_op->{LIST} > 0 && $replica_by_op->{GET} > 0,
   "the replica's LISTs and GETs: $replica_by_op->{LIST}, "
   . "$replica_by_op->{GET}");
is($replica_by_op->{PUT}, 0, 'and no PUT');
ok(by_op(metrics($pport), 'backup')->{PUT} > 0, "the primary's PUTs");

# the expositions are valid for Prometheus's own checker: both
# jobrunners' (the primary's with the hot databases' lines) and the
# module's, after a page view and a page cache hit
$primary->{server} = "location = /_metrics { blog_metrics; }\n";
$primary->start;
$primary->get('/posts/hello') for 1 .. 2;
my $module = $primary->get('/_metrics')->{body} // '';
like($module, qr/^nginx_blog_requests_total\{status="200"\} \d+$/m,
     "the module's metrics");
like(metrics($pport), qr/^jobrunner_backup_hot_copies_total\{db="queue\.db"\} [1-9]/m,
     "the primary's hot database copies");
my ($promtool) = grep { -x } $ENV{PROMTOOL} // (),
    map { "$_/promtool" } split /:/, $ENV{PATH};
SKIP: {
    skip 'no promtool (Debian: prometheus; or set PROMTOOL)', 3
        unless $promtool;
    for my $src ([replica => metrics($mport)], [primary => metrics($pport)],
                 [module => $module])
    {
        my $file = "$replica->{dir}/metrics-$src->[0].txt";
        write_file($file, $src->[1]);
        my $out = `$promtool check metrics < $file 2>&1`;
        is($?, 0, "promtool check metrics: the $src->[0]'s") or diag $out;
    }
}
$primary->stop;

# --- configuration -------------------------------------------------------

my $file = "$replica->{dir}/conf/bad.conf";
write_file($file, $replica->jobrunner_conf($s3->conf
    . "[replica]\npoll_ms = 500\npoll_max_ms = 100\n"));
like(scalar `$bin -t -c $file 2>&1`,
     qr/bad\.conf:\d+: \[replica\] poll_max_ms 100 is less than poll_ms 500/,
     'poll_max_ms below poll_ms is an error');
write_file($file, $replica->jobrunner_conf($s3->conf
    . "[replica]\nwatch_ms = 500\nwatch_max_ms = 400\n"));
like(scalar `$bin -t -c $file 2>&1`,
     qr/bad\.conf:\d+: \[replica\] watch_max_ms 400 is less than watch_ms 500/,
     'watch_max_ms below watch_ms is an error');

$replica->stop_jobrunner;
$primary->stop_jobrunner;

# --- with NATS: segments announced, fetched by name, no LIST ---------------

SKIP: {
    skip 'nats-server not installed', 36 unless -x $BlogNats::SERVER;

    my $nats = start_nats();
    my $nprefix = 'nats/data.db';
    my $p2 = new_site(posts => {
        'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n" });
    sql($p2->db, 'CREATE TABLE n (id INTEGER PRIMARY KEY, t INTEGER)');
    my $p2port = free_port();
    $p2->start_jobrunner("metrics_listen = 127.0.0.1:$p2port\n"
        . $s3->conf(max_attempts => 3, timeout => '5s')
        . "[backup]\nprefix = $nprefix\ninterval_ms = 50\n"
        . "hot_databases = off\nheartbeat_ms = 1000\n"
        . "[nats]\nurl = " . $nats->url . "\nrole = consumer\nnode = p2\n");
    ok(wait_for(sub { grep { /\.ok$/ } $s3->keys("$nprefix/") }, 20),
       'NATS: the primary has a snapshot') or diag $p2->jobrunner_log;

    my $r2 = new_site(no_db => 1);
    mkdir "$r2->{dir}/spool";
    my $r2port = free_port();
    $r2->start_jobrunner("metrics_listen = 127.0.0.1:$r2port\n"
        . "spool_dir = $r2->{dir}/spool\n"
        . $s3->conf(max_attempts => 3, timeout => '5s')
        . "[replica]\nprefix = $nprefix\npoll_ms = $poll_ms\n"
        . "poll_max_ms = $poll_max_ms\n"
        . "[nats]\nurl = " . $nats->url . "\nrole = publisher\nnode = r2\n");
    sub nrows { sql($r2->db, 'SELECT count(*) FROM n') // '' }
    ok(wait_for(sub { nrows() eq '0'
                      && $r2->jobrunner_log =~ /segments announced on "blog\.backup" are fetched by name/ },
                20), 'the replica follows and listens to the announcements')
        or diag $r2->jobrunner_log;

    # after start-up catch-up: writes for 3 s, applied with no LIST.  The
    # window opens on an announced write: a replica that heard nothing for
    # poll_max_ms looks once, and the primary's data.db, which now changes
    # with content only, may have been quiet that long
    sql($p2->db, 'INSERT INTO n (t) VALUES (0)');
    ok(wait_for(sub { nrows() eq '1' }, 10), 'a first write is applied')
        or diag $r2->jobrunner_log;
    # and the replica settled: a write found by a look (not announced) is
    # followed by one more look, in case more waited; on a loaded machine
    # that one can come after the row is visible
    my $settled = sub {
        my $n = grep { $_->{agent} =~ /\(replica\)/ } $s3->requests;
        sleep 0.5;
        $n == grep { $_->{agent} =~ /\(replica\)/ } $s3->requests;
    };
    wait_for($settled, 10);
    my $from = () = $s3->requests;
    for my $i (1 .. 30) {
        sql($p2->db, 'INSERT INTO n (t) VALUES (' . int(time * 1000) . ')');
        sleep 0.1;
    }
    my $t_last = time;
    ok(wait_for(sub { nrows() eq '31' }, 10), 'the replica applied 30 '
       . 'writes more') or diag $r2->jobrunner_log;
    my $lag = time - $t_last;
    my @window = ($s3->requests)[$from .. scalar($s3->requests) - 1];
    my @mine = grep { $_->{agent} =~ /\(replica\)/ } @window;
    my $lists = grep { $_->{op} eq 'LIST' } @mine;
    my $gets = grep { $_->{op} eq 'GET' } @mine;
    is($lists, 0, "no LIST by the replica over the writes ($gets GETs)")
        or diag $r2->jobrunner_log;
    ok($gets >= 1, 'each segment fetched by name');
    ok($lag < 2, sprintf('the last write applied %.2f s after it', $lag));
    like(metrics($r2port) // '',
         qr/^jobrunner_replica_announced_segments_total [1-9]/m,
         'counted as announced segments');
    like(metrics($p2port) // '', qr/^jobrunner_backup_announced_total [1-9]/m,
         'and on the primary as announced');

    # idle: the primary repeats its last announcement every heartbeat_ms,
    # so the replica, which would look by itself after poll_max_ms without
    # a word, sends no LIST at all
    $from = () = $s3->requests;
    sleep($poll_max_ms / 1000 * 2 + 1);
    @window = ($s3->requests)[$from .. scalar($s3->requests) - 1];
    $lists = grep { $_->{op} eq 'LIST' && $_->{agent} =~ /\(replica\)/ }
        @window;
    is($lists, 0, sprintf('idle for %.0f s (poll_max_ms %d): no LIST by the '
       . 'replica', $poll_max_ms / 1000 * 2 + 1, $poll_max_ms));
    like(metrics($p2port) // '',
         qr/^jobrunner_backup_announce_repeats_total [1-9]/m,
         'the primary repeated its last announcement meanwhile');
    # and hearing that it is current, it does not report the time since
    # its last look as lag (that would be 4 s here, past poll_max_ms)
    my ($rlag) = (metrics($r2port) // '')
        =~ /^jobrunner_replica_lag_seconds ([\d.]+)$/m;
    ok(defined $rlag && $rlag < 2, 'idle and current by the repeated '
       . 'announcements: jobrunner_replica_lag_seconds '
       . ($rlag // 'missing'));

    # NATS stopped: the replica heals by polling
    $nats->stop;
    sql($p2->db, 'INSERT INTO n (t) VALUES (0)') for 1 .. 3;
    ok(wait_for(sub { nrows() eq '34' }, $poll_max_ms / 1000 * 3 + 5),
       'NATS stopped: the writes reach the replica by polling')
        or diag $r2->jobrunner_log;

    # NATS back: announcements again, after a look to catch up
    $nats->start;
    ok(wait_for(sub {
        sql($p2->db, 'INSERT INTO n (t) VALUES (1)');
        my ($n) = (metrics($r2port) // '')
            =~ /^jobrunner_replica_announced_segments_total (\d+)/m;
        sleep 0.5;
        ($n // 0) < ((metrics($r2port) // '')
            =~ /^jobrunner_replica_announced_segments_total (\d+)/m)[0]
    }, 30), 'NATS back: segments fetched by name again')
        or diag $r2->jobrunner_log;
    my $count = sql($p2->db, 'SELECT count(*) FROM n');
    ok(wait_for(sub { nrows() eq $count }, 10), "all $count rows applied");

    # --- the primary restarted with nothing to write --------------------
    # it kept its last announcement in local_dir (once the copy was idle
    # and all of it stored) and repeats it from its start: an idle replica
    # sends no LIST.  First after a clean stop, then after a kill -9.  Its
    # nginx keeps data.db open meanwhile, as on a site: the WAL stays, and
    # the generation goes on.
    $p2->start;
    $p2->get('/posts/hello');
    my $p2conf = "metrics_listen = 127.0.0.1:$p2port\n"
        . $s3->conf(max_attempts => 3, timeout => '5s')
        . "[backup]\nprefix = $nprefix\ninterval_ms = 50\n"
        . "hot_databases = off\nheartbeat_ms = 1000\n"
        . "[nats]\nurl = " . $nats->url . "\nrole = consumer\nnode = p2\n";
    my $saved = $p2->db . '-backup/announced';
    my $replica_metric = sub {
        my ($name) = @_;
        ((metrics($r2port) // '') =~ /^jobrunner_replica_\Q$name\E (\d+)/m)[0]
            // 0;
    };
    my $rows_of = sub { sql($_[0], 'SELECT group_concat(id || ":" || t) FROM '
                            . '(SELECT * FROM n ORDER BY id)') // '' };
    my $newest = sub { (sort grep { m{/wal/} } $s3->keys("$nprefix/"))[-1]
                       // '' };
    my $replica_lists = sub {
        my ($from) = @_;
        my @w = ($s3->requests)[$from .. scalar($s3->requests) - 1];
        scalar grep { $_->{op} eq 'LIST' && $_->{agent} =~ /\(replica\)/ } @w;
    };
    my $idle = $poll_max_ms / 1000 * 2 + 1;
    for my $how (['TERM', 'a clean stop'], ['KILL', 'a kill -9']) {
        my ($signal, $what) = @$how;
        # written once a look found nothing new and everything copied was
        # stored: it names the newest segment in the bucket
        ok(wait_for(sub { ((((read_file($saved) // '') =~ /^(\S+)/)[0])
                           // '') eq $newest->() }, 10),
           "before $what: the last announcement saved in local_dir names "
           . 'the newest segment') or diag read_file($saved);
        wait_for($settled, 10);
        $p2->stop_jobrunner($signal);
        my $log_at = length $p2->jobrunner_log;
        $p2->start_jobrunner($p2conf);
        # the window opens at its first repeat, sent once NATS is up (a
        # restart slower than poll_max_ms, as under valgrind, is a silence
        # that long: the replica looks once, as it should)
        ok(wait_for(sub { (metrics($p2port) // '')
                          =~ /^jobrunner_backup_announce_repeats_total [1-9]/m },
                    10), "after $what: repeated at once from its start")
            or diag $p2->jobrunner_log;
        my $current = $replica_metric->('announced_current_total');
        $from = () = $s3->requests;
        sleep $idle;
        is($replica_lists->($from), 0, sprintf('after %s, idle for %.0f s '
           . '(poll_max_ms %d): no LIST by the replica', $what, $idle,
           $poll_max_ms)) or diag $p2->jobrunner_log;
        like(substr($p2->jobrunner_log, $log_at),
             qr/repeating the last announcement of the run before/,
             "after $what: the primary repeats the last one of its run "
             . 'before') or diag $p2->jobrunner_log;
        my $heard = $replica_metric->('announced_current_total') - $current;
        ok($heard >= $idle / 2, "after $what: the replica heard $heard "
           . 'repeats, each saying it is current');

        # a new write follows the saved one: announced with it as PREV, so
        # the replica fetches it by name, no LIST
        my $segs = $replica_metric->('announced_segments_total');
        $from = () = $s3->requests;
        sql($p2->db, 'INSERT INTO n (t) VALUES (2)');
        $count++;
        ok(wait_for(sub { nrows() eq $count }, 10),
           "after $what: a new write reaches the replica")
            or diag $r2->jobrunner_log;
        is($replica_lists->($from), 0, "after $what: by its announcement, "
           . 'no LIST');
        is($replica_metric->('announced_segments_total'), $segs + 1,
           "after $what: one segment fetched by name");
    }

    # --- the primary restarted into a new generation --------------------
    # written while nothing had data.db open, and checkpointed: the WAL
    # does not continue from the saved position, so a new generation
    # begins, and the saved announcement, of the old one, is not repeated
    # (a replica that applied it would take it for "current" and never
    # look).  What is repeated is the new generation's snapshot marker: a
    # replica of the old one looks at the bucket on it, restores the new
    # generation, ends with the primary's rows, and then is current by it.
    wait_for(sub { ((((read_file($saved) // '') =~ /^(\S+)/)[0]) // '')
                   eq $newest->() }, 10);
    is($p2->stop_jobrunner, 0, 'the primary stops cleanly');
    $p2->stop;
    sql($p2->db, 'INSERT INTO n (t) VALUES (3); INSERT INTO n (t) VALUES (4);'
        . ' PRAGMA wal_checkpoint(TRUNCATE);');
    my $restores = $replica_metric->('restores_total');
    my $log_at = length $p2->jobrunner_log;
    $p2->start_jobrunner($p2conf);
    $p2->start;
    ok(wait_for(sub { substr($p2->jobrunner_log, $log_at)
                      =~ /new generation \S+: the WAL does not continue/ },
                10), 'a new generation begins at the start')
        or diag $p2->jobrunner_log;
    ok(wait_for(sub { $rows_of->($r2->db) eq $rows_of->($p2->db) },
                $poll_max_ms / 1000 * 3 + 10),
       'the replica ends with the primary\'s rows')
        or diag $r2->jobrunner_log;
    ok($replica_metric->('restores_total') > $restores,
       'by restoring the new generation');
    unlike(substr($p2->jobrunner_log, $log_at),
           qr/repeating the last announcement of the run before/,
           'the old generation\'s last announcement is not repeated');
    like(substr($p2->jobrunner_log, $log_at),
         qr/nothing stored of generation \S+ past its snapshot: its marker is repeated/,
         'the new generation\'s snapshot marker is');
    wait_for($settled, 10);
    $from = () = $s3->requests;
    sleep $idle;
    is($replica_lists->($from), 0, sprintf('then idle for %.0f s: no LIST '
       . 'by the replica', $idle)) or diag $r2->jobrunner_log;
    sql($p2->db, 'INSERT INTO n (t) VALUES (5)');
    ok(wait_for(sub { $rows_of->($r2->db) eq $rows_of->($p2->db) }, 10),
       'and a write after it reaches the replica')
        or diag $r2->jobrunner_log;

    is($r2->stop_jobrunner, 0, 'the replica stops cleanly')
        or diag $r2->jobrunner_log;
    is($p2->stop_jobrunner, 0, 'the primary too');
}

done_testing;
