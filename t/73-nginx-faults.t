#!/usr/bin/perl
#
# Fault injection on nginx's side, under load from four clients at a
# bounded rate: reloads, and workers that crash (SIGSEGV) or are killed
# (SIGKILL).
#
# A reload breaks no request, and the old workers send their last batch of
# events before they exit: every request counted.  A crashed worker takes
# down its in-flight connections and no other; every response that
# arrives is whole and the same page (the page cache is per worker: none
# is left half-written); and every event a worker had handed on (sent on
# the socket or spooled) is counted, exactly.  What a crash loses is the
# batch in that worker's memory: the events of its last 100 ms at most.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';
my ($CLIENTS, $REQUESTS) = (4, 200);

my $site = new_site(workers => 2, posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\n"
                  . ("A paragraph of the post.\n\n" x 200),
    'other.md' => "---\ntitle: Other\ndate: 2026-10-02\n---\nShort.\n",
});
my $d = $site->dir;
mkdir "$d/spool" or die "mkdir: $!";
$site->{http} = "blog_events unix:$d/events.sock;\n"
              . "    blog_events_spool $d/spool;\n";
$site->{server} = "location = /_metrics { blog_metrics; blog_events off; }\n";
# under make test-asan: the SIGSEGV below is ours, not a bug to report
$site->{asan_options} = 'handle_segv=0';
$site->start;
$site->start_jobrunner("events_socket = $d/events.sock\n"
                       . "spool_dir = $d/spool\nspool_scan_ms = 200\n"
                       . "batch_interval_ms = 50\n");

# a page without its view count, which changes as the test goes
sub page_of {
    my ($body) = @_;
    $body =~ s/(<span id="views"[^>]*>)\d+</${1}N</g;
    return $body;
}

my @PATHS = ('/posts/hello', '/posts/other', '/');
my %reference = map { $_ => page_of($site->get($_)->{body}) } @PATHS;
ok(length $reference{'/posts/hello'} > 5000, 'a long page to send');

sub counted {
    return sql($site->db, 'SELECT coalesce(sum(requests), 0) FROM '
                          . 'analytics_daily') + 0;
}

sub metric {
    my ($outcome) = @_;
    return $site->get('/_metrics')->{body}
        =~ /^nginx_blog_events_total\{outcome="$outcome"\} (\d+)$/m ? $1 : -1;
}

sub handed_on { metric('sent') + metric('spooled') }

ok(wait_for(sub { counted() == 3 && handed_on() == 3 }, 10),
   'the reference requests are counted');

# $CLIENTS processes, $REQUESTS requests each; each writes one line per
# request to its file: "ok", "error" (no whole response) or "wrong" (a
# whole response that is not the page).
sub load {
    my @kids;
    for my $c (1 .. $CLIENTS) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            open my $out, '>', "$d/client.$c" or _exit(1);
            for my $i (1 .. $REQUESTS) {
                my $path = $PATHS[$i % @PATHS];
                my $r = eval {
                    $site->get($path, 'User-Agent' => $FIREFOX)
                };
                my $len = $r ? $r->{headers}{'content-length'} : undef;
                print $out !$r || $r->{status} != 200
                               || (defined $len && $len != length $r->{body})
                           ? "error\n"
                           : page_of($r->{body}) eq $reference{$path}
                           ? "ok\n"
                           : "wrong $path\n";
                sleep 0.004;
            }
            close $out;
            _exit(0);
        }
        push @kids, $pid;
    }
    return @kids;
}

sub results {
    my (@kids) = @_;
    waitpid $_, 0 for @kids;
    my %n = (ok => 0, error => 0, wrong => 0);
    for my $c (1 .. $CLIENTS) {
        open my $in, '<', "$d/client.$c" or next;
        while (<$in>) { my ($k) = split; $n{$k}++ }
    }
    return \%n;
}


# --- reloads under load ------------------------------------------------

my $before = counted();
my @kids = load();
for (1 .. 3) {
    sleep 0.3;
    my ($rc, $out) = $site->reload;
    is($rc, 0, "reload $_ under load") or diag $out;
}
my $n = results(@kids);
my $N = $CLIENTS * $REQUESTS;
is($n->{ok}, $N, "all $N requests answered with the whole page");
is($n->{error} + $n->{wrong}, 0, 'no request broken by the reloads');

ok(wait_for(sub { counted() - $before >= $N }, 15),
   'the events of the old workers arrive')
    or diag counted() - $before;
sleep 0.5;
is(counted() - $before, $N, "exactly $N counted: a worker that exits "
   . 'sends its batch first');
is(handed_on(), counted(), 'events handed on = events counted');


# --- workers crash under load ------------------------------------------

$before = counted();
my $t0 = time;
@kids = load();
my @killed;
for my $sig (qw(SEGV KILL SEGV)) {
    sleep 0.3;
    my @workers = $site->worker_pids;
    my $victim = $workers[rand @workers];
    kill $sig, $victim;
    push @killed, "$victim ($sig)";
    # the master starts another
    ok(wait_for(sub {
        my @now = $site->worker_pids;
        @now == 2 && !grep { $_ == $victim } @now;
    }, 10), "worker $victim killed with SIG$sig, replaced");
}
$n = results(@kids);
my $rate = $N / (time - $t0);
diag sprintf "killed @killed: %d whole, %d broken, %.0f requests/s",
    $n->{ok}, $n->{error}, $rate;
is($n->{wrong}, 0, 'no response is another page or a damaged one');
cmp_ok($n->{error}, '<=', 3 * $CLIENTS,
       'only requests in flight on the killed workers failed');
is($n->{ok} + $n->{error}, $N, 'every request got an answer or an error');
like($site->error_log, qr/worker process \d+ exited on signal 11/,
     'nginx logged the crash');

# the caches of the new workers: the same pages
for my $path (@PATHS) {
    my $r1 = $site->get($path);
    my $r2 = $site->get($path);
    is(page_of($r2->{body}), $reference{$path},
       "$path after the crashes: the page");
}

my $handed;
ok(wait_for(sub {
    $handed = handed_on();
    counted() == $handed;
}, 15), 'every event handed on is counted')
    or diag counted() . " counted, $handed handed on";
sleep 0.5;
is(counted(), handed_on(), 'exactly: events handed on = events counted');
my $lost = ($n->{ok} + 2 * @PATHS) - (counted() - $before);
cmp_ok($lost, '>=', 0, 'none counted twice');
diag "$lost events lost with the batches in the killed workers' memory";
# a killed worker's batch: at most the requests of the last 100 ms (of the
# whole site, to be generous), and those in flight
cmp_ok($lost, '<=', @killed * ($rate * 0.1 + $CLIENTS),
       'at most their last 100 ms');
is(metric('dropped'), 0, 'nothing dropped');

$site->stop_jobrunner;

done_testing();
