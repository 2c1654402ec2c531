#!/usr/bin/perl
#
# Visits (issue 18), end to end with a real nginx and a real jobrunner:
# known traffic of two closed days, fed as a spool file of records with
# their times (wire format version 3), gives exact visits, bounces,
# durations, entry and exit pages, sources and channels, UTM tags,
# referrer paths, devices, regions and 404 referrers; a visit ends at
# midnight and the visitor's hash changes with the day's salt; bots make
# no visit; the closed days are rolled up into sums equal to the raw
# rows'; a restart does not sum a day twice; rows past raw_days go, and
# the strings only they used; a corrupt pack of views a jobrunner before
# migration 10 left staged is skipped.  The spool files are read 3 records
# a batch, so a page's views are in several packs (migration 10), one per
# batch: the counts are those of views written by one batch.  A real
# request with hostile Referer and UTM values is stored as given, cut to
# its limits, and no other query parameter is.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use BlogTest;
use MaxMind::DB::Writer::Tree;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';
my $IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) '
           . 'AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 '
           . 'Mobile/15E148 Safari/604.1';
my $IPAD = 'Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) '
         . 'AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 '
         . 'Mobile/15E148 Safari/604.1';
my $GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; '
              . '+http://www.google.com/bot.html)';

my $site = new_site(posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
});
my $d = $site->dir;
my $db = $site->db;
my $sock = "$d/events.sock";
mkdir "$d/spool" or die "mkdir: $!";

# --- a City database: a country and its subdivision ----------------------

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 24,
    database_type         => 'GeoLite2-City',
    languages             => ['en'],
    description           => { en => 'ngx_blog test cities' },
    alias_ipv6_to_ipv4    => 1,
    map_key_type_callback => sub {
        { country => 'map', subdivisions => ['array', 'map'],
          iso_code => 'utf8_string' }->{ $_[0] }
    },
);
$tree->insert_network('81.2.69.0/24', {
    country => { iso_code => 'GB' }, subdivisions => [{ iso_code => 'ENG' }],
});
$tree->insert_network('2.125.160.0/24', { country => { iso_code => 'FR' } });
open my $fh, '>:raw', "$d/cities.mmdb" or die "cities.mmdb: $!";
$tree->write_tree($fh);
close $fh;

$site->{http} = "blog_events unix:$sock;\n"
              . "    blog_events_spool $d/spool max=1m;\n"
              . "    set_real_ip_from 127.0.0.1;\n"
              . "    real_ip_header X-Forwarded-For;\n";
$site->start;

sub jr_conf {
    my ($raw_days) = @_;
    return "events_socket = $sock\nspool_dir = $d/spool\n"
         . "batch_interval_ms = 20\nspool_scan_ms = 100\nbatch_size = 3\n"
         . "geoip_db = $d/cities.mmdb\nraw_days = $raw_days\n";
}
$site->start_jobrunner(jr_conf(4));

my $today = int(time / 86400);
# two closed days, whatever the time of day (yesterday closes at 00:30)
my ($A, $B) = ($today - 3, $today - 2);

# Unix milliseconds of hh:mm on a day
sub at {
    my ($day, $hm) = @_;
    my ($h, $m) = split /:/, $hm;
    return ($day * 86400 + $h * 3600 + $m * 60) * 1000;
}

