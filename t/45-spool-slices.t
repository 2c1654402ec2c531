#!/usr/bin/perl
#
# A large spool file is replayed a slice per loop turn, not in one go:
# while it is read, the jobrunner's metrics endpoint keeps answering and
# shows the count growing, the events socket is left unread (its records
# are newer than the file's, and are counted after it), every record is
# counted once, and a jobrunner killed mid-file goes on from the offset of
# its last committed slice.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';

my $site = new_site();
my $d = $site->dir;
my $db = $site->db;
my $adb = "$d/analytics.db";
my $sock = "$d/events.sock";
my $metrics_port = free_port();
my $N = 100_000;
my $BATCH = 1000;

mkdir "$d/spool" or die "mkdir: $!";

my $jr_conf = "events_socket = $sock\nspool_dir = $d/spool\n"
            . "batch_size = $BATCH\nbatch_interval_ms = 20\n"
            . "spool_scan_ms = 100\n"
            . "metrics_listen = 127.0.0.1:$metrics_port\n";

# A record of a page in the wire format of blog_event.h (as t/45-events.t).
sub record {
    my (%r) = @_;
    my $rec = 'BE' . pack('CC', 2, 2)
        . pack('Q<Q<V v', $r{ms}, 100, 1000, 200)
        . pack('CC', 4, 5) . pack('C4', @{ $r{addr} }) . ("\0" x 12);
    $rec .= pack('v/a*', $_) for 'GET', $r{path}, '', $FIREFOX, '';
    return $rec;
}

# $n requests of 5,000 readers over the last hour, 100 pages, framed as a
# worker writes them; written aside and renamed, as a worker hands a file
# over.
sub spool_file {
    my ($name, $n) = @_;
    my $now = int(time * 1000);
    open my $fh, '>:raw', "$d/spool/.tmp" or die "open: $!";
    for my $i (0 .. $n - 1) {
        my $v = $i % 5000;
        print $fh pack('v/a*', record(
            ms => $now - 3_600_000 + int($i * 3_500_000 / $n),
            path => '/posts/p' . ($i % 100),
            addr => [10, 1, $v >> 8, $v & 255]));
    }
    close $fh or die "close: $!";
    rename "$d/spool/.tmp", "$d/spool/$name" or die "rename: $!";
}

sub jr_metrics {
    my $r = eval { http_request($metrics_port, 'GET', '/metrics') };
    return $r && $r->{status} == 200 ? $r->{body} : '';
}

sub metric {
    my ($body, $name) = @_;
    return $body =~ /^\Q$name\E (\d+)$/m ? $1 : -1;
}

sub requests {
    return sql($adb, 'SELECT coalesce(sum(requests), 0) FROM analytics_daily')
        + 0;
}


# --- the loop answers while a file is replayed ------------------------

$site->start_jobrunner($jr_conf);
ok(wait_for(sub { jr_metrics() ne '' }, 10), 'the metrics endpoint answers');

spool_file('events.999990.1.ready', $N);
my $file = "$d/spool/events.999990.1.ready";

# polled for as long as the file is there: what each answer said, and how
# long it took
my (@seen, $sent, $slowest);
my $until = time + 120;
while (-e $file && time < $until) {
    my $t0 = time;
    my $m = jr_metrics();
    my $took = time - $t0;
    next if $m eq '' || !-e $file;
    $slowest = $took if !defined $slowest || $took > $slowest;
    push @seen, [metric($m, 'jobrunner_spool_records_total'),
                 metric($m, 'jobrunner_events_received_total'),
                 metric($m, 'jobrunner_batch_seconds_count')];

    # a datagram of the socket, once the file is under way
    if (!$sent && $seen[-1][0] > 0) {
        my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Peer => $sock)
            or die "events socket: $!";
        send($s, pack('v/a*', record(ms => int(time * 1000), path => '/',
                                     addr => [10, 9, 9, 9])), 0)
            or die "send: $!";
        $sent = 1;
    }
}
ok(!-e $file, 'the file is replayed and deleted')
    or diag $site->jobrunner_log;

my @mid = grep { $_->[0] > 0 && $_->[0] < $N } @seen;
cmp_ok(scalar @mid, '>=', 3,
       'the metrics answered at least 3 times in the middle of the file')
    or diag explain \@seen;
