#!/usr/bin/perl
#
# The panel's analytics dashboard, as the server sends it (no script):
# the top figures and their change against the period before, the chart
# and its table, every panel, from known visits in analytics.db; the
# filters in the URL narrow every panel; the periods and a custom range;
# bad periods are 400s; hostile referrers and UTM values are escaped;
# the current visitors, on the page and live over the realtime hub.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX qw(strftime);
use Test::More;
use BlogTest;
use BlogAdmin;
use BlogSSE;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $site = admin_site(location => "blog_live_url /events/;\n");
my $d = $site->dir;
my $db = $site->db;
my $sse = "$d/sse.sock";
$site->{server} .= <<"EOF";
        location /events/ {
            blog_events off;
            blog_admin_session $d/data.db;
            proxy_pass http://unix:$sse:;
            proxy_buffering off;
            proxy_read_timeout 1h;
            proxy_set_header X-Blog-Admin \$blog_admin_user;
        }
EOF
# the readers' requests are access events for the jobrunner (the end)
$site->{http} = "blog_events unix:$d/events.sock;\n";
$site->start;

my $now = time;
my $T = int($now / 86400);
my $ms = $now * 1000;
sub date_of { strftime('%Y-%m-%d', gmtime($_[0] * 86400)) }

# Known traffic.  Last 7 days (T-6 .. T): visits 1, 2, 5 today, 3
# yesterday; visit 4 ten days ago is the period before.
#   visit 1: visitor 1, /a /b /b, 120 s, Google (search), DE, desktop
#   visit 2: visitor 2, /a, direct, US, phone
#   visit 3: visitor 3, /b /c, 60 s, a hostile referrer and campaign, FR, tablet
#   visit 5: visitor 5, /old-post answered 404, from forum.example, GB
#   visit 4: visitor 4, /a, direct, DE, desktop (T-10)
my $hostile_src = '<script>alert(1)</script>';
my $hostile_path = '/"><img src=x onerror=alert(2)>';
my $hostile_utm = '"><b>campaign</b>';
my $t0 = $ms - 3_600_000;
sql($db, <<"SQL");
INSERT INTO analytics_visits (id, day, visitor, start_ms, end_ms, views, entry,
  exit, source, channel, ref_host, ref_path, utm_source, utm_medium,
  utm_campaign, country, region, device, browser, os) VALUES
 (1, $T, 1, $t0, $t0 + 120000, 3, '/a', '/b', 'Google', 'search',
  'www.google.com', '/', '', '', '', 'DE', 'DE-BE', 'desktop', 'Firefox', 'Linux'),
 (2, $T, 2, $t0 + 5000, $t0 + 5000, 1, '/a', '/a', '', 'direct', '', '', '',
  '', '', 'US', '', 'phone', 'Safari', 'iOS'),
 (3, $T - 1, 3, $t0 - 86400000, $t0 - 86400000 + 60000, 2, '/b', '/c',
  '$hostile_src', 'referral', 'evil.example', '$hostile_path', 'news',
  'email', '$hostile_utm', 'FR', '', 'tablet', 'Chrome', 'Android'),
 (5, $T, 5, $t0 + 9000, $t0 + 9000, 1, '/old-post', '/old-post',
  'forum.example', 'referral', 'forum.example', '/thread/1', '', '', '', 'GB',
  '', 'desktop', 'Firefox', 'Windows'),
 (4, $T - 10, 4, $t0 - 864000000, $t0 - 864000000, 1, '/a', '/a', '', 'direct',
  '', '', '', '', '', 'DE', '', 'desktop', 'Firefox', 'Linux');
INSERT INTO analytics_views (visit, day, time_ms, path, status, ref_host,
  ref_path) VALUES
 (1, $T, $t0, '/a', 200, 'www.google.com', '/'),
 (1, $T, $t0 + 60000, '/b', 200, '', ''),
 (1, $T, $t0 + 120000, '/b', 200, '', ''),
 (2, $T, $t0 + 5000, '/a', 200, '', ''),
 (3, $T - 1, $t0 - 86400000, '/b', 200, 'evil.example', '$hostile_path'),
 (3, $T - 1, $t0 - 86400000 + 60000, '/c', 200, '', ''),
 (5, $T, $t0 + 9000, '/old-post', 404, 'forum.example', '/thread/1'),
 (4, $T - 10, $t0 - 864000000, '/a', 200, '', '');
SQL

my ($res, $jar) = login_as($site, 'admin', 'correct horse battery');
is $res->{status}, 303, 'signed in';

