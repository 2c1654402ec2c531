#!/usr/bin/perl
#
# Hot databases in the backup: SQLite files next to data.db that change on
# every page view or job (queue.db, analytics.db) are copied whole, at
# most once per hot_interval and only when they changed, each copy a
# consistent image that replaces the previous one in the bucket; once
# more on SIGTERM; a file created after the start is picked up; "jobrunner
# restore" brings them back next to data.db, refuses to overwrite them
# without -f, and says which have no copy at or before -t; hot_databases
# errors name file and line.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
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
(my $dbdir = $db) =~ s{/[^/]+\z}{};
my $queue = "$dbdir/queue.db";
my $analytics = "$dbdir/analytics.db";
my $out = tempdir('hot-restore-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $mport = free_port();
my $prefix = 'blog/data.db';

sub conf {
    return "metrics_listen = 127.0.0.1:$mport\n"
        . $s3->conf(max_attempts => 2, timeout => '5s')
        . "[backup]\nprefix = $prefix\ninterval_ms = 50\nhot_interval = 1s\n";
}

sub metric {
    my ($name) = @_;
    my $r = eval { http_request($mport, 'GET', '/metrics') } or return undef;
    return $r->{body} =~ /^\Q$name\E (\S+)$/m ? $1 : undef;
}

sub copies { $s3->keys("$prefix/hot/$_[0]/") }

# the rows of a copy in the bucket, read from s3rver's store
sub rows_of_copy {
    my ($key) = @_;
    my $file = "$out/peek.db";
    unlink $file;
    write_file($file, $s3->object($key) // return undef);
    return sql($file, 'SELECT group_concat(v) FROM (SELECT v FROM hits '
               . 'ORDER BY id)');
}

sub hot_puts {
    my ($name, $from) = @_;
    my @r = ($s3->requests)[$from .. scalar($s3->requests) - 1];
    return scalar grep { $_->{op} eq 'PUT'
                         && $_->{key} =~ m{^\Q$prefix\E/hot/\Q$name\E/} } @r;
}

sub restore {
    my (@args) = @_;
    my $cmd = join ' ', map { quotemeta } $bin, 'restore', '-c',
        "$d/conf/jobrunner.conf", @args;
    my $text = `$cmd 2>&1`;
    return ($? >> 8, $text);
}

# queue.db exists at the start, analytics.db comes later; both in WAL
# mode, as the module and the jobrunner keep them
sql($queue, 'PRAGMA journal_mode = WAL; CREATE TABLE hits (id INTEGER '
    . "PRIMARY KEY, v TEXT); INSERT INTO hits (v) VALUES ('q1')");

$site->start_jobrunner(conf());

my @c;
ok(wait_for(sub { @c = copies('queue.db'); @c == 1 }, 15),
   'queue.db: a copy in the bucket') or diag $site->jobrunner_log;
like($c[0] // '', qr{^\Q$prefix\E/hot/queue\.db/\d{13}\.db\z},
     'named by the time it was made');
is(rows_of_copy($c[0]), 'q1', 'the copy is a database with the rows');
ok(!copies('analytics.db'), 'analytics.db does not exist: nothing stored');

# unchanged: no copy
sleep 0.5;
my $from = () = $s3->requests;
sleep 3;
is(hot_puts('queue.db', $from), 0, 'unchanged for 3 intervals: no PUT');
is_deeply([copies('queue.db')], \@c, 'the copy stays');

# a change: copied within an interval, the old copy deleted
sql($queue, "INSERT INTO hits (v) VALUES ('q2')");
my $t0 = time;
my @c2;
ok(wait_for(sub { @c2 = copies('queue.db'); @c2 == 1 && $c2[0] ne $c[0] },
            10), 'a change is copied');
ok(time - $t0 < 3, sprintf('within the interval (%.1f s)', time - $t0));
is(rows_of_copy($c2[0]), 'q1,q2', 'the new copy has the change');

# many writes: coalesced into at most one copy per interval
$from = () = $s3->requests;
$t0 = time;
for my $i (1 .. 40) {
    sql($queue, "INSERT INTO hits (v) VALUES ('w$i')");
    sleep 0.05;
}
sleep 1.5;
my $secs = time - $t0;
my $puts = hot_puts('queue.db', $from);
ok($puts >= 1 && $puts <= int($secs) + 2, sprintf('40 transactions in %.1f s:'
   . ' %d copies stored (one an interval at most)', $secs, $puts));
ok(wait_for(sub { @c2 = copies('queue.db'); @c2 == 1
                  && (rows_of_copy($c2[0]) // '') =~ /,w40\z/ }, 10),
   'one copy left, with the last write');

# a file that appears is picked up
sql($analytics, 'PRAGMA journal_mode = WAL; CREATE TABLE hits (id INTEGER '
    . "PRIMARY KEY, v TEXT); INSERT INTO hits (v) VALUES ('a1')");
# (the jobrunner makes analytics.db at its start: the table is what is new)
ok(wait_for(sub { my @a = copies('analytics.db'); @a == 1
                  && (rows_of_copy($a[0]) // '') eq 'a1' }, 10),
   'analytics.db, written after the start: copied');
is(scalar(my @a = copies('analytics.db')), 1, 'one copy of it');

like(metric('jobrunner_backup_hot_copies_total{db="queue.db"}') // '',
     qr/^[3-9]\d*$|^\d{2,}$/, 'the copies counted in /metrics');
is(metric('jobrunner_backup_hot_failures_total{db="queue.db"}'), 0,
   'no failure');

# a write just before SIGTERM: copied on the way out
my $before_last = time;
sql($queue, "INSERT INTO hits (v) VALUES ('last')");
is($site->stop_jobrunner, 0, 'the jobrunner stops cleanly');
@c2 = copies('queue.db');
is(scalar @c2, 1, 'one copy of queue.db');
like(rows_of_copy($c2[0]) // '', qr/,last\z/,
     'the write before SIGTERM is in it');
like($site->jobrunner_log, qr/backup: \Q$queue\E stored as .* at shutdown/,
     'logged');

# --- restore -----------------------------------------------------------------

my ($rc, $text) = restore('-o', "$out/data.db");
is($rc, 0, 'restore') or diag $text;
like($text, qr/\Q$out\E\/queue\.db: hot database queue\.db as copied at .*integrity_check ok/,
     'says where queue.db went');
is(sql("$out/queue.db", 'SELECT v FROM hits ORDER BY id DESC LIMIT 1'),
   'last', 'queue.db restored next to data.db, up to the last write');
is(sql("$out/analytics.db", 'SELECT v FROM hits'), 'a1',
   'analytics.db too');
ok(-s "$out/data.db", 'and data.db');

# a hot database in the way stops the restore before anything is written
unlink "$out/data.db";
($rc, $text) = restore('-o', "$out/data.db");
is($rc, 1, 'refused: queue.db and analytics.db exist');
like($text, qr/\Q$out\E\/(\w+)\.db exists \(hot database \1\.db\); give -f/,
     'with the reason');
ok(!-e "$out/data.db", 'data.db not written');
sql("$out/queue.db", "INSERT INTO hits (v) VALUES ('local')");
($rc, $text) = restore('-f', '-o', "$out/data.db");
is($rc, 0, 'with -f') or diag $text;
is(sql("$out/queue.db", "SELECT count(*) FROM hits WHERE v = 'local'"), 0,
   'queue.db replaced');

# a target before queue.db's only copy (the one made at shutdown) and
# after analytics.db's: data.db and analytics.db as of then
($rc, $text) = restore('-f', '-t', sprintf('%.3f', $before_last), '-o',
                       "$out/early.db");
is($rc, 0, 'restore to a point in time') or diag $text;
like($text, qr/hot database queue\.db has no copy at or before /,
     'queue.db has no copy that old: said so');
is(sql("$out/analytics.db", 'SELECT v FROM hits'), 'a1',
   'analytics.db restored from its copy before the target');

# --- configuration -----------------------------------------------------------

sub check_conf {
    my ($text) = @_;
    write_file("$d/conf/check.conf", "[jobrunner]\ndata_db = $db\n$text");
    my $o = `$bin -t -c $d/conf/check.conf 2>&1`;
    return ($? >> 8, $o);
}

for my $case (
    [ "[backup]\nhot_databases = q\$.db\n",
      qr/check\.conf:\d+: invalid hot_databases "q\$\.db"/ ],
    [ "[backup]\nhot_databases = a/x.db b/x.db\n",
      qr/check\.conf:\d+: hot_databases: .*a\/x\.db and .*b\/x\.db have one name/ ],
    [ "[backup]\nhot_databases = $db\n", qr/check\.conf:\d+: hot_databases: .* is data_db/ ],
    [ "[backup]\nhot_interval = 0s\n", qr/check\.conf:\d+: invalid hot_interval "0s"/ ],
) {
    my ($crc, $o) = check_conf($s3->conf . $case->[0]);
    is($crc, 1, 'refused: ' . (split /\n/, $case->[0])[-1]);
    like($o, $case->[1], 'with the reason') or diag $o;
}
my ($crc, $o) = check_conf($s3->conf . "[backup]\nhot_databases = off\n");
is($crc, 0, 'hot_databases = off') or diag $o;

done_testing();
