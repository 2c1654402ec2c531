#!/usr/bin/perl
#
# The CSS beacon (blog_analytics_beacon, issue 18), end to end with a real
# nginx and a real jobrunner: every page links it, the same bytes for every
# reader (the page cache holds one copy); nginx answers it itself (an empty
# stylesheet, never cached, nosniff); a reader whose browser fetched it
# makes a human visit, one that did not (curl) a visit that is not; the
# beacon is never a view; a beacon read before its page's view (another
# worker's batch) still marks the visit.  The Stats API's visit:human and
# the dashboard's Humans figure count them.  With the beacon off no page
# links it and its path is the blog's 404.  Then the dashboard's 404 panel
# under the page's filters.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use JSON::PP;
use Test::More;
use BlogTest;
use BlogAdmin;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';
my $IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) '
           . 'AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 '
           . 'Mobile/15E148 Safari/604.1';
my $TOKEN = 'beacon-test-token';
my $json = JSON::PP->new->canonical;

my $site = admin_site(posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
}, extra => "blog_analytics_beacon on;\n");
my $d = $site->dir;
my $adb = "$d/analytics.db";
mkdir "$d/spool" or die "mkdir: $!";
$site->{http} = "blog_events unix:$d/events.sock;\n"
              . "    blog_events_spool $d/spool max=1m;\n"
              . "    set_real_ip_from 127.0.0.1;\n"
              . "    real_ip_header X-Forwarded-For;\n";
$site->{server} .= "location = /api/v2/query {\n"
                 . "    blog_stats_api $d/data.db;\n"
                 . "    blog_analytics_auth sha256:" . sha256_hex($TOKEN) . ";\n"
                 . "    blog_stats_api_timeout 60s;\n}\n";
$site->start;

# --- the page and the beacon, as nginx sends them ------------------------

my $LINK = '<link rel="stylesheet" href="/reader.css" media="print">';

# (without a User-Agent: bots, which make no visit for the counts below)
my $a1 = $site->get('/posts/hello', 'X-Forwarded-For' => '203.0.113.1');
my $a2 = $site->get('/posts/hello', 'X-Forwarded-For' => '203.0.113.2');
is $a1->{status}, 200, 'a post';
like $a1->{body}, qr{\Q$LINK\E}, 'it links the beacon, in its head';
like $a1->{body}, qr{\Q$LINK\E.*</head>}s, '... before the end of the head';
is $a2->{headers}{'x-blog-cache'}, 'HIT', 'the next reader gets the cached page';
is $a2->{body}, $a1->{body}, '... the same bytes: nothing of a reader in the link';
like $site->get('/')->{body}, qr{\Q$LINK\E}, 'the index links it';
my $missing = $site->get('/no-such-page');
is $missing->{status}, 404, 'a 404';
like $missing->{body}, qr{\Q$LINK\E}, '... links it too (a visit may land there)';

my $b = $site->get('/reader.css');
is $b->{status}, 200, 'the beacon: 200';
is $b->{headers}{'content-type'}, 'text/css', '... a stylesheet';
is $b->{headers}{'content-length'}, '0', '... empty, a valid one';
is $b->{body}, '', '... no body';
is $b->{headers}{'cache-control'}, 'no-store', '... never kept by a cache';
is $b->{headers}{'x-content-type-options'}, 'nosniff', '... nosniff';
ok !defined $b->{headers}{'x-blog-cache'} || $b->{headers}{'x-blog-cache'} eq '',
    '... not a page of the page cache';
is $site->request('HEAD', '/reader.css')->{status}, 200, 'HEAD: 200';
is $site->request('POST', '/reader.css', _body => 'x')->{status}, 405,
    'POST: 405';
is $site->get('/reader.css?x=1')->{status}, 200, 'a query string is ignored';

# --- readers, counted by the jobrunner -----------------------------------

sub adb { sql($adb, @_) }

