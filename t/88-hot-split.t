#!/usr/bin/perl
#
# Content and hot state apart (lib/blog_split.h): page views counted by a
# real jobrunner land in analytics.db and leave data.db as it was, so the
# page cache keeps hitting through the traffic; a content edit still moves
# it.  Jobs queued with content go through data.db's outbox into queue.db,
# exactly once even when the jobrunner is killed between the two commits.
# A data.db of schema 9 with analytics and jobs rows gives exactly those
# rows to the new files, also when the move is cut short and run again.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;
use BlogAdmin;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $site = admin_site(posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
});
my $d = $site->dir;
my $db = $site->db;
my $sock = "$d/events.sock";
mkdir "$d/spool" or die "mkdir: $!";

$site->{http} = "blog_events unix:$sock;\n"
              . "    blog_events_spool $d/spool max=1m;\n"
              . "    set_real_ip_from 127.0.0.1;\n"
              . "    real_ip_header X-Forwarded-For;\n";
$site->{location} = ($site->{location} // '') . "blog_views_max_age 2s;\n";
$site->start;
$site->start_jobrunner("events_socket = $sock\nspool_dir = $d/spool\n"
                       . "batch_interval_ms = 20\n");

ok(-e "$d/analytics.db" && -e "$d/queue.db",
   'analytics.db and queue.db made beside data.db');
is(sql($db, "SELECT count(*) FROM main.sqlite_master WHERE name LIKE"
            . " 'analytics%' OR name IN ('jobs', 'timers')"), 0,
   'data.db has no analytics or jobs table');

# --- page views do not touch data.db ---------------------------------

is($site->get('/')->{headers}{'x-blog-cache'}, 'MISS', 'index: MISS');
is($site->get('/')->{headers}{'x-blog-cache'}, 'HIT', 'index: HIT');

my $version = data_version_watcher($db);
my $before = $version->();
my $wal = -s "$db-wal" // 0;

my $N = 200;
my $hits = 0;
for my $i (1 .. $N) {
    $site->get('/posts/hello', 'User-Agent' => "Reader $i",
               'X-Forwarded-For' => "10.1." . int($i / 250) . '.' . $i % 250);
    $hits++ if $i % 10 == 0 && $site->get('/')->{headers}{'x-blog-cache'} eq 'HIT';
}
is($hits, $N / 10, 'the index kept hitting the cache through the views');

# a reader's views of one page are counted as the analytics count them
# (t/45-events.t); what matters here is that they are counted at all
my ($views, $last) = (0, -1);
ok(wait_for(sub {
    ($last, $views) = ($views, sql($db, "SELECT views FROM"
        . " analytics_path_totals WHERE path = '/posts/hello'") || 0);
    sleep 0.3;
    $views > 0 && $views == $last;
}, 20), "the jobrunner counted $views views into analytics.db")
    or diag $site->jobrunner_log;
cmp_ok(sql("$d/analytics.db", "SELECT sum(views) FROM analytics_daily"),
       '>=', $views, '... its daily table too');
is($version->(), $before, "data.db's data_version did not move");
is(-s "$db-wal" // 0, $wal, "... nor did its WAL grow");
is($site->get('/')->{headers}{'x-blog-cache'}, 'HIT', 'the index: still a HIT');

# a page that shows the count is kept blog_views_max_age (2s), no longer
$site->get('/posts/hello');
my $r = $site->get('/posts/hello');
is($r->{headers}{'x-blog-cache'}, 'HIT', 'a post page is cached');
sleep 2.2;
$r = $site->get('/posts/hello');
is($r->{headers}{'x-blog-cache'}, 'MISS', '... until blog_views_max_age');
my ($shown) = $r->{body} =~ m{<span id="views"[^>]*>(\d+)</span>};
is($shown, sql($db, "SELECT views FROM analytics_path_totals"
                    . " WHERE path = '/posts/hello'"),
   "... and then shows analytics.db's count ($shown)");

# --- a content edit moves it ------------------------------------------

my ($rc, $out) = blogctl('-d', $db, 'set', 'title', 'Edited title');
is($rc, 0, 'blogctl set title') or diag $out;
isnt($version->(), $before, "data.db's data_version moved");
$r = $site->get('/');
is($r->{headers}{'x-blog-cache'}, 'MISS', 'the index: MISS after the edit');
like($r->{body}, qr/Edited title/, '... showing it');

# --- jobs queued with content: the outbox -----------------------------

sub comment {
    my ($i) = @_;
    return $site->request('POST', '/posts/hello/comments',
        'Content-Type' => 'application/x-www-form-urlencoded',
        'X-Forwarded-For' => "10.0.0.$i",
        _body => "name=Reader+$i&body=Comment+$i");
}

is(comment(1)->{status}, 303, 'a comment');
ok(wait_for(sub {
    sql($db, "SELECT count(*) FROM job_outbox") eq '0'
        && sql($db, "SELECT state, outbox_id IS NOT NULL FROM jobs"
                    . " WHERE kind = 'comment'") eq 'done|1';
}, 20), '... its job went from the outbox to queue.db and ran')
    or diag $site->jobrunner_log;
like($site->jobrunner_log, qr/new comment \d+ on "hello"/,
     '... and told the owner');

ok(wait_for(sub { sql($db, "SELECT count(*) FROM timers") > 0 }, 10),
   'the timers keep their slots in queue.db');

# killed between queue.db's commit and the outbox's delete: the state that
# leaves, made by hand, then a real kill -9 in the middle of a batch
$site->stop_jobrunner;
is(comment(2)->{status}, 303, 'a comment while the jobrunner is down');
my $outbox = sql($db, "SELECT id FROM job_outbox");
ok($outbox, "... waits in the outbox (row $outbox)");
sql($db, "INSERT INTO jobs (kind, dedupe_key, payload, run_after, created_at,"
         . " updated_at, outbox_id) SELECT kind, dedupe_key, payload,"
         . " run_after, created_at, created_at, id FROM main.job_outbox");
$site->start_jobrunner("events_socket = $sock\nspool_dir = $d/spool\n");
ok(wait_for(sub {
    sql($db, "SELECT count(*) FROM job_outbox") eq '0'
        && sql($db, "SELECT group_concat(state) FROM jobs"
                    . " WHERE outbox_id = $outbox") eq 'done';
}, 20), 'copied before the crash, moved again: one job, done')
    or diag $site->jobrunner_log;

$site->stop_jobrunner;
my $M = 40;
for my $i (3 .. $M + 2) {
    comment($i)->{status} == 303 or BAIL_OUT("comment $i refused");
}
for my $delay (0.05, 0.15, 0.3, 0.5) {
    $site->start_jobrunner("events_socket = $sock\nspool_dir = $d/spool\n");
    sleep $delay;
    $site->stop_jobrunner('KILL');
}
$site->start_jobrunner("events_socket = $sock\nspool_dir = $d/spool\n");
ok(wait_for(sub {
    sql($db, "SELECT count(*) FROM job_outbox") eq '0'
        && sql($db, "SELECT count(*) FROM jobs WHERE kind = 'comment'"
                    . " AND state != 'done'") eq '0';
}, 30), 'after four kill -9 and a restart, the outbox is empty')
    or diag $site->jobrunner_log;
is(sql($db, "SELECT count(*), count(DISTINCT outbox_id) FROM jobs"
            . " WHERE kind = 'comment'"),
   ($M + 2) . '|' . ($M + 2), "exactly one job per comment (@{[$M + 2]})");
is(sql($db, "SELECT count(*) FROM comments"), $M + 2, '... and no comment lost');
$site->stop_jobrunner;

# --- a data.db of schema 9 moves its rows, and only once -------------

my @migrations = data_migrations();
my $old = new_site(no_db => 1);
my $od = $old->dir;
my $odb = $old->db;
my $today = int(time / 86400);
my $yesterday = $today - 1;

# rows the jobrunner leaves alone: jobs due and done in 2096, timers it does not
# have, today's and yesterday's counts
sub make_v9 {
    unlink $odb, "$odb-wal", "$odb-shm", map { ("$od/$_", "$od/$_-wal",
        "$od/$_-shm") } qw(analytics.db queue.db);
    my $rows = join '',
        "INSERT INTO jobs (id, kind, dedupe_key, payload, state, attempts,",
        " run_after, created_at, updated_at) VALUES",
        " (1, 'thumb', 'thumb:a', '{}', 'done', 1, 10, 10, 4000000000),",
        " (2, 'comment', 'comment:7', '{\"x\":1}', 'queued', 0, 4000000000,",
        "  12, 12),",
        " (3, 'mail', NULL, '{}', 'dead', 5, 13, 13, 19);",
        "INSERT INTO timers VALUES ('old_a', 3600), ('old_b', 7200);",
        "INSERT INTO analytics_daily VALUES ($yesterday, 5, 3, 2, 9),",
        " ($today, 7, 4, 0, 8);",
        "INSERT INTO analytics_counts VALUES ('path', $yesterday, '/', 5),",
        " ('post', $today, 'hello', 7);",
        "INSERT INTO analytics_path_totals VALUES ('/', 5), ('/posts/hello', 7);",
        "INSERT INTO analytics_spools VALUES ('events.1', 4096);",
        "INSERT INTO analytics_visitor_hashes VALUES ($today, 1,",
        " x'00112233445566778899aabbccddeeff');",
        "INSERT INTO analytics_nats VALUES ('EVENTS', 1, 42);",
        "INSERT INTO analytics_nodes VALUES ('node-a', 3, 512);";
    my $sql = join('', @migrations[0 .. 8])
            . "PRAGMA user_version = 9; PRAGMA journal_mode = WAL;" . $rows;
    open my $fh, '|-', 'sqlite3', '-bail', $odb or die "sqlite3: $!";
    print $fh $sql;
    close $fh or die "sqlite3 $odb failed";
}

my @expect = (
    [ 'queue.db',
      "SELECT id, kind, dedupe_key, payload, state, attempts, run_after,"
      . " created_at, updated_at FROM jobs WHERE id <= 3 ORDER BY id",
      "1|thumb|thumb:a|{}|done|1|10|10|4000000000\n"
      . "2|comment|comment:7|{\"x\":1}|queued|0|4000000000|12|12\n"
      . "3|mail||{}|dead|5|13|13|19" ],
    [ 'queue.db', "SELECT * FROM timers WHERE name LIKE 'old_%' ORDER BY name",
      "old_a|3600\nold_b|7200" ],
    [ 'analytics.db',
      "SELECT (SELECT group_concat(views || ':' || visitors || ':'"
      . "   || bot_views || ':' || requests) FROM analytics_daily),"
      . " (SELECT group_concat(dim || ':' || key || ':' || n)"
      . "   FROM analytics_counts),"
      . " (SELECT group_concat(path || ':' || views)"
      . "   FROM analytics_path_totals),"
      . " (SELECT group_concat(file || ':' || offset) FROM analytics_spools),"
      . " (SELECT hex(hashes) FROM analytics_visitor_hashes),"
      . " (SELECT stream || ':' || seq FROM analytics_nats),"
      . " (SELECT node || ':' || file || ':' || offset FROM analytics_nodes)",
      "5:3:2:9,7:4:0:8|path:/:5,post:hello:7|/:5,/posts/hello:7|"
      . "events.1:4096|00112233445566778899AABBCCDDEEFF|EVENTS:42|node-a:3:512" ],
);

sub exact {
    my ($what) = @_;
    for my $e (@expect) {
        is(sql("$od/$e->[0]", $e->[1]), $e->[2],
           "$what: $e->[0] holds exactly the old rows");
    }
    is(sql($odb, 'PRAGMA user_version'), scalar @migrations,
       "$what: data.db at this build's schema");
    is(sql($odb, "SELECT count(*) FROM sqlite_master WHERE name LIKE"
                 . " 'analytics%' OR name IN ('jobs', 'timers')"), 0,
       "$what: without the old tables");
}

make_v9();
($rc, $out) = blogctl('-d', $odb, 'list');
isnt($rc, 0, 'a reading blogctl does not migrate schema 9');
($rc, $out) = blogctl('-d', $odb, 'init');
is($rc, 0, 'blogctl init moves and migrates') or diag $out;
exact('blogctl');

# Cut short after analytics.db committed and before queue.db did (the copy
# commits one file after the other), data.db still at 9 and changed since:
# the new files as a first move left them, queue.db emptied, a count in
# analytics.db stale.
my $keep = "$od/keep";
mkdir $keep or die "mkdir: $!";
for my $f (qw(analytics.db queue.db)) {
    sql("$od/$f", 'PRAGMA wal_checkpoint(TRUNCATE)');
    rename "$od/$f", "$keep/$f" or die "rename: $!";
}
make_v9();
for my $f (qw(analytics.db queue.db)) {
    unlink "$od/$f-wal", "$od/$f-shm";
    rename "$keep/$f", "$od/$f" or die "rename: $!";
}
sql("$od/queue.db", 'DELETE FROM jobs; DELETE FROM timers');
sql("$od/analytics.db", "UPDATE analytics_path_totals SET views = 1");
$old->start_jobrunner('');
exact('a move cut short, run again by the jobrunner');
$old->stop_jobrunner;

# a real kill -9 of the jobrunner as it starts and moves, three times
make_v9();
write_file("$od/conf/jobrunner.conf", $old->jobrunner_conf(''));
for my $delay (0.002, 0.01, 0.03) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>>', "$od/logs/jobrunner.stderr";
        open STDERR, '>&', \*STDOUT;
        { exec jobrunner_command(), '-c', "$od/conf/jobrunner.conf" }
        POSIX::_exit(127);
    }
    sleep $delay;
    kill 'KILL', $pid;
    waitpid $pid, 0;
}
unlink "$od/logs/jobrunner.pid";
$old->start_jobrunner('');
exact('killed while moving, then run again');
$old->stop_jobrunner;

done_testing();
