#!/usr/bin/perl
#
# Two things a production site has and t/45-events.t does not: a MaxMind
# .mmdb country database (the format of GeoLite2, which Debian does not
# ship: the test writes one with MaxMind::DB::Writer), and several nginx
# workers, whose counters /_metrics sums and whose events all arrive.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BlogTest;
use MaxMind::DB::Writer::Tree;

my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';

my $site = new_site(workers => 2, listen => 'reuseport', posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
});
my $d = $site->dir;
my $db = $site->db;
my $sock = "$d/events.sock";
mkdir "$d/spool" or die "mkdir: $!";

# --- a country database in the current format ---------------------------

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 24,
    database_type         => 'GeoLite2-Country',
    languages             => ['en'],
    description           => { en => 'ngx_blog test countries' },
    alias_ipv6_to_ipv4    => 1,
    map_key_type_callback => sub {
        { country => 'map', iso_code => 'utf8_string' }->{ $_[0] }
    },
);
$tree->insert_network('81.2.69.0/24', { country => { iso_code => 'GB' } });
$tree->insert_network('2a02:c7f::/32', { country => { iso_code => 'DE' } });
open my $fh, '>:raw', "$d/countries.mmdb" or die "countries.mmdb: $!";
$tree->write_tree($fh);
close $fh;

$site->{http} = "blog_events unix:$sock;\n"
              . "    blog_events_spool $d/spool max=1m;\n"
              . "    set_real_ip_from 127.0.0.1;\n"
              . "    real_ip_header X-Forwarded-For;\n"
              . "    log_format pids '\$pid';\n";
$site->{server} = "location = /_metrics { blog_metrics; blog_events off; "
                . "access_log off; }\n"
                . "access_log $d/logs/pids.log pids;\n";
$site->start;

$site->start_jobrunner("events_socket = $sock\nspool_dir = $d/spool\n"
                       . "batch_interval_ms = 20\nspool_scan_ms = 100\n"
                       . "geoip_db = $d/countries.mmdb\n");

my @workers = $site->worker_pids;
is(scalar @workers, 2, 'two workers');

# --- countries from the .mmdb ------------------------------------------

my %sent = ('81.2.69.160' => 'GB', '2a02:c7f:1234::1' => 'DE',
            '8.8.8.8' => '--');
my $N = 0;
# five readers (browsers) behind each address: five views
for my $addr (sort keys %sent) {
    for my $i (1 .. 5) {
        my $r = $site->get('/posts/hello', 'User-Agent' => "$FIREFOX ($i)",
                           'X-Forwarded-For' => $addr);
        $r->{status} == 200 or die "GET /posts/hello: $r->{status}";
        $N++;
    }
}

ok(wait_for(sub {
    sql($db, 'SELECT coalesce(sum(views), 0) FROM analytics_daily') == $N
}, 20), "$N views counted") or diag $site->jobrunner_log;

for my $addr (sort keys %sent) {
    is(sql($db, "SELECT coalesce(sum(n), 0) FROM analytics_counts"
                . " WHERE dim = 'country' AND key = '$sent{$addr}'"), 5,
       "$addr: 5 views from $sent{$addr}");
}
like($site->jobrunner_log, qr/countries\.mmdb/, 'the log names the database');

# --- several workers: every event arrives, /_metrics sums them ----------

# many connections, each a new source port: reuseport spreads them over
# both workers' sockets
my $M = 200;
for my $i (1 .. $M) {
    my $r = $site->get($i % 2 ? '/posts/hello' : '/missing-' . $i,
                       'User-Agent' => $FIREFOX);
    $r->{status} == ($i % 2 ? 200 : 404) or die "request $i: $r->{status}";
}

my %pids;
wait_for(sub {
    %pids = map { chomp; ($_ => 1) } split /^/, read_file("$d/logs/pids.log");
    2 <= keys %pids;
}, 5);
is_deeply([sort keys %pids], [sort @workers], 'both workers served requests');

my $total = $N + $M;
ok(wait_for(sub {
    sql($db, 'SELECT coalesce(sum(requests), 0) FROM analytics_daily')
        == $total
}, 20), "all $total requests counted by the jobrunner, none twice")
    or diag sql($db, 'SELECT sum(requests) FROM analytics_daily');

my $m = $site->get('/_metrics')->{body};
my %status = $m =~ /^nginx_blog_requests_total\{status="(\d+)"\} (\d+)$/mg;
is($status{200}, $N + $M / 2, '/_metrics: 200s of both workers summed');
is($status{404}, $M / 2, '/_metrics: 404s of both workers summed');
my ($sent) = $m =~ /^nginx_blog_events_total\{outcome="sent"\} (\d+)$/m;
my ($spooled) = $m =~ /^nginx_blog_events_total\{outcome="spooled"\} (\d+)$/m;
is($sent + $spooled, $total, "/_metrics: $total events sent or spooled");
like($m, qr/^nginx_blog_events_total\{outcome="dropped"\} 0$/m, 'none dropped');

$site->stop_jobrunner;
$site->stop;

done_testing();
