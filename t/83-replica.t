#!/usr/bin/perl
#
# Replica mode: a primary (blogctl writing its data.db, a jobrunner with
# [backup] to s3rver) and two replica nodes (own folders, own nginx and
# jobrunner with [replica] on the same bucket).  A post published on the
# primary is served by both replicas within a second; an edit and a delete
# propagate; the primary's WAL restarts propagate; pages read during a
# stream of writes are never errors nor torn; a replica killed with
# SIGKILL and started again from an empty folder catches up; a new
# generation of the primary is followed; [replica] errors.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX qw(WNOHANG _exit);
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;
use BlogS3;

my $bin = "$BlogTest::BUILD/jobrunner";
-x $bin or BAIL_OUT('jobrunner not built: run make');

my $prefix = 'blog/data.db';
my $s3 = start_s3rver();

my $primary = new_site(posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nFirst post.\n",
});
my $pdb = $primary->db;
my $pport = free_port();

$primary->start_jobrunner("metrics_listen = 127.0.0.1:$pport\n"
    . $s3->conf(max_attempts => 3, timeout => '5s')
    . "[backup]\nprefix = $prefix\ninterval_ms = 50\ncheckpoint_pages = 100\n");
ok(wait_for(sub { grep { /\.ok$/ } $s3->keys("$prefix/") }, 20),
   'the primary has a complete snapshot in the bucket')
    or diag $primary->jobrunner_log;

sub replica_conf {
    my ($node) = @_;
    return "metrics_listen = 127.0.0.1:$node->{mport}\n"
        . $s3->conf(max_attempts => 3, timeout => '5s')
        . "[replica]\nprefix = $prefix\npoll_ms = 50\npoll_max_ms = 200\n"
        . "checkpoint_pages = 50\n"
        . "lag_alert = 30s\n";
}

sub start_replica {
    my ($node) = @_;
    $node->{site}->start_jobrunner(replica_conf($node));
}

sub metric {
    my ($port, $name) = @_;
    my $r = eval { http_request($port, 'GET', '/metrics') } or return undef;
    return $r->{body} =~ /^\Q$name\E (\S+)$/m ? $1 : undef;
}

my @replicas;
for my $i (1, 2) {
    # a reader that comes while the follower rebuilds the wal-index waits
    # for it (milliseconds) rather than answer 503: docs/replica.md
    my $site = new_site(no_db => 1, http => 'blog_busy_timeout 1s;');
    my $node = { site => $site, mport => free_port(), name => "replica $i" };
    start_replica($node);
    $site->start;
    push @replicas, $node;
}

for my $node (@replicas) {
    my $site = $node->{site};
    like($site->jobrunner_log, qr/replica: no \S+data\.db: restoring it/,
         "$node->{name}: a cold start restores data.db");
    my $r = $site->get('/posts/hello');
    is($r->{status}, 200, "$node->{name}: serves the primary's post")
        or diag $site->error_log . $site->jobrunner_log;
    like($r->{body}, qr/First post/, "$node->{name}: its body");
}

