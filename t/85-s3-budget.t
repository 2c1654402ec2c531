#!/usr/bin/perl
#
# S3 requests as a budget: an idle replica backs off from poll_ms to
# poll_max_ms and sends one LIST per look, counted at s3rver; after a
# write it catches up within poll_max_ms and polls every poll_ms again.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
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
    . "[backup]\nprefix = $prefix\ninterval_ms = 50\n");
ok(wait_for(sub { grep { /\.ok$/ } $s3->keys("$prefix/") }, 20),
   'the primary has a complete snapshot in the bucket')
    or diag $primary->jobrunner_log;
sql($pdb, 'CREATE TABLE budget (id INTEGER PRIMARY KEY)');

my ($poll_ms, $poll_max_ms) = (50, 3000);
my $replica = new_site(no_db => 1);
my $mport = free_port();
$replica->start_jobrunner("metrics_listen = 127.0.0.1:$mport\n"
    . $s3->conf(max_attempts => 3, timeout => '5s')
    . "[replica]\nprefix = $prefix\npoll_ms = $poll_ms\n"
    . "poll_max_ms = $poll_max_ms\n");

sub rows { sql($replica->db, 'SELECT count(*) FROM budget') // '' }

ok(wait_for(sub { rows() eq '0' }, 20), 'the replica follows the primary')
    or diag $replica->jobrunner_log;

# the primary writes nothing from here: every request is the replica's
# unless the primary's backup looks at the bucket while idle, and then
# the bound below holds for both
sleep($poll_max_ms / 1000 * 2);
my $before = () = $s3->requests;
my $t0 = time;
sleep(6);
my @window = ($s3->requests)[$before .. scalar($s3->requests) - 1];
my $secs = time - $t0;
my $lists = grep { $_->{op} eq 'LIST' } @window;
my $bound = int($secs * 1000 / $poll_max_ms) + 2;
ok(@window >= 1, 'an idle replica still looks at the bucket')
    or diag $replica->jobrunner_log;
ok(@window <= $bound, sprintf('an idle replica sent %d requests in %.1f s '
   . '(at most %d; %d without the backoff)', scalar @window, $secs, $bound,
   2 * $secs * 1000 / $poll_ms))
    or diag join "\n", map { "$_->{op} $_->{key}" } @window;
is($lists, scalar @window, 'all of them LISTs, one per look');

# backed off: a write is applied within poll_max_ms (and the primary's
# interval), then the follower looks every poll_ms again
sql($pdb, 'INSERT INTO budget DEFAULT VALUES');
$t0 = time;
ok(wait_for(sub { rows() eq '1' }, 10), 'a write after the idle time');
my $lag = time - $t0;
ok($lag < $poll_max_ms / 1000 + 1, sprintf('applied within poll_max_ms '
   . '(%.2f s)', $lag));

sql($pdb, 'INSERT INTO budget DEFAULT VALUES');
$t0 = time;
ok(wait_for(sub { rows() eq '2' }, 10), 'the next write');
$lag = time - $t0;
ok($lag < $poll_max_ms / 1000 / 2, sprintf('applied at once: the follower '
   . 'polls every poll_ms again after a find (%.2f s)', $lag));

# --- configuration -------------------------------------------------------

my $file = "$replica->{dir}/conf/bad.conf";
write_file($file, $replica->jobrunner_conf($s3->conf
    . "[replica]\npoll_ms = 500\npoll_max_ms = 100\n"));
like(scalar `$bin -t -c $file 2>&1`,
     qr/bad\.conf:\d+: \[replica\] poll_max_ms 100 is less than poll_ms 500/,
     'poll_max_ms below poll_ms is an error');

$replica->stop_jobrunner;
$primary->stop_jobrunner;

done_testing;