$site->start_jobrunner("events_socket = $d/events.sock\n"
                     . "spool_dir = $d/spool\nbatch_interval_ms = 20\n"
                     . "spool_scan_ms = 100\n");
# the requests above were before the jobrunner: start from what it counts
my $views0 = adb('SELECT count(*) FROM analytics_views') // 0;

# a browser: the page, then its CSS; a script: the page alone
my %browser = ('X-Forwarded-For' => '198.51.100.1', 'User-Agent' => $FIREFOX);
my %script = ('X-Forwarded-For' => '198.51.100.2', 'User-Agent' => $FIREFOX);
is $site->get('/posts/hello', %browser)->{status}, 200, 'a browser reads a post';
is $site->get('/reader.css', %browser,
              Referer => 'http://localhost/posts/hello')->{status}, 200,
    '... and fetches its CSS beacon';
is $site->get('/posts/hello', %script)->{status}, 200,
    'a script sending the same agent reads the post';
# a phone: a browser too, over two pages, the beacon on the second
my %phone = ('X-Forwarded-For' => '198.51.100.3', 'User-Agent' => $IPHONE);
$site->get('/posts/hello', %phone);
$site->get('/', %phone);
$site->get('/reader.css', %phone);

ok wait_for(sub { (adb('SELECT count(*) FROM analytics_views') // 0)
                  >= $views0 + 4 }, 20),
   'the views are counted' or diag $site->jobrunner_log;
# the beacons come with their pages' batches; give a late one its time
wait_for(sub { (adb('SELECT count(*) FROM analytics_visits WHERE human = 1')
               // 0) >= 2 }, 10);

is adb('SELECT count(*) FROM analytics_views') - $views0, 4,
    'four views: the beacons are none';
is adb("SELECT count(*) FROM analytics_views WHERE path = '/reader.css'"), 0,
    'no view of the beacon\'s path';
is adb("SELECT group_concat(human || ':' || views, ' ') FROM"
     . " (SELECT human, views FROM analytics_visits WHERE device = 'desktop'"
     . "  ORDER BY human)"), '0:1 1:1',
    'desktop: the script\'s visit is not human, the browser\'s is';
is adb("SELECT human FROM analytics_visits WHERE device = 'phone'"), 1,
    'phone: a visit of two views, human by its second page\'s beacon';

# --- a beacon read before the view of its page ---------------------------
#
# Two workers batch apart: the beacon's record (fetched 300 ms after its
# page) may reach the jobrunner before the page's.  A spool file of
# version 3 records, in that order.

sub record {
    my (%r) = @_;
    my $rec = 'BE' . pack('CC', 3, $r{flags})
        . pack('Q<Q<V v', $r{ms}, 100, 1000, 200)
        . pack('CC', 4, 11) . pack('C4', @{ $r{addr} }) . ("\0" x 12);
    $rec .= pack('v/a*', $_ // '') for 'GET', $r{path}, '', $FIREFOX, '',
        '', '', '', '', '', '';
    return pack('v/a*', $rec);
}
my $now = int(time * 1000);
write_file("$d/spool/.tmp",
    record(flags => 4, ms => $now + 300, addr => [192, 0, 2, 7],
           path => '/reader.css')
    . record(flags => 2, ms => $now, addr => [192, 0, 2, 7],
             path => '/about')
    # a beacon with no page at all: no visit, nothing
    . record(flags => 4, ms => $now, addr => [192, 0, 2, 8],
             path => '/reader.css'));
rename "$d/spool/.tmp", "$d/spool/events.999999.1.ready" or die "rename: $!";
ok wait_for(sub { !-e "$d/spool/events.999999.1.ready" }, 20),
   'the spool file is read';
ok wait_for(sub { (adb("SELECT count(*) FROM analytics_visits"
                     . " WHERE entry = '/about'") // 0) == 1 }, 10),
   'its view made a visit';
is adb("SELECT human FROM analytics_visits WHERE entry = '/about'"), 1,
   '... human: the beacon read first marked it';
is adb('SELECT count(*) FROM analytics_visits') , 4,
   'a beacon without a page makes no visit';

# --- the Stats API and the dashboard -------------------------------------

sub query {
    my ($q) = @_;
    my $r = $site->request('POST', '/api/v2/query',
                           Authorization => "Bearer $TOKEN",
                           'Content-Type' => 'application/json',
                           _body => $json->encode($q));
    is $r->{status}, 200, 'the Stats API answers' or diag $r->{body};
    return eval { $json->decode($r->{body}) } // {};
}

my $today = query({ metrics => ['visitors', 'visits'], date_range => 'day',
                    filters => [['is', 'visit:human', ['1']]] });
is_deeply $today->{results}[0]{metrics}, [3, 3],
    'Stats API: visit:human is 1, 3 visitors and visits';
my $by = query({ metrics => ['visits', 'pageviews'], date_range => 'day',
                 dimensions => ['visit:human'] });
is_deeply [map { "$_->{dimensions}[0]:$_->{metrics}[0]:$_->{metrics}[1]" }
           @{ $by->{results} }], ['1:3:4', '0:1:1'],
    '... as a dimension: 3 human visits of 4 views, 1 other of 1';

my ($res, $jar) = login_as($site, 'admin', 'correct horse battery');
is $res->{status}, 303, 'signed in';
sub page { jar_get($site, $jar, '/admin/analytics' . ($_[0] // '')) }

my $p = page('?period=day');
is $p->{status}, 200, 'the dashboard';
like $p->{body}, qr{<li class="humans"><span class="label">Humans \(loaded the page's CSS\)</span> <b>3</b> <span class="change up"[^>]*>new</span> <a href="/admin/analytics\?period=day&amp;human=1">3 visits, 75%</a></li>},
    'Humans: 3 visitors, 3 visits of 4, a link that filters on them';
my $h = page('?period=day&human=1');
is $h->{status}, 200, 'filtered on humans';
like $h->{body}, qr{<span class="label">Visitors</span> <b>3</b>},
    '... the figures are theirs';
like $h->{body}, qr{<b>human</b> is “1”}, '... the filter is listed';

# a day whose raw rows are gone, only its rollup left (visit:human kept
# there since analytics.db migration 5): the figures and Humans from the
# rollup
my $old = int(time / 86400) - 200;
my $old_date = do { my @t = gmtime($old * 86400);
                    sprintf '%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3] };
adb("INSERT INTO analytics_rollup (day, dim, key, visitors, visits, views,"
  . " bounces, duration_ms) VALUES ($old, '', '', 5, 5, 6, 4, 0),"
  . " ($old, 'visit:human', '1', 2, 2, 3, 1, 0),"
  . " ($old, 'visit:human', '0', 3, 3, 3, 3, 0);"
  . "INSERT INTO analytics_rolled (day) VALUES ($old)");
my $gone = page("?period=custom&from=$old_date&to=$old_date");
is $gone->{status}, 200, 'a period past the raw rows: still a page';
like $gone->{body}, qr{<span class="label">Visitors</span> <b>5</b>},
    '... its figures from the rollup';
like $gone->{body}, qr{<li class="humans"><span class="label">Humans \(loaded the page's CSS\)</span> <b>2</b> .*?2 visits, 40%</a></li>}s,
    '... Humans from the rollup too: 2 of 5 visits';

# --- the 404 panel follows the filters -----------------------------------

# two readers landing on broken links, neither fetching the beacon
$site->get('/old-link', 'X-Forwarded-For' => '198.51.100.4',
           'User-Agent' => $FIREFOX, Referer => 'https://forum.example/t/1');
$site->get('/gone', 'X-Forwarded-For' => '198.51.100.5',
           'User-Agent' => $IPHONE, Referer => 'https://news.example/a');
ok wait_for(sub { (adb('SELECT count(*) FROM analytics_views'
                     . ' WHERE status = 404') // 0) >= 2 }, 20),
   'the 404s are counted';

sub broken {
    my ($body) = @_;
    my ($html) = $body =~ m{<section id="broken" class="panel">(.*?)</section>}s
        or return [];
    my @rows;
    while ($html =~ m{<tr><td>([^<]*)</td><td>([^<]*)</td><td class="n">(\d+)</td></tr>}g) {
        push @rows, "$1 $2 $3";
    }
    return [sort @rows];
}

my $all = page('?period=day')->{body};
is_deeply broken($all), ['/gone news.example/a 1', '/old-link forum.example/t/1 1'],
    '404s: both, unfiltered';
unlike $all, qr{class="note">Filtered as the page}, '... no note without a filter';
my $phone404 = page('?period=day&device=phone')->{body};
is_deeply broken($phone404), ['/gone news.example/a 1'],
    'a device filter: the phone\'s 404 only';
like $phone404, qr{<p class="note">Filtered as the page}, '... and the panel says so';
is_deeply broken(page('?period=day&page=/old-link')->{body}),
    ['/old-link forum.example/t/1 1'], 'a page filter: the 404s at that path';
is_deeply broken(page('?period=day&source=forum.example')->{body}),
    ['/old-link forum.example/t/1 1'], 'a source filter: its visits\' 404s';
is_deeply broken(page('?period=day&country=DE')->{body}), [],
    'a country none of them is from: none';
is_deeply broken(page('?period=day&human=1')->{body}), [],
    'human is 1: none (neither reader fetched the beacon)';
is scalar @{ broken(page('?period=day&human=0')->{body}) }, 2,
    'human is 0: both';

# --- a real browser ----------------------------------------------------------
#
# Headless Chromium loads a post as a reader's browser does: it fetches the
# print stylesheet too, and its visit is a human's.

my $chromium = $ENV{CHROMIUM} // '/usr/bin/chromium';
my $profile = "$d/chromium";
my $probe = `timeout 60 $chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir=$profile/probe --dump-dom about:blank 2>&1`;
SKIP: {
    skip "chromium cannot start here ($chromium)", 3
        if $? != 0 || $probe !~ /<html/;
    my $humans = adb('SELECT count(*) FROM analytics_visits WHERE human = 1');
    my $dom = `timeout 60 $chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir=$profile/run --user-agent='$FIREFOX Chromium-test' --dump-dom http://127.0.0.1:${\ $site->port}/posts/hello 2>/dev/null`;
    like $dom, qr{<h1[^>]*>Hello</h1>}, 'Chromium rendered the post';
    ok wait_for(sub { (read_file("$d/logs/access.log") // '')
                      =~ m{"GET /reader\.css HTTP/1\.1" 200 0 "[^"]*" "[^"]*Chromium-test"} }, 10),
       '... and fetched the print stylesheet, the beacon';
    ok wait_for(sub { adb('SELECT count(*) FROM analytics_visits'
                          . ' WHERE human = 1') == $humans + 1 }, 10),
       '... so its visit is a human\'s' or diag $site->jobrunner_log;
}

$site->stop_jobrunner;

# --- the beacon off --------------------------------------------------------

$site->{server} =~ s/blog_analytics_beacon on;/blog_analytics_beacon off;/
    or die 'no beacon directive to turn off';
$site->write_conf;
my ($rc, $out) = $site->reload;
is $rc, 0, 'reloaded with the beacon off' or diag $out;
my $off = $site->get('/posts/hello');
is $off->{status}, 200, 'a post';
unlike $off->{body}, qr{reader\.css}, '... links no beacon';
is $site->get('/reader.css')->{status}, 404, 'the beacon\'s path is a 404';
$p = page('?period=day');
unlike $p->{body}, qr{class="humans"}, 'the dashboard shows no Humans figure';

done_testing;
