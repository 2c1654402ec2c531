#!/usr/bin/perl
#
# Fault injection: the jobrunner killed (SIGKILL) at random points while
# four clients send requests at a bounded rate, and restarted each time.
# With the events socket held as systemd's socket activation holds it,
# every request is counted exactly once: what was queued on the socket
# waits for the next run, the datagrams a killed run had committed are
# not counted again, and the spool files are replayed from their offsets.
# With a socket the jobrunner binds itself, its last batch dies with it:
# fewer views than requests, never more.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my ($CLIENTS, $REQUESTS) = (4, 300);
my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';
my $N = $CLIENTS * $REQUESTS;

# $CLIENTS processes, each sending $REQUESTS requests a few ms apart;
# returns their pids.  Each exits with the number of failed requests.
sub load {
    my ($site) = @_;
    my @pids;
    for (1 .. $CLIENTS) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my $fails = 0;
            for (1 .. $REQUESTS) {
                my $r = eval {
                    $site->get('/posts/hello', 'User-Agent' => $FIREFOX)
                };
                $fails++ unless $r && $r->{status} == 200;
                sleep 0.004;
            }
            _exit($fails > 255 ? 255 : $fails);
        }
        push @pids, $pid;
    }
    return @pids;
}

sub failures {
    my $fails = 0;
    for (@_) { waitpid $_, 0; $fails += $? >> 8 }
    return $fails;
}

# kills and restarts the jobrunner $n times at random points, until the
# load is over or the kills are done
sub kill_loop {
    my ($site, $conf, $n, @load) = @_;
    my $kills = 0;
    while ($kills < $n) {
        sleep 0.2 + rand 0.4;
        $site->stop_jobrunner('KILL');
        $kills++;
        sleep rand 0.15;
        $site->start_jobrunner($conf);
    }
    return $kills;
}

sub site_with_events {
    my (%opt) = @_;
    my $site = new_site(workers => 2, posts => {
        'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
    });
    my $d = $site->dir;
    mkdir "$d/spool" or die "mkdir: $!";
    $site->{http} = "blog_events unix:$d/events.sock;\n"
                  . "    blog_events_spool $d/spool;\n";
    $site->{server} = "location = /_metrics { blog_metrics; "
                    . "blog_events off; }\n";
    $site->start;
    $site->hold_events_socket("$d/events.sock") if $opt{held};
    $site->{jr_conf} = "events_socket = $d/events.sock\n"
                     . "spool_dir = $d/spool\nspool_scan_ms = 200\n"
                     . "batch_interval_ms = 50\n";
    $site->start_jobrunner($site->{jr_conf});
    return $site;
}

sub requests {
    my ($site) = @_;
    return sql($site->db, 'SELECT coalesce(sum(requests), 0) FROM '
                          . 'analytics_daily') + 0;
}

sub metric {
    my ($site, $outcome) = @_;
    return $site->get('/_metrics')->{body}
        =~ /^nginx_blog_events_total\{outcome="$outcome"\} (\d+)$/m ? $1 : -1;
}


# --- socket held as systemd holds it: exactly once ---------------------

my $site = site_with_events(held => 1);
my @load = load($site);
my $kills = kill_loop($site, $site->{jr_conf}, 8);
is(failures(@load), 0, "$N requests answered 200 while the jobrunner was "
   . "killed $kills times");

ok(wait_for(sub { requests($site) >= $N }, 30),
   'after the last restart every request arrives')
    or diag requests($site) . "\n" . $site->jobrunner_log;
# a scan or two more: nothing must come twice
sleep 1;
is(requests($site), $N, "exactly $N requests counted: none lost, none twice");
cmp_ok(sql($site->db, 'SELECT coalesce(sum(views), 0) FROM analytics_daily'),
       '<=', $kills + 1, 'one reader of one page: a view per run at most (a '
       . 'run starts its 30-minute window afresh)');
is(metric($site, 'dropped'), 0, 'nginx dropped no event');
cmp_ok(metric($site, 'sent') + metric($site, 'spooled'), '==', $N,
       'every event was sent or spooled');
ok(wait_for(sub { !glob($site->dir . '/spool/events.*') }, 10),
   'no spool file left');
unlike($site->jobrunner_log, qr/\[error\]/, 'no error in the jobrunner log');

# stopped, a passed-in socket keeps what comes for the next run
is($site->stop_jobrunner, 0, 'SIGTERM: the run stops with status 0');
ok(-S $site->dir . '/events.sock', 'the socket stays');
my $fails = 0;
for (1 .. 30) {
    my $r = $site->get('/posts/hello', 'User-Agent' => $FIREFOX);
    $fails++ unless $r->{status} == 200;
}
is($fails, 0, '30 requests while no jobrunner runs');
sleep 0.3;
$site->start_jobrunner($site->{jr_conf});
ok(wait_for(sub { requests($site) >= $N + 30 }, 10),
   'the next run counts what the socket kept');
sleep 0.5;
is(requests($site), $N + 30, 'exactly');
is($site->stop_jobrunner, 0, 'stopped');


# --- a socket the jobrunner binds: its last batch dies with it --------

my $own = site_with_events();
@load = load($own);
$kills = kill_loop($own, $own->{jr_conf}, 4);
is(failures(@load), 0, "$N requests answered 200, $kills kills");
sleep 1.5;
my $counted = requests($own);
cmp_ok($counted, '<=', $N, "$counted of $N counted: never twice");
cmp_ok($counted, '>', $N / 2, 'most of them');
diag sprintf '%d events lost with the batches of %d killed runs',
    $N - $counted, $kills;
$own->stop_jobrunner;

done_testing();