# Within $limit seconds every replica answers $path with $want (a status,
# and a body pattern for a 200); returns the slowest time.
sub propagates {
    my ($path, $status, $body, $what, $limit) = @_;
    my $t0 = time;
    my $slowest = 0;
    for my $node (@replicas) {
        my $ok = wait_for(sub {
            my $r = $node->{site}->get($path);
            $r->{status} == $status && (!$body || $r->{body} =~ $body)
        }, 10);
        my $t = time - $t0;
        $slowest = $t if $t > $slowest;
        ok($ok, "$node->{name}: $what") or diag $node->{site}->jobrunner_log;
    }
    ok($slowest < ($limit // 1), sprintf('%s: on every replica within %.0f s '
       . '(%.2f s)', $what, $limit // 1, $slowest));
    return $slowest;
}

# --- publish, edit, delete ------------------------------------------------

$primary->import_posts({
    'news.md' => "---\ntitle: News\ndate: 2026-10-02\n---\nBrand new.\n" });
propagates('/posts/news', 200, qr/Brand new/, 'a new post');

$primary->import_posts({
    'news.md' => "---\ntitle: News\ndate: 2026-10-02\n---\nEdited text.\n" });
propagates('/posts/news', 200, qr/Edited text/, 'an edit');

sql($pdb, "PRAGMA foreign_keys = ON; DELETE FROM posts WHERE slug = 'news'");
propagates('/posts/news', 404, undef, 'a delete');

# --- many writes, the primary's WAL restarts, readers all along ----------

# readers on both replicas while the primary writes: every answer a whole
# page, never an error
my $stop = "$replicas[0]{site}{dir}/stop-readers";
my @readers;
for my $node (@replicas) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my ($n, $bad) = (0, 0);
        my $report = '';
        while (!-e $stop) {
            for my $path ('/', '/posts/hello') {
                my $r = eval { $node->{site}->get($path) };
                $n++;
                if (!$r || $r->{status} != 200 || $r->{body} !~ m{</html>}) {
                    $bad++;
                    $report .= ($r ? $r->{status} : 'no answer') . " $path\n"
                        if $bad < 5;
                }
            }
        }
        write_file("$node->{site}{dir}/readers", "$n $bad\n$report");
        _exit(0);
    }
    push @readers, $pid;
}

sql($pdb, 'CREATE TABLE load (id INTEGER PRIMARY KEY, v TEXT)');
my $script = ".timeout 10000\n";
for my $i (1 .. 600) {
    $script .= "BEGIN IMMEDIATE; INSERT INTO load (v) VALUES "
        . "(hex(randomblob(500))); COMMIT;\n";
}
for my $batch (1 .. 4) {
    open my $fh, '|-', 'sqlite3', $pdb or die "sqlite3: $!";
    print $fh $script;
    close $fh or die 'sqlite3 failed';
    $primary->import_posts({ "load$batch.md" =>
        "---\ntitle: Load $batch\ndate: 2026-10-1$batch\n---\nBatch $batch.\n" });
}
my $rows = sql($pdb, 'SELECT count(*) || \' \' || sum(length(v)) FROM load');

propagates('/posts/load4', 200, qr/Batch 4/, 'the last of 2400 writes',
           10);
for my $node (@replicas) {
    ok(wait_for(sub {
        sql($node->{site}->db, 'SELECT count(*) || \' \' || sum(length(v)) '
            . 'FROM load') eq $rows }, 10),
       "$node->{name}: every row of the load ($rows)");
}

write_file($stop, '');
waitpid($_, 0) for @readers;
for my $node (@replicas) {
    my ($n, $bad, $report) = split /\s+/, read_file("$node->{site}{dir}/readers"),
        3;
    ok($n > 20, "$node->{name}: $n pages read during the writes");
    is($bad, 0, "$node->{name}: none was an error or cut") or diag $report,
        grep { /\[(error|alert|crit)\]/ } split /^/, $node->{site}->error_log;
}

# the primary's backup restarts its WAL when a writer lets it: small
# writes until it has, then one more post, which must follow
sub max_index {
    my @idx = map { m{/wal/([0-9a-f]{8})-} ? hex $1 : () }
        $s3->keys("$prefix/");
    my ($max) = sort { $b <=> $a } @idx;
    return $max // 0;
}
ok(wait_for(sub {
    sql($pdb, "INSERT INTO load (v) VALUES (hex(randomblob(2000)))");
    max_index() >= 1 }, 30),
   "the primary's WAL restarted (index " . max_index() . ')');
$primary->import_posts({ 'restart.md' =>
    "---\ntitle: Restart\ndate: 2026-10-19\n---\nAfter a restart.\n" });
propagates('/posts/restart', 200, qr/After a restart/,
           'a post after the restart', 5);
$rows = sql($pdb, 'SELECT count(*) || \' \' || sum(length(v)) FROM load');
for my $node (@replicas) {
    is(sql($node->{site}->db, 'SELECT count(*) || \' \' || sum(length(v)) '
           . 'FROM load'), $rows, "$node->{name}: every row again ($rows)");
}

