#!/usr/bin/perl
#
# The jobrunner's timers, in place of cron: TTL cleanup of ttl.db, file
# retention, a missed run made up once at start, no overlap of a task with
# itself; schedule and section errors in jobrunner.conf.  Short intervals
# stand in for a fake clock.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use POSIX qw(strftime);
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;

my $bin = "$BlogTest::BUILD/jobrunner";
-x $bin or BAIL_OUT('jobrunner not built: run make');

my $site = new_site();
my $db = $site->db;
my $ttl = $site->dir . '/ttl.db';
my $logs = $site->dir . '/oldlogs';
mkdir $logs or die "$logs: $!";

sub count {
    my ($where) = @_;
    return sql($db, "SELECT count(*) FROM jobs WHERE $where");
}

# --- TTL cleanup and retention every 2 seconds ---------------------------

for my $f ('old.log', 'new.log', 'old.txt', '.hidden.log') {
    write_file("$logs/$f", "x\n");
}
my $old = time - 7200;
utime $old, $old, "$logs/old.log", "$logs/old.txt", "$logs/.hidden.log";

$site->start_jobrunner("queue_keep_done = 1s\n"
    . "[timers]\nttl_cleanup = every 2s\nretention = every 2s\n"
    . "thumb_scan = off\n"
    . "[retention.logs]\npath = $logs\npattern = *.log\nmax_age = 1h\n");

# the jobrunner has created and migrated ttl.db
my $now = time;
sql($ttl, "INSERT INTO sessions (id, expires_at) VALUES"
          . " ('gone', $now - 5), ('kept', $now + 3600);"
          . "INSERT INTO one_time_codes (code, purpose, expires_at) VALUES"
          . " ('c1', 'login', $now - 1), ('c2', 'login', $now + 3600);"
          . "INSERT INTO webhook_ids (id, expires_at) VALUES"
          . " ('msg_gone', $now - 100), ('msg_kept', $now + 100)");

ok(wait_for(sub {
    sql($ttl, "SELECT count(*) FROM sessions") == 1
}, 10), 'ttl_cleanup ran on its own') or diag $site->jobrunner_log;
is(sql($ttl, "SELECT group_concat(id) FROM sessions"), 'kept',
   'expired session deleted, the live one kept');
is(sql($ttl, "SELECT group_concat(code) FROM one_time_codes"), 'c2',
   'expired one-time code deleted');
is(sql($ttl, "SELECT group_concat(id) FROM webhook_ids"), 'msg_kept',
   'expired webhook id deleted');
like($site->jobrunner_log,
     qr/ttl_cleanup: 3 expired rows deleted \(sessions 1, one_time_codes 1, webhook_ids 1\)/,
     'ttl_cleanup logs what it deleted');

ok(!-e "$logs/old.log", 'retention: the old .log is deleted');
ok(-e "$logs/new.log", 'the new one is kept');
ok(-e "$logs/old.txt", 'an old file of another pattern is kept');
ok(-e "$logs/.hidden.log", 'a dot-file is not matched by *.log');
like($site->jobrunner_log, qr/retention: 1 old file deleted, \d+ done jobs? purged/,
     'retention logs it');

# done jobs go after a second here: count the runs in the log
sub slots {
    return $site->jobrunner_log =~ /timer ttl_cleanup: run of (\S+) enqueued/g;
}
ok(wait_for(sub { my @s = slots(); @s >= 3 }, 10),
   'ttl_cleanup runs again every 2 s');
my @slots = map { substr $_, 17, 2 } slots();
is(scalar(grep { $_ % 2 } @slots), 0,
   "its slots are on the 2 s grid (seconds @slots)");
ok(wait_for(sub {
    $site->jobrunner_log =~ /retention: 0 old files deleted, [1-9]\d* done jobs? purged/
}, 10), 'done jobs older than queue_keep_done are purged');

$site->stop_jobrunner;


# --- a missed run is made up once at start -------------------------------

# daily at 04:00 local time: pretend the last run was three days ago
my $conf = "[timers]\nttl_cleanup = off\nthumb_scan = off\n"
         . "retention = daily 04:00\n";
$site->start_jobrunner($conf);
$site->stop_jobrunner;

my $last = sql($db, "SELECT last_slot FROM timers WHERE name = 'retention'");
sql($db, "UPDATE timers SET last_slot = $last - 3 * 86400"
         . " WHERE name = 'retention'");
my $before = count("kind = 'retention'");

$site->start_jobrunner($conf);
ok(wait_for(sub { count("kind = 'retention' AND state = 'done'")
                  == $before + 1 }, 10),
   'the missed daily run ran at start');
sleep 1.5;
is(count("kind = 'retention'"), $before + 1,
   'once, not once per missed day');