ok(!grep({ $seen[$_][0] < $seen[$_ - 1][0] } 1 .. $#seen),
   'and the count of its records only grew');
cmp_ok($slowest // 99, '<', 2, 'no answer took 2 s or more');
ok($sent, 'a datagram was sent to the socket during the replay');
ok(!grep({ $_->[1] != 0 } @mid),
   'the socket was not read while the file was being replayed');

ok(wait_for(sub { requests() == $N + 1 }, 10),
   "then the socket's record is counted too: $N + 1")
    or diag 'requests: ' . requests();
my $m = jr_metrics();
is(metric($m, 'jobrunner_spool_records_total'), $N,
   "$N records read from the file");
is(metric($m, 'jobrunner_events_received_total'), 1, '1 datagram read');
cmp_ok(metric($m, 'jobrunner_batch_seconds_count'), '>=', $N / $BATCH,
       "committed a batch of $BATCH at a time at most");
is(sql($adb, "SELECT count(*) FROM analytics_spools WHERE file <> 'socket'"),
   0, "the file's offset is forgotten");
my $views = sql($adb, 'SELECT coalesce(sum(views), 0) FROM analytics_daily');
is(sql($adb, 'SELECT count(*) FROM analytics_hits'), $views,
   "every view is in analytics_hits ($views)");
is(sql($adb, 'SELECT sum(views) FROM analytics_hit_packs'), $views,
   '... in its packs (analytics.db migration 10)');
# the file's views are 5,000 readers' one page each, in its first 5
# batches, 100 pages a batch: 10 views a pack (one more page at midnight)
cmp_ok(sql($adb, 'SELECT count(*) FROM analytics_hit_packs') * 5, '<=',
       $views, 'a pack per day and page a batch counted views of, not per'
               . ' view');


# --- killed mid-file: goes on from its last committed slice ------------

# (counted before the file is there: the next scan may come at once)
my $before = requests();
spool_file('events.999991.1.ready', $N);
$file = "$d/spool/events.999991.1.ready";
my $partial = 0;
wait_for(sub {
    my $n = requests() - $before;
    $partial = $n if $n > 0 && $n < $N && -e $file;
    return $partial;
}, 30);
ok($partial, "part of the second file committed ($partial records)")
    or diag $site->jobrunner_log;
$site->stop_jobrunner('KILL');
ok(-e $file, 'killed before its end: the file is still there');
cmp_ok(sql($adb, "SELECT offset FROM analytics_spools"
                 . " WHERE file = 'events.999991.1.ready'"), '>', 0,
       'with the offset of its last commit');

$site->start_jobrunner($jr_conf);
ok(wait_for(sub { !-e $file }, 60), 'restarted: the file is finished')
    or diag $site->jobrunner_log;
ok(wait_for(sub { requests() == $before + $N }, 10),
   "every record of it counted once: $N more")
    or diag 'requests: ' . (requests() - $before);
is(sql($adb, 'SELECT count(*) FROM analytics_hits') . ' '
   . sql($adb, 'SELECT sum(views) FROM analytics_hit_packs'),
   join(' ', (sql($adb, 'SELECT sum(views) FROM analytics_daily')) x 2),
   'every view of both files is in the packs, once');



# --- bad frames across the parts the file is read in ------------------

# The jobrunner reads a file 256 KB at a time: 2,000 records (about
# 400 KB) with, past the first part, a frame as long as a frame can be
# (64 KB of garbage: it ends in another part than it starts) and a record
# too short, then a frame cut by the file's end.  Each of the three is
# one corrupt record; every good record counts, before and after them.
$before = requests();
my $corrupt = metric(jr_metrics(), 'jobrunner_events_corrupt_total');
my $now = int(time * 1000);
my @good = map {
    pack('v/a*', record(ms => $now - 60_000 + $_, path => '/posts/p' . $_ % 7,
                        addr => [10, 2, $_ >> 8, $_ & 255]))
} 0 .. 1999;
open my $fh, '>:raw', "$d/spool/.tmp" or die "open: $!";
print $fh @good[0 .. 1499];
print $fh pack('v/a*', 'x' x 65535), pack('v/a*', 'BE' . chr(3));
print $fh @good[1500 .. 1999];
print $fh pack('v', 500), 'y' x 100;
close $fh or die "close: $!";
rename "$d/spool/.tmp", "$d/spool/events.999992.1.ready" or die "rename: $!";

ok(wait_for(sub { !-e "$d/spool/events.999992.1.ready" }, 30),
   'a file with bad frames is replayed and deleted')
    or diag $site->jobrunner_log;
ok(wait_for(sub { requests() == $before + 2000 }, 10),
   'its 2000 good records counted, those after the bad ones too')
    or diag 'requests: ' . (requests() - $before);
is(metric(jr_metrics(), 'jobrunner_events_corrupt_total') - $corrupt, 3,
   'the long frame, the short record and the cut frame: 3 corrupt');
like($site->jobrunner_log,
     qr/spool "events\.999992\.1\.ready": 102 bytes of a cut record at its end skipped/,
     "the cut frame's bytes are logged");

$site->stop_jobrunner;
unlike($site->jobrunner_log, qr/ \[error\] /, 'no error logged');

done_testing();