for my $node (@replicas) {
    my $site = $node->{site};
    ok(metric($node->{mport}, 'jobrunner_replica_checkpoints_total') >= 1,
       "$node->{name}: its own WAL was checkpointed");
    my $lag = metric($node->{mport}, 'jobrunner_replica_lag_seconds');
    ok(defined $lag && $lag < 5, "$node->{name}: lag on /metrics ($lag s)");
    like(metric($node->{mport},
                'jobrunner_replica_transactions_total'), qr/^\d+$/,
         "$node->{name}: transactions counted");
    is(sql($site->db, 'PRAGMA integrity_check'), 'ok',
       "$node->{name}: integrity_check");
    unlike($site->jobrunner_log, qr/\[error\]/,
           "$node->{name}: no error logged") or diag $site->jobrunner_log;
}

# --- SIGKILL, restart from an empty folder --------------------------------

# its nginx keeps running: the module opens the new data.db
my $victim = $replicas[1];
my $vsite = $victim->{site};
$vsite->stop_jobrunner('KILL');
unlink glob("$vsite->{dir}/data.db*");
system('rm', '-rf', "$vsite->{dir}/data.db-replica");

$primary->import_posts({
    'later.md' => "---\ntitle: Later\ndate: 2026-10-20\n---\nWhile away.\n" });
start_replica($victim);
# the post may reach the bucket after the restore: then it follows
ok(wait_for(sub { $vsite->get('/posts/later')->{status} == 200 }, 10),
   'a replica restarted from an empty folder catches up')
    or diag $vsite->jobrunner_log;
is(sql($vsite->db, 'SELECT count(*) FROM load'),
   sql($pdb, 'SELECT count(*) FROM load'), 'with every row');
like($vsite->error_log, qr/blog database "\S+" was replaced: opening it again/,
     'its nginx, still running, opened the new file');

# a kill -9 while it applies, a restart in place: nothing lost or doubled
$primary->import_posts({
    'kill.md' => "---\ntitle: Kill\ndate: 2026-10-21\n---\nKilled.\n" });
open my $fh, '|-', 'sqlite3', $pdb or die "sqlite3: $!";
print $fh $script;
close $fh or die 'sqlite3 failed';
$vsite->stop_jobrunner('KILL');
start_replica($victim);
propagates('/posts/kill', 200, qr/Killed/, 'after a kill -9 in place', 10);
ok(wait_for(sub { sql($vsite->db, 'SELECT count(*) FROM load')
                  eq sql($pdb, 'SELECT count(*) FROM load') }, 10),
   'the killed replica has every row');
is(sql($vsite->db, 'PRAGMA integrity_check'), 'ok', 'integrity_check');

# --- a write on a replica is undone ----------------------------------------

my $rdb = $replicas[0]{site}->db;
sql($rdb, "INSERT INTO load (v) VALUES ('local')");
$primary->import_posts({
    'after.md' => "---\ntitle: After\ndate: 2026-10-21\n---\nAfter it.\n" });
propagates('/posts/after', 200, qr/After it/, 'after a write on a replica',
           10);
ok(wait_for(sub { sql($rdb, "SELECT count(*) FROM load WHERE v = 'local'")
                  eq '0' }, 10), 'the replica\'s own write is undone');
like($replicas[0]{site}->jobrunner_log, qr/data\.db was written on this replica/,
     'and logged');
is(sql($rdb, 'SELECT count(*) FROM load'), sql($pdb, 'SELECT count(*) FROM load'),
   'it has the primary\'s rows');

# --- a new generation of the primary ---------------------------------------

my $restores = () = $replicas[0]{site}->jobrunner_log =~ /restored generation/g;
$primary->stop_jobrunner;
# another process restarts the WAL while the primary's jobrunner is away
sql($pdb, 'PRAGMA wal_checkpoint(TRUNCATE)');
$primary->import_posts({
    'gen.md' => "---\ntitle: Gen\ndate: 2026-10-22\n---\nNew generation.\n" });
$primary->start_jobrunner("metrics_listen = 127.0.0.1:$pport\n"
    . $s3->conf(max_attempts => 3, timeout => '5s')
    . "[backup]\nprefix = $prefix\ninterval_ms = 50\ncheckpoint_pages = 100\n");
