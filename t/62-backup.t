#!/usr/bin/perl
#
# Continuous backup of data.db to s3rver and "jobrunner restore": writes
# while replicating, then a restore into a fresh folder compared row for
# row; WAL restarts by the backup's checkpoints; point-in-time restore;
# kill -9 with segments waiting for upload and during checkpoints, then a
# restart; the S3 server down (retries, the lag alert, catch-up when it is
# back); retention; the restore command's refusals; [backup] errors.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;
use BlogS3;

my $bin = "$BlogTest::BUILD/jobrunner";
-x $bin or BAIL_OUT('jobrunner not built: run make');

my $s3 = start_s3rver();
my $site = new_site();
my $db = $site->db;
my $d = $site->dir;
my $out = tempdir('restore-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $mport = free_port();
my $prefix = 'blog/data.db';

sub conf {
    my (%opt) = @_;
    my $backup = "[backup]\nprefix = $prefix\ninterval_ms = 50\n"
        . "checkpoint_pages = " . ($opt{pages} // 100) . "\nlag_alert = 2s\n"
        . ($opt{backup} // '');
    return "metrics_listen = 127.0.0.1:$mport\n" . $s3->conf(max_attempts => 2,
        timeout => '5s') . $backup;
}

sub metric {
    my ($name) = @_;
    my $r = eval { http_request($mport, 'GET', '/metrics') } or return undef;
    return $r->{body} =~ /^\Q$name\E (\S+)$/m ? $1 : undef;
}

# every committed frame copied and stored
sub synced {
    sleep 0.3;
    return wait_for(sub {
        my $p = metric('jobrunner_backup_pending_segments');
        defined $p && $p == 0
    }, 30);
}

sub restore {
    my (@args) = @_;
    my $cmd = join ' ', map { quotemeta } $bin, 'restore', '-c',
        "$d/conf/jobrunner.conf", @args;
    my $text = `$cmd 2>&1`;
    return ($? >> 8, $text);
}

sub dump_table {
    my ($file, $table) = @_;
    return sql($file, "SELECT * FROM $table ORDER BY 1");
}

# $n transactions, each an insert and an update, in one sqlite3 run; as
# the module and blogctl do, BEGIN IMMEDIATE (a deferred writer waits for
# the lock holding its read, which keeps the backup's checkpoint waiting)
sub write_rows {
    my ($n, $batch) = @_;
    my $script = ".timeout 10000\n";
    for my $i (1 .. $n) {
        $script .= "BEGIN IMMEDIATE; INSERT INTO load (batch, v) VALUES ($batch, "
            . "hex(randomblob(300))); UPDATE load SET v = hex(randomblob(100))"
            . " WHERE id = (SELECT max(id) FROM load) - $i % 7; COMMIT;\n";
    }
    open my $fh, '|-', 'sqlite3', $db or die "sqlite3: $!";
    print $fh $script;
    close $fh or die "sqlite3 failed";
}

sub same_as_source {
    my ($file, $what) = @_;
    ok(dump_table($file, 'load') eq dump_table($db, 'load'),
       "$what: table load row for row") or diag
        'rows: ' . sql($file, 'SELECT count(*) FROM load') . ' restored, '
        . sql($db, 'SELECT count(*) FROM load') . ' in data.db; differing ids: '
        . sql($db, "ATTACH '$file' AS r; SELECT group_concat(id) FROM "
              . "(SELECT * FROM main.load EXCEPT SELECT * FROM r.load)");
    is(sql($file, "SELECT group_concat(sql, ';') FROM sqlite_schema"),
       sql($db, "SELECT group_concat(sql, ';') FROM sqlite_schema"),
       "$what: same schema");
    is(sql($file, 'PRAGMA integrity_check'), 'ok', "$what: integrity_check");
}

sql($db, 'CREATE TABLE load (id INTEGER PRIMARY KEY, batch INTEGER, v TEXT)');

# --- first start: a generation, its snapshot -----------------------------

$site->start_jobrunner(conf());
ok(wait_for(sub { grep { /\.ok$/ } $s3->keys("$prefix/") }, 20),
   'first start: a snapshot marked complete')
    or diag $site->jobrunner_log;
like($site->jobrunner_log, qr/backup: new generation \S+: no saved position/,
     'the log says why a generation began');
my ($gen) = $site->jobrunner_log =~ /new generation (\S+):/;

# --- writes while replicating, then restore ---------------------------------

for my $batch (101 .. 110) {
    write_rows(200, $batch);
    sleep 0.1;
}
ok(synced(), 'the backup catches up with 2000 transactions');
my @wal = grep { m{/wal/} } $s3->keys("$prefix/$gen/");
my ($maxidx) = sort { $b cmp $a } map { m{/wal/([0-9a-f]{8})-} } @wal;
ok(hex($maxidx) >= 2, "its checkpoints restarted the WAL (index $maxidx)");
ok(metric('jobrunner_backup_checkpoints_total') >= 2, 'checkpoints counted');

my ($rc, $text) = restore('-o', "$out/latest.db");
is($rc, 0, 'restore of the latest state') or diag $text;
like($text, qr/integrity_check ok/, 'it checks the result');
same_as_source("$out/latest.db", 'latest');
ok(!grep({ /ttl/ } $s3->keys('')), 'ttl.db is not in the bucket');

# --- point in time -----------------------------------------------------------

write_rows(50, 6);
synced();
sleep 1.2;
my $t = time;
my $before = dump_table($db, 'load');
sleep 1.2;
write_rows(50, 7);
synced();

($rc, $text) = restore('-t', sprintf('%.3f', $t), '-o', "$out/pit.db");
is($rc, 0, 'restore to a point in time') or diag $text;
is(dump_table("$out/pit.db", 'load'), $before,
   'exactly the rows of that time: batch 6, not batch 7');
is(sql("$out/pit.db", 'SELECT count(*) FROM load WHERE batch = 7'), 0,
   'nothing written after it');

my @lt = gmtime int $t;
my $iso = sprintf '%04d-%02d-%02dT%02d:%02d:%02dZ', $lt[5] + 1900, $lt[4] + 1,
    @lt[3, 2, 1, 0];
($rc, $text) = restore('-t', $iso, '-o', "$out/pit2.db");
is($rc, 0, "an ISO 8601 time ($iso) works too") or diag $text;

($rc, $text) = restore('-o', "$out/latest.db");
is($rc, 1, 'an existing output is refused');
like($text, qr/latest\.db exists; give -f to replace it/, 'saying how');
($rc, $text) = restore('-f', '-o', "$out/latest.db");
is($rc, 0, '-f replaces it') or diag $text;
($rc, $text) = restore('-t', 'yesterday', '-o', "$out/x.db");
like($text, qr/invalid time "yesterday"/, 'a bad time is refused');
($rc, $text) = restore('-t', '1000000000', '-o', "$out/x.db");
is($rc, 1, 'a time before any snapshot: refused');
like($text, qr/no complete snapshot .* at or before 2001-09-09/, 'it says so');
ok(!-e "$out/x.db" && !-e "$out/x.db.tmp", 'and leaves no file');

# --- kill -9 with segments waiting for the bucket -----------------------

$s3->fail(1000, 503, 'SlowDown');
write_rows(100, 8);
ok(wait_for(sub { (metric('jobrunner_backup_pending_segments') // 0) > 0 }, 10),
   'S3 refusing: segments wait in local_dir');
$site->stop_jobrunner('KILL');
$s3->fail(0, 0, 'none');
my @pending_files = glob("$d/data.db-backup/pending/*.wal");
my $pending = @pending_files;
ok($pending > 0, "after kill -9, $pending segment files are left");

my $reqs = () = $s3->requests;
$site->start_jobrunner(conf());
ok(synced(), 'restarted: they are uploaded');
# those of one WAL index (each starts where the one before ends) go as
# one PUT, under the first one's key: waiting segments do not each wait
# for a PUT of their own.  Frames copied after the restart make segments
# of their own, not counted here.
my @after = ($s3->requests)[$reqs .. scalar($s3->requests) - 1];
my %by_index;
for my $file (@pending_files) {
    my ($index) = $file =~ m{_([0-9a-f]{8})-[0-9a-f]{12}-\d{13}\.wal\z} or next;
    push @{ $by_index{$index} }, $file =~ m{_([^_/]+)\z};
}
my ($groups, $put_groups) = (0, 0);
for my $names (grep { @$_ > 1 } values %by_index) {
    my %name = map { $_ => 1 } @$names;
    my $puts = grep { $_->{op} eq 'PUT' && $_->{key} =~ m{/wal/([^/]+)\z}
                      && $name{$1} } @after;
    $groups++;
    $put_groups++ if $puts == 1;
}
SKIP: {
    skip 'no two segments of one WAL index were left waiting', 1
        unless $groups;
    is($put_groups, $groups, "the $pending segments left: those of one WAL "
       . 'index stored in one PUT') or diag join "\n", @pending_files, '',
        map { "$_->{op} $_->{key}" } @after;
}
like($site->jobrunner_log, qr/backup: generation \Q$gen\E, index \d+, offset \d+: going on/,
     'in the same generation, from the saved position');
($rc, $text) = restore('-f', '-o', "$out/kill1.db");
is($rc, 0, 'restore after the kill') or diag $text;
same_as_source("$out/kill1.db", 'after kill -9 mid-upload');

# --- kill -9 during checkpoints, under load ------------------------------

$site->stop_jobrunner;
$site->start_jobrunner(conf(pages => 10));
for my $round (1 .. 3) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        write_rows(300, 10 + $round);
        POSIX::_exit(0);
    }
    sleep 0.2 + rand 0.3;
    $site->stop_jobrunner('KILL');
    waitpid $pid, 0;
    is($?, 0, "round $round: the writer committed while the jobrunner died");
    $site->start_jobrunner(conf(pages => 10));
}
ok(synced(), 'after three kills, the backup catches up');
($rc, $text) = restore('-f', '-o', "$out/kill2.db");
is($rc, 0, 'restore after kills during checkpoints') or diag $text;
same_as_source("$out/kill2.db", 'after kill -9 mid-checkpoint');

# --- the S3 server down -------------------------------------------------------

# A loaded machine may have raised (and cleared) a lag alert while the
# jobrunner caught up above: only what comes after S3 stops counts.
my $log_from = length $site->jobrunner_log;
my $alerts = metric('jobrunner_alerts_total{kind="backup.lag"}') // 0;
$s3->stop;
write_rows(100, 20);
ok(wait_for(sub { substr($site->jobrunner_log, $log_from)
                      =~ /alert backup\.lag: replication of .* behind/ }, 20),
   'S3 down: the lag alert is raised') or diag $site->jobrunner_log;
like(substr($site->jobrunner_log, $log_from),
     qr/cannot store segment .*ConnectFailed/,
     'the failed uploads are logged with the reason');
ok(metric('jobrunner_backup_lag_seconds') > 2, 'the lag metric shows it');
is(metric('jobrunner_alerts_total{kind="backup.lag"}'), $alerts + 1,
   'and the alert counter');
ok(metric('jobrunner_backup_failures_total') > 0, 'failures counted');

$s3->start;
ok(wait_for(sub { $site->jobrunner_log =~ /backup: caught up/ }, 40),
   'S3 back: caught up') or diag $site->jobrunner_log;
ok(synced(), 'nothing left waiting');
($rc, $text) = restore('-f', '-o', "$out/down.db");
is($rc, 0, 'restore after the outage') or diag $text;
same_as_source("$out/down.db", 'after the outage');
$site->stop_jobrunner;

# --- retention -----------------------------------------------------------------

$site->start_jobrunner(conf(backup => "snapshot_interval = 2s\nretention = 3s\n"));
write_rows(50, 30);
ok(wait_for(sub { (metric('jobrunner_backup_deleted_total') // 0) > 0 }, 30),
   'retention deletes old objects') or diag $site->jobrunner_log;
# a snapshot every 2 s, kept 3 s: the newest, and the base of the oldest
# point kept; the first generations, all older, go entirely
my @ok;
ok(wait_for(sub {
    @ok = grep { /\.ok$/ } $s3->keys("$prefix/");
    @ok >= 1 && @ok <= 3 && !grep({ m{/\Q$gen\E/} } $s3->keys("$prefix/"))
}, 30), 'old snapshots and generations deleted, ' . scalar(@ok) . ' kept')
    or diag join "\n", $s3->keys("$prefix/");
synced();
($rc, $text) = restore('-f', '-o', "$out/retained.db");
is($rc, 0, 'restore after retention') or diag $text;
same_as_source("$out/retained.db", 'after retention');
is($site->stop_jobrunner, 0, 'the jobrunner stops cleanly');

# --- configuration -----------------------------------------------------------

sub check_conf {
    my ($text) = @_;
    write_file("$d/conf/check.conf", "[jobrunner]\ndata_db = $db\n$text");
    my $o = `$bin -t -c $d/conf/check.conf 2>&1`;
    return ($? >> 8, $o);
}

for my $case (
    [ "[backup]\n", qr/check\.conf:3: \[backup\] needs an \[s3\] section/ ],
    [ $s3->conf . "[backup]\nprefix = /abs\n", qr/invalid prefix "\/abs"/ ],
    [ $s3->conf . "[backup]\nprefix = a/../b\n", qr/invalid prefix "a\/\.\.\/b"/ ],
    [ $s3->conf . "[backup]\ninterval_ms = 5\n", qr/invalid interval_ms "5" \(expected 10\.\.60000\)/ ],
    [ $s3->conf . "[backup]\nretention = forever\n", qr/invalid retention "forever"/ ],
    [ $s3->conf . "[backup]\nlag = 1s\n", qr/unknown key "lag" in \[backup\]/ ],
) {
    my ($crc, $o) = check_conf($case->[0]);
    is($crc, 1, 'refused: ' . (split /\n/, $case->[0])[-1]);
    like($o, $case->[1], 'with the reason') or diag $o;
}

write_file("$d/conf/nobackup.conf", "[jobrunner]\ndata_db = $db\n" . $s3->conf);
my $o = `$bin restore -c $d/conf/nobackup.conf -o $out/n.db 2>&1`;
like($o, qr/no \[s3\] and \[backup\] sections/, 'restore without [backup]: refused');

done_testing();