my $slot = sql($db, "SELECT last_slot FROM timers WHERE name = 'retention'");
my @lt = localtime $slot;
ok($lt[2] == 4 && $lt[1] == 0 && $lt[0] == 0 && $slot <= time
   && time - $slot < 86400, 'for the latest slot, 04:00 local time');
my $iso = strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $slot);
like($site->jobrunner_log, qr/timer retention: run of \Q$iso\E enqueued/,
     'the log names the slot');
$site->stop_jobrunner;

$site->start_jobrunner($conf);
sleep 1;
is(count("kind = 'retention'"), $before + 1,
   'a restart within the same slot runs nothing');
$site->stop_jobrunner;


# --- no overlap: a run that takes longer than the interval ----------------

# an endpoint that accepts and never answers
my $listen = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
                                   LocalPort => 0, Proto => 'tcp',
                                   ReuseAddr => 1) or die "listen: $!";
my $port = $listen->sockport;

$site->start_jobrunner("[timers]\nttl_cleanup = off\nthumb_scan = off\n"
    . "retention = off\n"
    . "[cronhook.slow]\nurl = http://127.0.0.1:$port/slow\n"
    . "secret = whsec_" . ('B' x 32) . "\nschedule = every 1s\n"
    . "timeout = 4s\n");

my $max = 0;
my $until = time + 3.5;
while (time < $until) {
    my $n = count("kind = 'cronhook' AND state IN ('queued', 'leased')");
    $max = $n if $n > $max;
    sleep 0.1;
}
is($max, 1, 'never more than one run of the task queued or running');
like($site->jobrunner_log,
     qr/timer cronhook\.slow: the previous run is still queued or running, the run of \S+ is skipped/,
     'the skipped slots are logged');
$site->stop_jobrunner;
close $listen;


# --- configuration errors ---------------------------------------------------

sub conf_error {
    my ($text, $want, $name) = @_;
    my $file = $site->dir . '/conf/bad.conf';
    write_file($file, "[jobrunner]\ndata_db = d.db\n$text");
    my $cmd = join ' ', map { quotemeta } jobrunner_command(), '-t', '-c',
        $file;
    my $out = `$cmd 2>&1`;
    isnt($? >> 8, 0, "-t fails: $name");
    is($out, "$file$want\n", "message: $name");
}

conf_error("[timers]\nttl_cleanup = every 10\n",
           ':4: invalid schedule "every 10" for "ttl_cleanup" (expected '
           . '"every N" with N from 1 and a unit s, m, h or d, at most a week, '
           . 'or off)',
           'schedule without a unit');
conf_error("[timers]\nretention = monthly 1\n",
           ':4: invalid schedule "monthly 1" for "retention" (expected '
           . '"every N[s|m|h|d]", "hourly :MM", "daily HH:MM", '
           . '"weekly DAY HH:MM", "biweekly DAY HH:MM" or "monthly D HH:MM", or off)',
           'unknown schedule');
conf_error("[timers]\nbackup = daily 03:00\n",
           ':4: unknown timer "backup" in [timers] (expected ttl_cleanup, '
           . 'retention or thumb_scan; cronhooks have their own sections)',
           'unknown timer');
conf_error("[timers]\nttl_cleanup = every 1m\n",
           ':4: timer "ttl_cleanup" needs ttl_db in [jobrunner]',
           'ttl_cleanup without ttl_db');
conf_error("[cronhook.x]\nurl = http://127.0.0.1/x\nschedule = every 1m\n",
           ':3: missing required key "secret" in [cronhook.x]',
           'cronhook without a secret');
conf_error("[cronhook.x]\nurl = ftp://x\n",
           ':4: invalid url "ftp://x" (expected http:// or https://)',
           'cronhook url');
conf_error("[cronhook.x]\nsecret = whsec_c2hvcnQ=\n",
           ':4: invalid secret in [cronhook.x] (expected one or two "whsec_" '
           . 'followed by the base64 of 24 to 64 bytes)', 'short secret');
conf_error("[cronhook.X]\n",
           ':3: invalid section name "[cronhook.X]" (the part after the dot: '
           . '1 to 64 of a-z, 0-9, "_" and "-")', 'section name');
conf_error("[retention.a]\npath = /tmp\n[retention.a]\n",
           ':5: duplicate section "[retention.a]" (first on line 3)',
           'duplicate section');
conf_error("[retention.a]\npath = /tmp\n",
           ':3: missing required key "max_age" in [retention.a]',
           'retention without max_age');
conf_error("thumb_widths = 320 320\n",
           ':3: thumb_widths lists 320 twice', 'duplicate width');
conf_error("queue_lease = soon\n",
           ':3: invalid queue_lease "soon" (expected a duration such as '
           . '30s, 10m, 2h or 7d)', 'bad duration');

done_testing();