propagates('/posts/gen', 200, qr/New generation/,
           'a new generation of the primary', 20);
# its log line comes a moment after the data
ok(wait_for(sub {
    my $now = () = $replicas[0]{site}->jobrunner_log =~ /restored generation/g;
    $now > $restores }, 10), 'the replica restored it in place');
like($replicas[0]{site}->jobrunner_log, qr/the primary began a new generation/,
     'and said why');

# --- a cold start before the primary's first snapshot is complete --------

# the replica starts first: nothing under its prefix, no complete
# snapshot; it tries again (0.5 s, 1 s, 2 s, ...) instead of failing, and
# starts once the primary has stored its snapshot and the segments up to
# its bound
{
    my $cold = 'cold/data.db';
    my $early = new_site(no_db => 1);
    my $d = $early->{dir};
    write_file("$d/conf/jobrunner.conf", $early->jobrunner_conf(
        $s3->conf(max_attempts => 3, timeout => '5s')
        . "[replica]\nprefix = $cold\npoll_ms = 50\npoll_max_ms = 200\n"));
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>>', "$d/logs/jobrunner.stderr" or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        exec BlogTest::jobrunner_command(), '-c', "$d/conf/jobrunner.conf"
            or POSIX::_exit(127);
    }
    $early->{jobrunner} = $pid;
    ok(wait_for(sub { $early->jobrunner_log =~ /cannot restore \S+ yet \(try 2 /
                      || waitpid($pid, WNOHANG) }, 20),
       'a replica started before any snapshot waits and tries again')
        or diag $early->jobrunner_log;
    ok(!-e "$d/logs/jobrunner.pid" && kill(0, $pid),
       'it has not started (no pid file) and runs on');

    my $late = new_site(posts => {
        'cold.md' => "---\ntitle: Cold\ndate: 2026-10-23\n---\nCold start.\n",
    });
    $late->start_jobrunner($s3->conf(max_attempts => 3, timeout => '5s')
        . "[backup]\nprefix = $cold\ninterval_ms = 50\n");
    ok(wait_for(sub { -s "$d/logs/jobrunner.pid" }, 60),
       'it starts once the primary has stored its first snapshot')
        or diag $early->jobrunner_log;
    is(sql($early->db, "SELECT title FROM posts WHERE slug = 'cold'"), 'Cold',
       'with the primary\'s data');
    sql($late->db, "UPDATE posts SET title = 'Warm' WHERE slug = 'cold'");
    ok(wait_for(sub { (sql($early->db, "SELECT title FROM posts WHERE slug "
                           . "= 'cold'") // '') eq 'Warm' }, 20),
       'and follows it');
    $early->stop_jobrunner;
    $late->stop_jobrunner;
}

# --- configuration ------------------------------------------------------------

sub conf_error {
    my ($text) = @_;
    my $site = $replicas[0]{site};
    my $file = "$site->{dir}/conf/bad.conf";
    write_file($file, $site->jobrunner_conf($text));
    my $out = `$bin -t -c $file 2>&1`;
    return $out;
}

like(conf_error("[replica]\n"), qr/bad\.conf:\d+: \[replica\] needs an \[s3\]/,
     '[replica] without [s3]');
like(conf_error($s3->conf . "[replica]\n[backup]\n"),
     qr/\[replica\] and \[backup\] exclude each other/, 'with [backup]');
like(conf_error($s3->conf . "[replica]\n[mirror]\n"),
     qr/\[replica\] and \[mirror\] exclude each other/, 'with [mirror]');
like(conf_error($s3->conf . "[replica]\npoll_ms = 5\n"),
     qr/bad\.conf:\d+: invalid poll_ms "5"/, 'a bad poll_ms');
like(conf_error($s3->conf . "[replica]\nprefix = ../x\n"),
     qr/invalid prefix/, 'a bad prefix');

for my $node (@replicas) {
    $node->{site}->stop_jobrunner;
    $node->{site}->stop;
}
$primary->stop_jobrunner;

done_testing;
