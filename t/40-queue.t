#!/usr/bin/perl
#
# The jobrunner's durable job queue: a jobrunner killed with SIGKILL in the
# middle of thumbnail jobs, then restarted, ends with every job done once
# in effect; a backlog of thumbnails leaves a thread to the other kinds;
# retries back off exponentially and end in the dead state; the same media
# file is never enqueued twice.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;

my $N = 30;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

# --- kill -9 in the middle of the work, restart ----------------------

my $site = new_site();
my $media = $site->media;

# distinct noise images: every job has its own content hash, so each
# variant file belongs to one job
for my $i (1 .. $N) {
    system('vips', 'gaussnoise', "$media/noise-$i.jpg", 1600, 1200 + $i) == 0
        or BAIL_OUT("vips gaussnoise failed: $?");
}
# a scan does not take files changed in the last second
utime time - 10, time - 10, glob "$media/*.jpg";

my $conf = "threadpool_size = 2\nthumb_widths = 320 640\n"
         . "queue_lease = 2s\nqueue_backoff = 1s\n";

my $killed = $site->start_jobrunner($conf);

my $db = $site->db;
my %count;
ok(wait_for(sub {
    %count = map { split /\|/ } split /\n/,
        sql($db, "SELECT state, count(*) FROM jobs WHERE kind = 'thumb'"
                 . " GROUP BY state");
    ($count{done} // 0) >= 3 && ($count{leased} // 0) >= 1;
}, 60), 'some thumbnails done, some running')
    or diag $site->jobrunner_log;

# thumbnails are a bulk kind: of threadpool_size = 2 they take one thread,
# and a job of another kind due after the whole backlog runs on the other
sql($db, "INSERT INTO jobs (kind, dedupe_key, run_after, created_at,"
         . " updated_at) VALUES ('ttl_cleanup', 'behind-the-thumbnails',"
         . " strftime('%s'), strftime('%s'), strftime('%s'))");
my ($most_thumbs, $thumbs_left) = (0, 0);
ok(wait_for(sub {
    my ($leased, $left, $ttl) = split /\|/, sql($db,
        "SELECT (SELECT count(*) FROM jobs WHERE kind = 'thumb'"
        . "         AND state = 'leased'),"
        . "       (SELECT count(*) FROM jobs WHERE kind = 'thumb'"
        . "         AND state IN ('queued', 'leased')),"
        . "       (SELECT state FROM jobs"
        . "         WHERE dedupe_key = 'behind-the-thumbnails')");
    $most_thumbs = $leased if $leased > $most_thumbs;
    $thumbs_left = $left;
    $ttl eq 'done';
}, 30), 'a ttl_cleanup queued behind the thumbnails is done')
    or diag $site->jobrunner_log;
cmp_ok($thumbs_left, '>', 0,
       "... while $thumbs_left thumbnail jobs still wait or run");
is($most_thumbs, 1, 'never more than one thumbnail job at a time');

# killed while a thumbnail runs: between two jobs none is leased (seen
# under ASan)
ok(wait_for(sub {
    sql($db, "SELECT count(*) FROM jobs WHERE kind = 'thumb'"
             . " AND state = 'leased'") >= 1
}, 30), 'a thumbnail job is running');
my $status = $site->stop_jobrunner('KILL');
is($status & 127, 9, 'jobrunner killed with SIGKILL');

my $leased = sql($db, "SELECT count(*) FROM jobs WHERE state = 'leased'");
my $done_before = sql($db, "SELECT count(*) FROM jobs WHERE kind = 'thumb'"
                           . " AND state = 'done'");
cmp_ok($leased, '>=', 1, "$leased job(s) left leased by the dead process");
cmp_ok($done_before, '<', $N, "$done_before of $N done before the kill");

# what a write cut short by the kill leaves; it must be gone before the
# restarted jobs finish, whatever the kill happened to interrupt
my $leftover = "$media/thumbs/.tmp-$killed-999-0123456789abcdef-320.jpg";
write_file($leftover, 'half a JPEG');

$site->start_jobrunner($conf);

ok(wait_for(sub {
    sql($db, "SELECT count(*) FROM jobs WHERE kind = 'thumb'"
             . " AND state = 'done'") == $N
}, 90), "all $N thumbnail jobs done after the restart")
    or diag $site->jobrunner_log;

is(sql($db, "SELECT count(*) FROM jobs WHERE kind = 'thumb'"), $N,
   'one job per file: the restart scan enqueued nothing twice');
is(sql($db, "SELECT count(*) FROM jobs WHERE state = 'dead'"), 0,
   'no dead jobs');
cmp_ok(sql($db, "SELECT count(*) FROM jobs WHERE kind = 'thumb'"
                . " AND attempts = 2"), '>=', 1,
       'the interrupted jobs ran a second time');
like($site->jobrunner_log,
     qr/lease expired after attempt 1, queued/,
     'the expired leases were reclaimed');
ok(!-e $leftover, 'the killed run\'s temporary file was removed');
like($site->jobrunner_log,
     qr/scan: \d+ temporary files? of a killed run removed/,
     'and the removal logged');

is(sql($db, 'SELECT count(*) FROM media'), $N, "$N media rows");
is(sql($db, 'SELECT count(*) FROM media_variants'), $N * 4,
   'each image: 2 widths x 2 formats, no more, no less');

my @rows = split /\n/, sql($db, 'SELECT path, width FROM media_variants');
my %want = map { (split /\|/)[0] => 1 } @rows;
opendir my $dh, "$media/thumbs" or die "thumbs: $!";
my %have = map { ("thumbs/$_" => 1) } grep { !/^\.\.?$/ } readdir $dh;
closedir $dh;
is_deeply(\%have, \%want,
          'the thumbnail folder holds exactly the recorded variants, '
          . 'no temporary files left');

my $bad = 0;
for my $row (@rows) {
    my ($path, $width) = split /\|/, $row;
    my $got = `identify -format '%w' '$media/$path' 2>/dev/null`;
    $bad++ unless $got eq $width;
}
is($bad, 0, 'every variant file is a whole image of its width');

$site->stop_jobrunner;


# --- retries with exponential backoff, then dead ------------------------

# a cronhook to a closed port fails every time
my $closed = free_port();
my $secret = 'whsec_' . ('A' x 32);
my $t0 = time;

$site->start_jobrunner("thumb_widths = 320 640\n"
    . "queue_backoff = 1s\nqueue_max_attempts = 3\n"
    . "[cronhook.down]\nurl = http://127.0.0.1:$closed/hook\n"
    . "secret = $secret\nschedule = daily 03:00\ntimeout = 2s\n");

ok(wait_for(sub {
    sql($db, "SELECT state FROM jobs WHERE kind = 'cronhook'") eq 'dead'
}, 30), 'the failing cronhook ends dead') or diag $site->jobrunner_log;

my ($attempts, $error) = split /\|/,
    sql($db, "SELECT attempts, last_error FROM jobs WHERE kind = 'cronhook'");
is($attempts, 3, 'after queue_max_attempts attempts');
like($error, qr{http://127\.0\.0\.1:$closed/hook: Couldn't connect},
     'the last error is kept, visible in the jobs table');

my $log = $site->jobrunner_log;
my @retry = $log =~ /job \d+ \(cronhook [^)]*\) attempt \d failed, retry in (\d+) s/g;
is(scalar @retry, 2, 'two retries logged');
ok(@retry == 2 && $retry[0] >= 1 && $retry[0] <= 1
   && $retry[1] >= 2 && $retry[1] <= 2.5,
   "backoff doubles: @retry s");
like($log, qr/job \d+ \(cronhook [^)]*\) dead after 3 attempts: /,
     'the death is logged as an error');
cmp_ok(time - $t0, '>=', 3, 'the retries waited their backoff');

$site->stop_jobrunner;

done_testing();