# A record of a page in the wire format of blog_event.h, version 3.
sub record {
    my (%r) = @_;
    my $rec = 'BE' . pack('CC', 3, 2)
        . pack('Q<Q<V v', $r{ms}, 100, 1000, $r{status} // 200)
        . pack('CC', 4, 11) . pack('C4', @{ $r{addr} }) . ("\0" x 12);
    $rec .= pack('v/a*', $_ // '') for 'GET', $r{path}, $r{ref}, $r{agent},
        '', $r{ref_path}, $r{utm_source}, $r{utm_medium}, $r{utm_campaign},
        $r{ref_param}, $r{source};
    return pack('v/a*', $rec);
}

my @one = (addr => [81, 2, 69, 1], agent => $FIREFOX);     # GB-ENG, desktop
my @two = (addr => [2, 125, 160, 9], agent => $IPHONE);    # FR, phone
my @four = (addr => [10, 9, 9, 4], agent => $IPAD);        # unknown, tablet

my $spool = join '',
    # one: a visit of 3 views from Hacker News, 10:00 to 10:20
    record(@one, ms => at($A, '10:00'), path => '/posts/hello',
           ref => 'news.ycombinator.com', ref_path => '/item'),
    record(@one, ms => at($A, '10:05'), path => '/about'),
    record(@one, ms => at($A, '10:20'), path => '/tags/x'),
    # 40 minutes later: a visit of its own, a bounce
    record(@one, ms => at($A, '11:00'), path => '/about'),
    # 23:50 and 00:10 the next day: two visits, one each day
    record(@one, ms => at($A, '23:50'), path => '/posts/hello'),
    record(@one, ms => at($B, '00:10'), path => '/about'),
    # two: from a newsletter, then a broken link's 404, 10 minutes on
    record(@two, ms => at($A, '12:00'), path => '/posts/hello',
           utm_source => 'newsletter', utm_medium => 'email',
           utm_campaign => '<b>"launch"</b>'),
    record(@two, ms => at($A, '12:10'), path => '/posts/gone', status => 404,
           ref => 'old.example.org', ref_path => '/links'),
    # a bot: no visit
    record(addr => [66, 249, 66, 1], agent => $GOOGLEBOT,
           ms => at($A, '13:00'), path => '/posts/hello'),
    # four: from Google, on a tablet, the day after
    record(@four, ms => at($B, '09:00'), path => '/posts/hello',
           ref => 'www.google.com');

write_file("$d/spool/.events.tmp", $spool);
rename "$d/spool/.events.tmp", "$d/spool/events.999999.1.ready"
    or die "rename: $!";

ok(wait_for(sub { !-e "$d/spool/events.999999.1.ready" }, 30),
   'the spool file is read') or diag $site->jobrunner_log;
ok(sql($db, 'SELECT max(seq) FROM analytics_hit_packs') > 0,
   'its batches wrote packs, a page\'s over several');
is(sql($db, 'SELECT (SELECT sum(views) FROM analytics_hit_packs)'
            . ' - (SELECT count(*) FROM analytics_hits)'), 0,
   '... holding every view');
is(sql($db, 'SELECT count(*) FROM analytics_hits_packs'), 0,
   '... none staged');

# --- the raw rows ---------------------------------------------------------

sub row {
    my ($q) = @_;
    return sql($db, $q);
}

is(row("SELECT count(*) FROM analytics_visits WHERE day = $A"), 4,
   'day A: 4 visits');
is(row("SELECT count(*) FROM analytics_visits WHERE day = $B"), 2,
   'day B: 2 visits (the one after midnight is new)');
is(row("SELECT count(*) FROM analytics_views WHERE day = $A"), 7,
   'day A: 7 views in visits (the bot has none)');

is(row("SELECT views, end_ms - start_ms, entry, exit, source, channel,"
       . " ref_host, ref_path, country, region, device, browser, os"
       . " FROM analytics_visits WHERE start_ms = " . at($A, '10:00')),
   "3|1200000|/posts/hello|/tags/x|Hacker News|social|news.ycombinator.com|"
   . "/item|GB|GB-ENG|desktop|Firefox|Linux",
   'the visit from Hacker News: 3 views, 20 minutes, entry, exit, source, '
   . 'region, device');
is(row("SELECT views, end_ms - start_ms, entry, exit, channel"
       . " FROM analytics_visits WHERE start_ms = " . at($A, '11:00')),
   '1|0|/about|/about|direct', 'after a gap of 40 minutes: a new visit');
is(row("SELECT count(*) FROM analytics_visits WHERE start_ms IN ("
       . at($A, '23:50') . ', ' . at($B, '00:10') . ') AND views = 1'),
   2, 'a visit ends at midnight');
is(row("SELECT views, end_ms - start_ms, entry, exit, source, channel,"
       . " utm_source, utm_medium, utm_campaign, country, region, device"
       . " FROM analytics_visits WHERE start_ms = " . at($A, '12:00')),
   '2|600000|/posts/hello|/posts/gone|newsletter|email|newsletter|email|'
   . '<b>"launch"</b>|FR||phone',
   'the newsletter visit: UTM tags as given, its 404 its exit');
is(row("SELECT status, ref_host, ref_path FROM analytics_views"
       . " WHERE path = '/posts/gone'"),
   '404|old.example.org|/links', 'a 404 view keeps its referrer');
is(row("SELECT source, channel, device FROM analytics_visits"
       . " WHERE start_ms = " . at($B, '09:00')),
   'Google|search|tablet', 'from Google on an iPad');

is(row("SELECT count(DISTINCT visitor) FROM analytics_visits"
       . " WHERE device = 'desktop'"),
   2, "one reader's visitor hash differs from one day to the next (salt)");
is(row("SELECT count(DISTINCT visitor) FROM analytics_visits"
       . " WHERE device = 'desktop' AND day = $A"),
   1, 'and is one within a day');

# --- the rollup of the closed days ---------------------------------------

ok(wait_for(sub {
    row("SELECT count(*) FROM analytics_rolled WHERE day IN ($A, $B)") == 2
}, 30), 'both closed days are rolled up') or diag $site->jobrunner_log;

is(row("SELECT visitors, visits, views, bounces, duration_ms"
       . " FROM analytics_rollup WHERE day = $A AND dim = ''"),
   '2|4|7|2|1800000', 'day A: 2 visitors, 4 visits, 7 views, 2 bounces, '
   . '30 minutes');
is(row("SELECT visitors, visits, views, bounces, duration_ms"
       . " FROM analytics_rollup WHERE day = $B AND dim = ''"),
   '2|2|2|2|0', 'day B: 2 visitors, 2 visits, 2 bounces');
is(row("SELECT key, visits, views, bounces FROM analytics_rollup"
       . " WHERE day = $A AND dim = 'event:page' ORDER BY key"),
   "/about|2|2|1\n/posts/gone|1|1|0\n/posts/hello|3|3|1\n/tags/x|1|1|0",
   'day A per page: visits that saw it, its views, bounces');
is(row("SELECT key, visits FROM analytics_rollup WHERE day = $A"
       . " AND dim = 'visit:channel' ORDER BY key"),
   "direct|2\nemail|1\nsocial|1", 'day A per channel');
is(row("SELECT key FROM analytics_rollup WHERE day = $A"
       . " AND dim = 'visit:referrer' AND key <> ''"),
   'news.ycombinator.com/item', 'referrer: host and path');
is(row("SELECT key, visits FROM analytics_rollup WHERE day = $A"
       . " AND dim = 'visit:region' AND key <> ''"),
   'GB-ENG|3', 'regions');

# every dimension's sums equal the raw rows' (day B's are still kept)
my %col = ('visit:entry_page' => 'entry', 'visit:exit_page' => 'exit',
           'visit:source' => 'source', 'visit:device' => 'device',
           'visit:utm_campaign' => 'utm_campaign', 'visit:os' => 'os',
           'visit:human' => 'human');
for my $day ($A, $B) {
    for my $dim (sort keys %col) {
        is(row("SELECT group_concat(key || ':' || visits || ':' || views, ',')"
               . " FROM (SELECT key, visits, views FROM analytics_rollup"
               . " WHERE day = $day AND dim = '$dim' ORDER BY key)"),
           row("SELECT group_concat(k || ':' || n || ':' || v, ',') FROM"
               . " (SELECT $col{$dim} AS k, count(*) AS n, sum(views) AS v"
               . " FROM analytics_visits WHERE day = $day GROUP BY 1"
               . " ORDER BY 1)"),
           "day $day, $dim: the rollup equals the raw rows");
    }
}

# the segments: per country and device, and per source too (by_source 1)
my $seg = "by_source || ':' || source || ':' || country || ':' || device"
        . " || ':' || visitors || ':' || visits || ':' || views";
my $raw = "':' || country || ':' || device || ':' || count(DISTINCT visitor)"
        . " || ':' || count(*) || ':' || sum(views)";
for my $day ($A, $B) {
    is(row("SELECT group_concat(s, ',') FROM (SELECT $seg AS s"
           . " FROM analytics_segments WHERE day = $day ORDER BY 1)"),
       row("SELECT group_concat(s, ',') FROM ("
           . "SELECT '0:' || $raw AS s FROM analytics_visits WHERE day = $day"
           . " GROUP BY country, device UNION ALL SELECT '1:' || source || $raw"
           . " FROM analytics_visits WHERE day = $day"
           . " GROUP BY source, country, device ORDER BY 1)"),
       "day $day: the segments equal the raw rows");
}
for my $day ($A, $B) {
    is(row("SELECT group_concat(s, ',') FROM (SELECT page || ':' || sum(visits)"
           . " || ':' || sum(views) AS s FROM analytics_page_segments"
           . " WHERE day = $day GROUP BY page ORDER BY page)"),
       row("SELECT group_concat(key || ':' || visits || ':' || views, ',')"
           . " FROM (SELECT key, visits, views FROM analytics_rollup"
           . " WHERE day = $day AND dim = 'event:page' ORDER BY key)"),
       "day $day: the pages' segments add up to the pages' rollup");
}
is(row("SELECT count(*) FROM analytics_segments WHERE day = $A"
       . " AND by_source = 0"), 2, 'day A: two segments (desktop, phone)')
    or diag row("SELECT * FROM analytics_segments WHERE day = $A");

# the pairs (migration 11): every breakdown under each country, device and
# source, as the raw rows sum them
my %filter = ('visit:country' => 'country', 'visit:device' => 'device',
              'visit:source' => 'source');
my %pairs_of;
sub pairs_equal_raw {
    my ($day, $what) = @_;
    for my $f (sort keys %filter) {
        for my $dim (sort keys %col) {
            next if $filter{$dim};
            my $got = row("SELECT group_concat(s, ',') FROM (SELECT fkey"
                . " || ':' || key || ':' || visitors || ':' || visits || ':'"
                . " || views || ':' || bounces || ':' || duration_ms AS s"
                . " FROM analytics_pairs WHERE day = $day"
                . " AND fdim = (SELECT id FROM analytics_pair_dims"
                . " WHERE name = '$f') AND dim = (SELECT id"
                . " FROM analytics_pair_dims WHERE name = '$dim') ORDER BY 1)");
            is($got, row("SELECT group_concat(s, ',') FROM (SELECT $filter{$f}"
                . " || ':' || $col{$dim} || ':' || count(DISTINCT visitor)"
                . " || ':' || count(*) || ':' || sum(views) || ':'"
                . " || sum(views = 1) || ':' || sum(end_ms - start_ms) AS s"
                . " FROM analytics_visits WHERE day = $day"
                . " GROUP BY $filter{$f}, $col{$dim} ORDER BY 1)"),
               "day $day, $dim under $f: $what");
            $pairs_of{$day} .= "$got;";
        }
    }
}
pairs_equal_raw($_, 'the pairs equal the raw rows') for $A, $B;
is(row("SELECT count(*) FROM analytics_pairs_rolled WHERE day IN ($A, $B)"),
   2, "both days' pairs are marked summed");
like(row("SELECT group_concat(key) FROM analytics_pairs WHERE day = $A"
         . " AND fdim = 2 AND fkey = 'phone' AND dim = 10"),
     qr/<b>"launch"<\/b>/, "the newsletter's campaign under the phone");

# a day rolled up before migration 11 gets its pairs from its raw rows,
# and only them: its rollup is not summed again
my $rolled_B = row("SELECT group_concat(dim || key || visits, ',')"
                   . " FROM analytics_rollup WHERE day = $B");
sql($site->db, "DELETE FROM analytics_pairs_rolled WHERE day = $B;"
    . " DELETE FROM analytics_pairs WHERE day = $B;");
ok(wait_for(sub {
    row("SELECT count(*) FROM analytics_pairs_rolled WHERE day = $B") == 1
}, 30), "day B's pairs are summed again") or diag $site->jobrunner_log;
my $before = $pairs_of{$B};
$pairs_of{$B} = '';
pairs_equal_raw($B, 'summed later, the pairs equal the raw rows');
is($pairs_of{$B}, $before, 'as they were');
is(row("SELECT group_concat(dim || key || visits, ',') FROM analytics_rollup"
       . " WHERE day = $B"), $rolled_B, "day B's rollup is as it was");

# analytics.db migration 6: a string knows the last day a view used it
is(row("SELECT group_concat(value || '=' || (last_day - $A), ' ') FROM"
       . " (SELECT value, last_day FROM analytics_strings WHERE value IN"
       . " ('/tags/x', '/links', '/about', 'www.google.com') ORDER BY value)"),
   '/about=1 /links=0 /tags/x=0 www.google.com=1',
   "strings' last_day: the last day of a view that used them");

# --- a restart with a shorter retention ---------------------------------

my $rollup = row("SELECT group_concat(day || dim || key || visits, ',')"
                 . " FROM analytics_rollup");
$site->stop_jobrunner;
$site->start_jobrunner(jr_conf(3));

ok(wait_for(sub {
    row("SELECT count(*) FROM analytics_visits WHERE day = $A") == 0
    && row("SELECT count(*) FROM analytics_views WHERE day = $A") == 0
}, 30), 'raw_days = 3: day A\'s rows are deleted') or diag $site->jobrunner_log;
is(row("SELECT count(*) FROM analytics_visits WHERE day = $B"), 2,
   "day B's are kept");
ok(wait_for(sub {
    row("SELECT count(*) FROM analytics_page_segments WHERE day = $A") == 0
}, 30), "day A's pages' segments go with its raw rows")
    or diag $site->jobrunner_log;
ok(row("SELECT count(*) FROM analytics_page_segments WHERE day = $B") > 0,
   "day B's stay");
ok(row("SELECT count(*) FROM analytics_segments WHERE day = $A") > 0,
   "day A's segments stay, as its rollup");
ok(wait_for(sub {
    row("SELECT count(*) FROM analytics_pairs WHERE day = $A") == 0
    && row("SELECT count(*) FROM analytics_pairs_rolled WHERE day = $A") == 0
}, 30), "day A's pairs go with its raw rows") or diag $site->jobrunner_log;
is(row("SELECT count(*) FROM analytics_pairs_rolled WHERE day = $B"), 1,
   "day B's stay");
my $A_only = "('/tags/x', '/posts/gone', 'news.ycombinator.com', '/item',"
           . " 'old.example.org', '/links')";
ok(wait_for(sub {
    row("SELECT count(*) FROM analytics_strings WHERE value IN $A_only") == 0
}, 30), "the strings only day A's views used go with them")
    or diag $site->jobrunner_log;
is(row("SELECT group_concat(value, ' ') FROM (SELECT value FROM"
       . " analytics_strings WHERE value IN ('/posts/hello', '/about',"
       . " 'www.google.com', '') ORDER BY value)"),
   ' /about /posts/hello www.google.com', "those day B's use stay, and ''");
is(row("SELECT count(*) FROM analytics_hits AS h WHERE NOT EXISTS"
       . " (SELECT 1 FROM analytics_strings WHERE id = h.path)"
       . " OR NOT EXISTS (SELECT 1 FROM analytics_strings WHERE"
       . " id = h.ref_host) OR NOT EXISTS (SELECT 1 FROM analytics_strings"
       . " WHERE id = h.ref_path)"), 0, 'no view lost a string');
is(row("SELECT group_concat(day || dim || key || visits, ',')"
       . " FROM analytics_rollup"), $rollup,
   'the rollup outlives them, not summed again after the restart');

# --- a visit over two batches, and a jobrunner killed -------------------

# The row of a visit that goes on is brought up to date once it ends; a
# jobrunner killed before leaves it behind its views, and the next one
# brings it up to date at start.  (Yesterday's 23:00 when today is young.)
my $base = time - $today * 86400 > 1200 ? int(time - 900) * 1000
                                         : at($today - 1, '23:00');
my @five = (addr => [10, 5, 5, 5], agent => $FIREFOX);
for my $i (0, 1) {
    write_file("$d/spool/.events.tmp",
               record(@five, ms => $base + $i * 300_000,
                      path => $i ? '/about' : '/posts/hello'));
    rename "$d/spool/.events.tmp", "$d/spool/events.99999$i.1.ready"
        or die "rename: $!";
    ok(wait_for(sub { !-e "$d/spool/events.99999$i.1.ready" }, 30),
       "batch $i of the visit read");
}
my $id = row("SELECT id FROM analytics_visits WHERE start_ms = $base");
is(row("SELECT count(*) FROM analytics_views WHERE visit = $id"), 2,
   'the visit has its 2 views');
is(row("SELECT views, exit FROM analytics_visits WHERE id = $id"),
   '1|/posts/hello', 'its row is as the first batch left it while it is open');
$site->stop_jobrunner('KILL');
$site->start_jobrunner(jr_conf(3));
is(row("SELECT views, exit, end_ms - start_ms FROM analytics_visits"
       . " WHERE id = $id"), '2|/about|300000',
   'after a kill, the next jobrunner brings it up to date from its views');

# --- a corrupt pack of staged views is counted and skipped -------------

# Two packs a jobrunner before migration 10 could have left staged
# (migration 8's analytics_hits_packs), killed: a view each of the visit
# above, its third and fourth; the second cut short by a byte.  The next
# jobrunner packs the first's view, moves the second aside
# (analytics_hits_packs_bad, migration 9) with a log line and a metric,
# and goes on with its work.
sub varints {
    my $out = '';
    for (@_) {
        my $x = $_;
        while ($x >= 0x80) { $out .= chr(($x & 0x7f) | 0x80); $x >>= 7 }
        $out .= chr($x);
    }
    return $out;
}
my $adb = "$d/analytics.db";
my ($about, $empty) = split /\n/, sql($adb, "SELECT id FROM"
    . " analytics_strings WHERE value IN ('/about', '') ORDER BY value DESC");
my $vday = int($base / 86_400_000);
my @packs = map {
    unpack 'H*', varints($vday, $about, $id, $_, $base + $_ * 300_000, 200,
                         $empty, $empty)
} 3, 4;
$site->stop_jobrunner;
sql($adb, "INSERT INTO analytics_hits_packs (views, hits) VALUES"
          . " (1, x'$packs[0]'), (1, x'$packs[1]');"
          . " UPDATE analytics_hits_packs SET hits = substr(hits, 1,"
          . " length(hits) - 1) WHERE id = (SELECT max(id)"
          . " FROM analytics_hits_packs)");
is(sql($adb, 'SELECT count(*) FROM analytics_hits_packs'), 2,
   'two packs staged, the last cut short');
my $metrics_port = free_port();
$site->start_jobrunner(jr_conf(3)
                       . "metrics_listen = 127.0.0.1:$metrics_port\n");
like($site->jobrunner_log, qr/visits: pack \d+ of analytics_hits_packs \(1 views, \d+ bytes\) is not one the jobrunner wrote: its bytes end within a view; moved to analytics_hits_packs_bad/,
     'the jobrunner starts, and logs which pack and why');
is(sql($adb, 'SELECT count(*) FROM analytics_hits_packs'), 0,
   '... no pack left staged');
is(sql($adb, 'SELECT views, reason FROM analytics_hits_packs_bad'),
   '1|its bytes end within a view', '... the bad one moved aside');
is(row("SELECT group_concat(n, ' ') FROM (SELECT n FROM analytics_views"
       . " WHERE visit = $id ORDER BY n)"), '1 2 3',
   "... the good one's view counted");
is(row("SELECT views, exit FROM analytics_visits WHERE id = $id"),
   '3|/about', '... and its visit brought up to date from its views');
my $m = eval { http_request($metrics_port, 'GET', '/metrics') };
is($m && $m->{status}, 200, 'the jobrunner answers /metrics');
like($m ? $m->{body} : '', qr/^jobrunner_analytics_packs_bad_total 1$/m,
     '... counting one bad pack');

# --- a real request: hostile values stored as given, cut ----------------

my $long = 'x' x 300;
my $r = $site->get("/posts/hello?utm_campaign=$long&utm_source=%3Cscript%3E"
                   . '&token=s3cret&ref=a%27b',
                   'User-Agent' => $FIREFOX,
                   'X-Forwarded-For' => '81.2.69.7',
                   'Referer' => 'https://evil.example/p/<img src=x>?q=secret');
is($r->{status}, 200, 'a page with campaign tags answers 200');
ok(wait_for(sub {
    row("SELECT count(*) FROM analytics_visits WHERE utm_source <> ''"
        . " AND day = $today") == 1
}, 30), "today's visit is written") or diag $site->jobrunner_log;
is(row("SELECT utm_source, length(utm_campaign), source, ref_host, ref_path"
       . " FROM analytics_visits WHERE day = $today AND utm_source <> ''"),
   "<script>|100|<script>|evil.example|/p/<img src=x>",
   'values decoded and stored as given, a long one cut to 100 bytes, the '
   . "referrer's query dropped");
is(row("SELECT count(*) FROM analytics_visits WHERE day = $today AND ("
       . "source || utm_source || utm_campaign || ref_path) LIKE '%secret%'"),
   0, 'no other parameter is stored');

$site->stop_jobrunner;
$site->stop;
done_testing();