sub page {
    my ($query) = @_;
    return jar_get($site, $jar, '/admin/analytics' . ($query // ''));
}

# The figures as label => [value, change].
sub figures {
    my ($body) = @_;
    my %f;
    while ($body =~ m{<li><span class="label">([^<]+)</span> <b>([^<]+)</b> <span class="change (\w+)"[^>]*>([^<]+)</span></li>}g) {
        $f{$1} = [$2, $4, $3];
    }
    return \%f;
}

# A panel's rows as "key visitors views", and their links.
sub panel {
    my ($body, $id) = @_;
    my ($html) = $body =~ m{<section id="\Q$id\E" class="panel">(.*?)</section>}s
        or return;
    my (@rows, @links);
    while ($html =~ m{<tr(?: class="selected")?><td><a href="([^"]*)">(.*?)</a></td><td class="n">(\d+)</td><td class="n">(\d+)</td></tr>}g) {
        push @rows, "$2 $3 $4";
        push @links, $1;
    }
    return wantarray ? (\@rows, \@links) : \@rows;
}

# --- the last 7 days -------------------------------------------------------

my $r = page('?period=7d');
is $r->{status}, 200, 'the dashboard for 7 days';
like $r->{headers}{'content-security-policy'} // '', qr/default-src 'self'/,
    '... sent as a panel page';
my $f = figures($r->{body});
is_deeply $f->{Visitors}, ['4', '+300%', 'up'], 'visitors: one a day each, 4; 1 before';
is_deeply $f->{Visits}, ['4', '+300%', 'up'], 'visits: 4, 1 before';
is_deeply $f->{Views}, ['7', '+600%', 'up'], 'views: 7, 1 before';
is $f->{'Views per visit'}[0], '1.75', 'views per visit: 7 / 4';
is_deeply $f->{'Bounce rate'}, ['50%', '-50 pts', 'down'], 'bounce rate: 2 of 4, 100% before, in points';
is $f->{'Visit duration'}[0], '45s', 'visit duration: (120 + 60) s / 4';
like $r->{body}, qr{<h1>Analytics · Last 7 days</h1>}, 'the period named';
like $r->{body}, qr{<a href="/admin/analytics\?period=7d" aria-current="page">Last 7 days</a>},
    'the selector marks it';
like $r->{body}, qr{\Q${\ date_of($T - 6)}\E to \Q${\ date_of($T)}\E \(UTC\), compared with \Q${\ date_of($T - 13)}\E to \Q${\ date_of($T - 7)}\E},
    'the range and the one compared with';

# the chart and its table
like $r->{body}, qr{<svg class="chart" role="img" aria-label="Visitors and views per day" viewBox="0 0 720 240"},
    'an SVG chart, an image with a label';
my @titles = $r->{body} =~ m{<g class="point"><title>([^<]*)</title>}g;
is scalar @titles, 7, 'a point per day, each with a title';
is $titles[-1], date_of($T) . ': 3 visitors, 5 views', "today's point";
is $titles[-2], date_of($T - 1) . ': 1 visitors, 2 views', "yesterday's";
like $r->{body}, qr{<tr><td>\Q${\ date_of($T)}\E</td><td class="n">3</td><td class="n">5</td></tr>},
    'the same numbers as a table';

is_deeply scalar panel($r->{body}, 'pages'), ['/a 2 2', '/b 2 3', '/c 1 1', '/old-post 1 1'],
    'top pages: visitors and views of each';
is_deeply scalar panel($r->{body}, 'entry-pages'), ['/a 2 4', '/b 1 2', '/old-post 1 1'], 'entry pages';
is_deeply scalar panel($r->{body}, 'exit-pages'), ['/a 1 1', '/b 1 3', '/c 1 2', '/old-post 1 1'], 'exit pages';
is_deeply scalar panel($r->{body}, 'countries'), ['DE 1 3', 'FR 1 2', 'GB 1 1', 'US 1 1'], 'countries';
is_deeply scalar panel($r->{body}, 'devices'), ['desktop 2 4', 'phone 1 1', 'tablet 1 2'], 'devices';
is_deeply scalar panel($r->{body}, 'channels'), ['referral 2 3', 'direct 1 1', 'search 1 3'], 'channels';
is_deeply scalar panel($r->{body}, 'browsers'), ['Firefox 2 4', 'Chrome 1 2', 'Safari 1 1'], 'browsers';
is_deeply scalar panel($r->{body}, 'regions'), ['(none) 3 4', 'DE-BE 1 3'], 'regions, the unknown as (none)';
like $r->{body}, qr{<td>/old-post</td><td>forum\.example/thread/1</td><td class="n">1</td>},
    'a broken inbound link: the 404 path and who linked to it';

# hostile values
unlike $r->{body}, qr{<script>alert|<img src=x|<b>campaign}, 'no hostile markup comes through';
like $r->{body}, qr{&lt;script&gt;alert\(1\)&lt;/script&gt;}, 'a hostile source, escaped';
like $r->{body}, qr{&quot;&gt;&lt;b&gt;campaign&lt;/b&gt;}, 'a hostile campaign, escaped';
like $r->{body}, qr{evil\.example/&quot;&gt;&lt;img src=x onerror=alert\(2\)&gt;}, 'a hostile referrer path, escaped';
my (undef, $src_links) = panel($r->{body}, 'sources');
ok((grep { m{source=%3Cscript%3Ealert\(1\)%3C/script%3E} } @$src_links),
   "a hostile value's filter link is URL-encoded") or diag "@$src_links";

# --- CSV of a panel, of the chart ------------------------------------------------

like $r->{body}, qr{<a class="csv" href="/admin/analytics\?period=7d&amp;csv=country" aria-label="Countries as CSV">CSV</a>},
    'each panel links to its CSV';
$r = page('?period=7d&csv=source');
is $r->{status}, 200, 'a panel as CSV';
like $r->{headers}{'content-type'}, qr{^text/csv; charset=utf-8}, '... text/csv';
is $r->{headers}{'content-disposition'},
    'attachment; filename="analytics-source-' . date_of($T - 6) . '-' . date_of($T) . '.csv"',
    '... a file named after the panel and the range';
my @lines = split /\r\n/, $r->{body};
like $lines[0], qr/source.*visitors.*visits.*pageviews.*bounce_rate.*visit_duration/, '... a header line';
is scalar @lines, 5, '... and every source (4)';
ok((grep { index($_, $hostile_src) == 0 } @lines), '... the hostile one as it is: CSV needs no HTML escaping');
$r = page('?period=7d&country=DE&csv=page');
@lines = split /\r\n/, $r->{body};
is_deeply [map { (split /,/)[0] } @lines[1 .. $#lines]], ['/a', '/b'], 'a filtered panel as CSV: its rows only';
$r = page('?period=7d&csv=time');
@lines = split /\r\n/, $r->{body};
is scalar @lines, 1 + 2, 'the chart as CSV: the days with data';
$r = page('?period=7d&csv=nope');
is $r->{status}, 400, 'a CSV of no panel: 400';

$r = page('?period=7d');

# --- filters: a click narrows every panel -----------------------------------

my (undef, $links) = panel($r->{body}, 'countries');
my ($de) = grep { /country=DE\b/ } @$links;
is $de, '/admin/analytics?period=7d&amp;country=DE', 'a country links to the page filtered by it';
(my $href = $de) =~ s/&amp;/&/g;
$r = page($href =~ s{^/admin/analytics}{}r);
is $r->{status}, 200, 'the filtered page';
$f = figures($r->{body});
is $f->{Visitors}[0], '1', 'filtered: 1 visitor';
is $f->{Views}[0], '3', '... 3 views';
is_deeply scalar panel($r->{body}, 'pages'), ['/a 1 1', '/b 1 2'], '... top pages of DE only';
is_deeply scalar panel($r->{body}, 'devices'), ['desktop 1 3'], '... devices of DE only';
is_deeply scalar panel($r->{body}, 'countries'), ['DE 1 3'], '... and the country itself';
like $r->{body}, qr{<tr class="selected"><td><a href="[^"]*">DE</a>}, '... marked as the filter';
like $r->{body}, qr{<b>country</b> is “DE” <a href="/admin/analytics\?period=7d" aria-label="Remove the filter country is DE">×</a>},
    'the filter shown, with a link that removes it';
like $r->{body}, qr{<a href="/admin/analytics\?period=30d&amp;country=DE">Last 30 days</a>},
    'the periods keep the filter';
like $r->{body}, qr{<input type="hidden" name="country" value="DE">}, '... and so does the custom form';

# a second filter, from the filtered page
(undef, $links) = panel($r->{body}, 'pages');
my ($b) = grep { /page=%2Fb|page=\/b/ } @$links;
ok $b && $b =~ /country=DE/ && $b =~ /page=/, 'a page link keeps the country filter' or diag "@$links";
$r = page('?period=7d&country=DE&page=%2Fb');
is figures($r->{body})->{Visitors}[0], '1', 'two filters: the visit of DE that saw /b';
$r = page('?period=7d&page=%2Fc');
is_deeply scalar panel($r->{body}, 'countries'), ['FR 1 1'], 'a page filter narrows the countries (views: the page\'s)';
$r = page('?period=7d&device=phone');
is_deeply scalar panel($r->{body}, 'pages'), ['/a 1 1'], 'a device filter narrows the pages';

# --- periods -----------------------------------------------------------------

$r = page('?period=day');
is figures($r->{body})->{Visitors}[0], '3', 'today: 3 visitors';
$r = page('?period=yesterday');
is figures($r->{body})->{Visitors}[0], '1', 'yesterday: 1';
$r = page();
like $r->{body}, qr{<h1>Analytics · Last 30 days</h1>}, 'the default period: 30 days';
is figures($r->{body})->{Visitors}[0], '5', '... with the visit of 10 days ago';
my $y = date_of($T - 1);
$r = page("?period=custom&from=$y&to=$y");
is $r->{status}, 200, 'a custom range';
is figures($r->{body})->{Visitors}[0], '1', '... of one day';
like $r->{body}, qr{<input type="date" name="from" value="$y" required>}, '... its dates in the form';
$r = page('?period=12mo');
like $r->{body}, qr{aria-label="Visitors and views per month"}, '12 months: a point per month';
my @months = $r->{body} =~ m{<g class="point"><title>}g;
ok @months >= 12 && @months <= 13, '... 12 or 13 of them';

for my $bad ('?period=decade', '?period=custom&from=2026-02-30&to=2026-03-01',
             "?period=custom&from=$y", "?period=custom&from=$y&to=" . date_of($T - 2),
             '?period=custom&from=1990-01-01&to=2026-01-01',
             '?country=' . ('x' x 1100)) {
    $r = page($bad);
    is $r->{status}, 400, "bad request refused: " . substr($bad, 0, 50);
}
like $site->error_log, qr/analytics dashboard: The period is none of the selector's/,
    'the reason in the error log';

# --- current visitors ----------------------------------------------------------

$r = page('?period=7d');
like $r->{body}, qr{<b id="current-visitors" data-topic="analytics.current" data-events="/events/">0</b> current visitors},
    'current visitors: none, the last view was an hour ago';
$ms = time * 1000;
# a visit that goes on: the jobrunner brings its row's end_ms up to date
# only once it ends, its views are there at once
sql($db, "INSERT INTO analytics_visits (id, day, visitor, start_ms, end_ms, views,"
       . " entry, exit) VALUES (6, $T, 6, $ms - 1200000, $ms - 1200000, 1, '/a', '/a');"
       . "INSERT INTO analytics_views (visit, day, time_ms, path, status) VALUES"
       . " (6, $T, $ms - 1200000, '/a', 200), (6, $T, $ms - 1000, '/b', 200)");
$r = page('?period=7d');
like $r->{body}, qr{<b id="current-visitors"[^>]*>1</b> current visitors},
    '... then 1, a visit of 20 minutes whose last view was a second ago';

# live: the jobrunner counts them every current_interval_ms and publishes
# a change on analytics.current, for admins only
$site->start_jobrunner("events_socket = $d/events.sock\nsse_socket = $sse\n"
                     . "current_interval_ms = 100\n");
my $anon = subscribe($site->port, ['analytics.current']);
is $anon->{status}, 403, 'analytics.current without an admin session: 403';
$anon->close_sub;
my $cookie = "blog_session=$jar->{blog_session}";
my $live = subscribe($site->port, ['analytics.current'], Cookie => $cookie);
is $live->{status}, 200, '... with one: 200';
my $e = $live->next_event('current', 15);
is $e && $e->{json}{visitors}, 1, 'the current number at once' or diag $site->jobrunner_log;
# (an id far above the jobrunner's, which gives its visits the ids after
# the largest at its start)
sql($db, "INSERT INTO analytics_visits (id, day, visitor, start_ms, end_ms, views,"
       . " entry, exit) VALUES (1000, $T, 7, $ms, $ms, 1, '/c', '/c');"
       . "INSERT INTO analytics_views (visit, day, time_ms, path, status) VALUES"
       . " (1000, $T, $ms, '/c', 200)");
$e = $live->next_event('current', 15);
is $e && $e->{json}{visitors}, 2, 'a new visitor: the number goes up';
$live->close_sub;
my $late = subscribe($site->port, ['analytics.current'], Cookie => $cookie);
$e = $late->next_event('current', 15);
is $e && $e->{json}{visitors}, 2, 'a new subscriber gets the current number';
$late->close_sub;

# end to end: two readers' requests, counted by the jobrunner, are two
# more current visitors and two more visitors of today
my $before = figures(page('?period=day')->{body})->{Visitors}[0];
$live = subscribe($site->port, ['analytics.current'], Cookie => $cookie);
$e = $live->next_event('current', 15);
is $e && $e->{json}{visitors}, 2, 'subscribed again: 2';
for my $ua ('Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0',
            'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 '
            . '(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1') {
    is $site->get('/', 'User-Agent' => $ua)->{status}, 200, 'a reader reads the index';
}
my $n = 2;
while ($n < 4 && ($e = $live->next_event('current', 15))) { $n = $e->{json}{visitors} }
is $n, 4, 'the readers are current visitors, live' or diag $site->jobrunner_log;
$live->close_sub;
is figures(page('?period=day')->{body})->{Visitors}[0], $before + 2,
    '... and visitors of today on the dashboard';
is_deeply((grep { m{^/ } } @{ scalar panel(page('?period=day')->{body}, 'pages') }), '/ 2 2',
    '... who saw the index');
$site->stop_jobrunner;

done_testing;
