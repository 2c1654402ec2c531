#!/usr/bin/perl
#
# Fault injection: an S3 endpoint that misbehaves, not only one that
# refuses.  t/lib/s3rver.js answers the next requests with garbage (200, a
# body of random bytes and no ETag, nothing stored), resets the
# connection, cuts an answer short, or stalls past the client's timeout.
# First the client alone (t/tools/jr_s3_tool): each fault is retried and
# the stored bytes are right, and a fault that persists is an error, never
# a success.  Then the continuous backup of data.db under a write load
# while the faults come, and a restore that meets them too: the result is
# the source row for row, so nothing committed was lost on the way.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::MD5 qw(md5_hex);
use File::Temp qw(tempdir);
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;
use BlogS3;

my $tool = "$BlogTest::BUILD/t/tools/jr_s3_tool";
my $bin = "$BlogTest::BUILD/jobrunner";
-x $tool or BAIL_OUT("$tool not built: run make unit");
-x $bin or BAIL_OUT('jobrunner not built: run make');

my $s3 = start_s3rver();
my $dir = tempdir('s3faults-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# --- the client ------------------------------------------------------------

write_file("$dir/tool.conf", "[jobrunner]\ndata_db = $dir/data.db\n"
           . $s3->conf(timeout => '1s', max_attempts => 3));

sub s3 {
    my (@args) = @_;
    my $cmd = join ' ', map { quotemeta } $tool, '-c', "$dir/tool.conf", @args;
    my $out = `$cmd 2>&1`;
    return ($out, $? >> 8);
}

my $body = join '', map { "line $_ of the object\n" } 1 .. 200;
write_file("$dir/body", $body);
my $md5 = md5_hex($body);

for my $fault (['garbage'], ['reset'], ['cut'], ['slow', 2500]) {
    my $what = $fault->[0];
    my $key = "client/$what";

    for my $sync ('', '-s') {
        my $mode = $sync ? 'synchronous' : 'on the loop';
        $s3->fail(1, @$fault);
        my ($out, $rc) = s3($sync || (), 'put', $key, "$dir/body");
        is($rc, 0, "$what, PUT $mode: succeeds") or diag $out;
        like($out, qr/^ok etag=$md5 attempts=2$/, "$what, PUT $mode: on the second attempt");
        is($s3->object($key), $body, "$what, PUT $mode: the bytes stored");
    }

    $s3->fail(1, @$fault);
    unlink "$dir/got";
    my ($out, $rc) = s3('get', $key, "$dir/got");
    like($out, qr/^ok etag=$md5 size=${\ length $body} attempts=2$/,
         "$what, GET: retried") or diag $out;
    is(read_file("$dir/got"), $body, "$what, GET: the object's bytes, not the fault's");

    $s3->fail(1, @$fault);
    ($out, $rc) = s3('lsall', 'client/');
    is($rc, 0, "$what, listing: retried") or diag $out;
    like($out, qr/^client\/$what /m, "$what, listing: complete");
}

# a fault that does not stop: the upload fails, and says why
$s3->fail(3, 'garbage');
my ($out, $rc) = s3('put', 'client/never', "$dir/body");
is($rc, 1, 'garbage three times: the PUT fails');
like($out, qr/^error BadResponse status=200 attempts=3 a 2xx answer without an ETag$/,
     'as a bad response, with the reason');
ok(!defined $s3->object('client/never'), 'and nothing was stored');

$s3->fail(3, 'reset');
($out, $rc) = s3('-s', 'put', 'client/never', "$dir/body");
like($out, qr/^error NetworkError status=0 attempts=3 /, 'resets three times: a network error');

$s3->fail(3, 'slow', 2500);
($out, $rc) = s3('get', 'client/garbage', "$dir/got");
like($out, qr/^error Timeout status=0 attempts=3 /, 'stalls three times: a timeout');
$s3->fail(0, 0, 'none');

# --- continuous backup and restore under faults ------------------------------

my $site = new_site();
my $db = $site->db;
my $d = $site->dir;
my $mport = free_port();
my $prefix = 'faults/data.db';

my $conf = "metrics_listen = 127.0.0.1:$mport\n"
    . $s3->conf(max_attempts => 3, timeout => '1s')
    . "[backup]\nprefix = $prefix\ninterval_ms = 50\ncheckpoint_pages = 200\n";

sub metric {
    my ($name) = @_;
    my $r = eval { http_request($mport, 'GET', '/metrics') } or return undef;
    return $r->{body} =~ /^\Q$name\E (\S+)$/m ? $1 : undef;
}

# a writer of one-row transactions until told to stop; returns its pid
sub start_writer {
    my $pid = fork // die "fork: $!";
    return $pid if $pid;
    my $batch = 0;
    until (-e "$dir/stop") {
        my $script = ".timeout 10000\n";
        $script .= "BEGIN IMMEDIATE; INSERT INTO load (batch, v) VALUES ($batch, "
            . "hex(randomblob(200))); COMMIT;\n" for 1 .. 5;
        open my $fh, '|-', 'sqlite3', $db or POSIX::_exit(1);
        print $fh $script;
        close $fh or POSIX::_exit(1);
        $batch++;
        sleep 0.1;
    }
    POSIX::_exit(0);
}

sql($db, 'CREATE TABLE load (id INTEGER PRIMARY KEY, batch INTEGER, v TEXT)');
$site->start_jobrunner($conf);
ok(wait_for(sub { grep { /\.ok$/ } $s3->keys("$prefix/") }, 20),
   'backup: a first snapshot') or diag $site->jobrunner_log;

# faults while rows are written: two in a row, which the client's own
# retries absorb (max_attempts 3), then three, which fail an upload: the
# backup tries it again a second later
my $writer = start_writer();
for my $fault ([2, 'garbage'], [2, 'reset'], [2, 'cut'], [1, 'slow', 2500],
               [2, 500, 'InternalError'], [3, 'garbage'], [3, 'reset'])
{
    $s3->fail(@$fault);
    ok(wait_for(sub { (split ' ', read_file($s3->dir . '/fail'))[0] <= 0 }, 60),
       "backup: it met every injected fault '@$fault[1 .. $#$fault]'")
        or diag read_file($s3->dir . '/fail'), "\n",
                join "\n", (split /\n/, $site->jobrunner_log)[-30 .. -1];
}
$s3->fail(0, 0, 'none');
write_file("$dir/stop", '');
waitpid $writer, 0;
is($?, 0, 'the writer committed every transaction');

ok(wait_for(sub { (metric('jobrunner_backup_pending_segments') // 1) == 0
                  && (metric('jobrunner_backup_lag_seconds') // 1) == 0 }, 60),
   'backup: caught up once the faults stop') or diag $site->jobrunner_log;
ok(metric('jobrunner_s3_retries_total') >= 6, 'the faults were retried')
    or diag http_request($mport, 'GET', '/metrics')->{body};
ok(sql($db, 'SELECT count(*) FROM load') > 50, 'rows were written meanwhile');
# which request meets which fault depends on what the backup is doing
# (segments, snapshots, the replicas' .wake object, retention's listings)
like($site->jobrunner_log, qr/backup: cannot (store|list the bucket) .*BadResponse/,
     'a request that met garbage three times failed, and the log says why');

# the restore meets faults too
$s3->fail(2, 'garbage');
my $cmd = join ' ', map { quotemeta } $bin, 'restore', '-c',
    "$d/conf/jobrunner.conf", '-o', "$dir/restored.db";
my $text = `$cmd 2>&1`;
is($? >> 8, 0, 'restore, its first requests answered with garbage') or diag $text;
$s3->fail(0, 0, 'none');
my $rows = "SELECT count(*) || ' ' || sum(length(v)) || ' ' "
    . "|| group_concat(id || ':' || v, ',') FROM load";
my ($got, $want) = (sql("$dir/restored.db", $rows), sql($db, $rows));
ok($got eq $want, 'restored: the table row for row')
    or diag 'restored ' . substr($got, 0, 40) . ', data.db ' . substr($want, 0, 40);
is(sql("$dir/restored.db", 'PRAGMA integrity_check'), 'ok', 'restored: integrity_check');

diag $site->jobrunner_log if $ENV{SHOWLOG};
$site->stop_jobrunner;

done_testing;
