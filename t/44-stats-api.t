#!/usr/bin/perl
#
# The Stats API (blog_stats_api, docs/analytics-api.md): private behind
# blog_analytics_auth, Plausible v2 queries answered from analytics.db
# with the numbers worked out by hand below, bad queries 400 with the
# reason logged, hostile values intact in JSON and made safe in CSV
# (parsed back), and the time bound of a query.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use JSON::PP;
use POSIX qw(strftime);
use Test::More;
use BlogTest;

my $TOKEN = 'stats api token 1234';
my $HASH = sha256_hex($TOKEN);
my $json = JSON::PP->new->canonical;

my $site = new_site();
my $db = $site->db;

# --- configuration ---------------------------------------------------------

$site->{server} = "location = /q { blog_stats_api $db; }";
$site->write_conf;
my ($rc, $out) = $site->nginx('-t');
isnt $rc, 0, 'nginx -t fails without blog_analytics_auth';
like $out, qr/"blog_stats_api" needs "blog_analytics_auth"/, 'and says why';

$site->{server} = <<"CONF";
location = /api/v2/query {
            blog_stats_api $db;
            blog_analytics_auth sha256:$HASH;
            # room for the sanitizer build on a loaded machine
            blog_stats_api_timeout 60s;
        }
        location = /slow {
            blog_stats_api $db;
            blog_analytics_auth sha256:$HASH;
            blog_stats_api_timeout 1ms;
        }
CONF
$site->write_conf;
$site->start;

# --- traffic: yesterday and today ----------------------------------------
#
# Yesterday: visitor 1 reads /a /b /a in 120 s from Google, then /b alone;
# visitor 2 reads /a alone (US, phone).  Today: visitor 7 reads /b then /c
# in 60 s, from a hostile referrer and campaign.

my $T = int(time / 86400);
my $Y = $T - 1;
my ($ms_y, $ms_t) = ($Y * 86400000 + 3600000, $T * 86400000 + 60000);
sub date { strftime('%Y-%m-%d', gmtime($_[0] * 86400)) }
my ($yday, $today) = (date($Y), date($T));

my $HOSTILE_SRC = q{=HYPERLINK("http://evil.example","<b>x</b>")};
my $HOSTILE_UTM = qq{a,b\r\nSet-Cookie: x=1 "q"};
(my $src_sql = $HOSTILE_SRC) =~ s/'/''/g;

sql($db, <<"SQL");
INSERT INTO analytics_visits (id, day, visitor, start_ms, end_ms, views,
  entry, exit, source, channel, ref_host, ref_path, utm_source, country,
  device, browser, os) VALUES
 (1, $Y, 1, $ms_y, $ms_y + 120000, 3, '/a', '/a', 'Google', 'search',
  'www.google.com', '/', '', 'DE', 'desktop', 'Firefox', 'Linux'),
 (2, $Y, 2, $ms_y + 1000, $ms_y + 1000, 1, '/a', '/a', '', 'direct', '', '',
  '', 'US', 'phone', 'Safari', 'iOS'),
 (3, $Y, 1, $ms_y + 9000000, $ms_y + 9000000, 1, '/b', '/b', 'Google',
  'search', 'www.google.com', '/', '', 'DE', 'desktop', 'Firefox', 'Linux'),
 (4, $T, 7, $ms_t, $ms_t + 60000, 2, '/b', '/c', '$src_sql', 'referral',
  'evil.example', '/<script>', char(97,44,98,13,10) || 'Set-Cookie: x=1 "q"',
  'US', 'tablet', 'Chrome', 'Android');
INSERT INTO analytics_views (visit, day, time_ms, path, status) VALUES
 (1, $Y, $ms_y, '/a', 200), (1, $Y, $ms_y + 60000, '/b', 200),
 (1, $Y, $ms_y + 120000, '/a', 200), (2, $Y, $ms_y + 1000, '/a', 200),
 (3, $Y, $ms_y + 9000000, '/b', 200), (4, $T, $ms_t, '/b', 200),
 (4, $T, $ms_t + 60000, '/c', 200);
SQL

sub query {
    my ($body, %h) = @_;
    my $path = delete $h{_path} // '/api/v2/query';
    return $site->request('POST', $path,
                          Authorization => "Bearer $TOKEN",
                          'Content-Type' => 'application/json',
                          _body => ref $body ? $json->encode($body) : $body,
                          %h);
}

# --- auth ---------------------------------------------------------------

my $q = { metrics => ['visitors'], date_range => [$yday, $today] };
my $r = $site->request('POST', '/api/v2/query', _body => $json->encode($q));
is $r->{status}, 401, 'no token: 401';
like $r->{headers}{'www-authenticate'} // '', qr/^Bearer realm="stats"/,
    'asks for a Bearer token';
is_deeply decode_json($r->{body}), { error => 'a Bearer token is needed' },
    'a JSON error, no numbers';
is query($q, Authorization => 'Bearer wrong')->{status}, 401,
    'a wrong token: 401';
is query($q, Authorization => "Bearer ${TOKEN}x")->{status}, 401,
    'the token and more: 401';
is query($q, Authorization => 'Bearer ' . substr($TOKEN, 0, -1))->{status},
    401, 'a prefix of the token: 401';
unlike $site->error_log, qr/\Q$TOKEN\E|stats api token/,
    'the error log holds no token';
is $site->get('/api/v2/query', Authorization => "Bearer $TOKEN")->{status},
    405, 'GET with the token: 405';

# --- numbers ---------------------------------------------------------------

$r = query({ metrics => [qw(visitors visits pageviews bounce_rate
                            visit_duration views_per_visit)],
             date_range => [$yday, $today],
             include => { total_rows => JSON::PP::true } });
is $r->{status}, 200, 'a query: 200';
like $r->{headers}{'content-type'}, qr{^application/json}, 'JSON';
is $r->{headers}{'cache-control'}, 'no-store', 'not cached';
my $a = decode_json($r->{body});
is_deeply [sort keys %$a], [qw(meta query results)],
    'results, meta and query, as Plausible has them';
# visitors: 2 yesterday + 1 today; 4 visits, 7 views, 2 bounces, 180 s
is_deeply $a->{results}, [{ metrics => [3, 4, 7, 50, 45, 1.75],
                            dimensions => [] }],
    'totals: 3 visitors, 4 visits, 7 views, 50% bounces, 45 s, 1.75';
is_deeply $a->{query}{date_range}, [$yday, $today], 'the range echoed';
is $a->{meta}{total_rows}, 1, 'meta.total_rows';

$r = query({ metrics => [qw(visitors pageviews visits bounce_rate)],
             date_range => [$yday, $today], dimensions => ['event:page'] });
is_deeply decode_json($r->{body})->{results},
    [{ dimensions => ['/a'], metrics => [2, 3, 2, 50] },
     { dimensions => ['/b'], metrics => [2, 3, 3, 33] },
     { dimensions => ['/c'], metrics => [1, 1, 1, 0] }],
    'by page: its views, the visits and visitors that saw it';

$r = query({ metrics => ['visits'], date_range => [$yday, $today],
             dimensions => ['visit:device'],
             filters => [['is_not', 'visit:country', ['DE']]] });
is_deeply decode_json($r->{body})->{results},
    [{ dimensions => ['phone'], metrics => [1] },
     { dimensions => ['tablet'], metrics => [1] }],
    'a filter on another dimension';

$r = query({ metrics => ['visitors'], date_range => [$today, $today],
             include => { comparisons => { mode => 'previous_period' } } });
is_deeply decode_json($r->{body})->{results},
    [{ dimensions => [], metrics => [1],
       comparison => { dimensions => [], metrics => [2], change => [-50] } }],
    'today against yesterday: 1 visitor against 2, -50%';

$r = query({ metrics => ['pageviews'], date_range => [$yday, $today],
             dimensions => ['time:day'] });
is_deeply decode_json($r->{body})->{results},
    [{ dimensions => [$yday], metrics => [5] },
     { dimensions => [$today], metrics => [2] }], 'by day';

# a visit still open: its row as first written (1 view, no duration), its
# views since then only in analytics_views (jr_visits.c brings the row up
# to date when the visit ends)
sql($db, "INSERT INTO analytics_visits (id, day, visitor, start_ms, end_ms,"
    . " views, entry, exit) VALUES (5, $T, 9, $ms_t + 100000,"
    . " $ms_t + 100000, 1, '/d', '/d');"
    . " INSERT INTO analytics_views (visit, day, time_ms, path, status)"
    . " VALUES (5, $T, $ms_t + 100000, '/d', 200),"
    . " (5, $T, $ms_t + 130000, '/e', 200), (5, $T, $ms_t + 160000, '/d', 200)");
$r = query({ metrics => [qw(visits pageviews bounce_rate visit_duration)],
             date_range => [$today, $today] });
is_deeply decode_json($r->{body})->{results},
    [{ dimensions => [], metrics => [2, 5, 0, 60] }],
    "an open visit counted from its views: 3 views, 60 s, no bounce";
sql($db, 'DELETE FROM analytics_views WHERE visit = 5;'
    . ' DELETE FROM analytics_visits WHERE id = 5');

# --- hostile values ------------------------------------------------------

$q = { metrics => ['visits'], date_range => [$today, $today],
       dimensions => ['visit:source', 'visit:utm_source', 'visit:referrer'] };
$r = query($q);
is_deeply decode_json($r->{body})->{results},
    [{ dimensions => [$HOSTILE_SRC, $HOSTILE_UTM, 'evil.example/<script>'],
       metrics => [1] }],
    'hostile values come back intact from the JSON';
unlike $r->{body}, qr/\r|\n/, 'no raw line break in the JSON';
like $r->{headers}{'x-content-type-options'} // '', qr/nosniff/,
    'nosniff: the JSON is never taken for HTML';

$r = query($q, _path => '/api/v2/query?format=csv');
is $r->{status}, 200, 'CSV: 200';
like $r->{headers}{'content-type'}, qr{^text/csv}, 'text/csv';
like $r->{headers}{'content-disposition'} // '', qr/^attachment/,
    'downloaded';
my @rows = csv_parse($r->{body});
is_deeply \@rows,
    [['visit:source', 'visit:utm_source', 'visit:referrer', 'visits'],
     ["'$HOSTILE_SRC", $HOSTILE_UTM, 'evil.example/<script>', '1']],
    'CSV parsed back: quotes and line breaks kept, the formula made text';

# --- refused ----------------------------------------------------------------

$r = query({ metrics => ['views'], date_range => '7d' });
is $r->{status}, 400, 'an unknown metric: 400';
is_deeply decode_json($r->{body}),
    { error => 'metrics: must be known names (docs/analytics-api.md)' },
    'the reason as JSON';
like $site->error_log, qr/blog_stats_api: a refused query: metrics: must be/,
    'and in the error log';
is query('{"metrics":')->{status}, 400, 'not JSON: 400';
is query({ metrics => ['visits'], date_range => '7d',
           filters => [['is', 'visit:country', ['<x>']], 'x'] })->{status},
    400, 'a filter that is not a list: 400';
$r = query('x' x 70000);
is $r->{status}, 413, 'a body over 64k: 413';
$r = query({ metrics => ['visits'], date_range => '7d',
             site_id => 'x' x 20000 });
is $r->{status}, 413, 'a body over client_body_buffer_size: 413';
like $site->error_log, qr/blog_stats_api: a body over client_body_buffer_size/,
    'logged';

# a closed day rolled up, its raw rows gone: the rollup answers unfiltered
my $D = $T - 10;
sql($db, "INSERT INTO analytics_rolled VALUES ($D);"
    . " INSERT INTO analytics_rollup VALUES ($D, '', '', 10, 12, 30, 6, 0),"
    . " ($D, 'visit:country', 'DE', 4, 5, 10, 2, 0)");
$r = query({ metrics => ['visitors', 'visits'],
             date_range => [date($D), $today] });
is_deeply decode_json($r->{body})->{results},
    [{ dimensions => [], metrics => [13, 16] }],
    'a rolled-up day and raw days add up';
sql($db, "INSERT INTO analytics_rollup VALUES"
    . " ($D, 'visit:human', '0', 10, 12, 30, 6, 0)");
$r = query({ metrics => ['visits'], date_range => [date($D), $today],
             dimensions => ['visit:human'] });
is_deeply decode_json($r->{body})->{results},
    [{ dimensions => ['0'], metrics => [16] }],
    'grouped by human: the rolled day\'s "0" and the raw days\' 0 are one row'
    or diag $r->{body};
sql($db, "INSERT INTO analytics_segments VALUES"
    . " (0, $D, '', 'DE', 'tablet', 4, 5, 10, 2, 0)");
$r = query({ metrics => [qw(visitors)], date_range => [date($D), date($D)],
             dimensions => ['visit:device'],
             filters => [['is', 'visit:country', ['DE']]] });
is_deeply decode_json($r->{body}),
    { results => [{ dimensions => ['tablet'], metrics => [4] }],
      meta => { source => 'rollup' },
      query => decode_json($r->{body})->{query} },
    'a country filter over purged raw rows: the segments answer'
    or diag $r->{body};
$r = query({ metrics => ['visitors'], date_range => [date($D), $today],
             dimensions => ['visit:device'],
             filters => [['is', 'visit:browser', ['Firefox']]] });
is $r->{status}, 400, 'a filter over purged raw rows: 400';
like decode_json($r->{body})->{error}, qr/needs the raw rows, kept from \Q$yday\E/,
    'saying from when the raw rows are kept';

# the pairs (migration 11): a breakdown the segments lack, under a country
sql($db, "INSERT INTO analytics_pairs SELECT $D, c.id, b.id, p.*"
    . " FROM analytics_pair_dims c, analytics_pair_dims b, (VALUES"
    . " ('DE', 'Firefox', 3, 4, 8, 1, 0), ('FR', 'Firefox', 7, 7, 7, 0, 0),"
    . " ('FR', 'Safari', 2, 2, 2, 0, 0)) p"
    . " WHERE c.name = 'visit:country' AND b.name = 'visit:browser'");
my $by_browser = sub {
    my ($filter) = @_;
    return query({ metrics => [qw(visitors visits)],
                   date_range => [date($D), date($D)],
                   dimensions => ['visit:browser'], filters => [$filter] });
};
$r = $by_browser->(['is', 'visit:country', ['DE']]);
is $r->{status}, 400, 'pairs of a day not marked summed are not read: 400';
sql($db, "INSERT INTO analytics_pairs_rolled VALUES ($D)");
$r = $by_browser->(['is', 'visit:country', ['DE']]);
is_deeply decode_json($r->{body})->{results},
    [{ dimensions => ['Firefox'], metrics => [3, 4] }],
    'browsers under a country over purged raw rows: the pairs answer'
    or diag $r->{body};
$r = $by_browser->(['is_not', 'visit:country', ['DE']]);
is_deeply decode_json($r->{body})->{results},
    [{ dimensions => ['Firefox'], metrics => [7, 7] },
     { dimensions => ['Safari'], metrics => [2, 2] }],
    'under "is not" a country: the other countries\' pairs summed'
    or diag $r->{body};
$r = query({ metrics => ['visits'], date_range => [date($D), date($D)],
             dimensions => ['visit:browser'],
             filters => [['is', 'visit:country', ['FR']],
                         ['contains', 'visit:browser', ['Saf']]] });
is_deeply decode_json($r->{body})->{results},
    [{ dimensions => ['Safari'], metrics => [2] }],
    'and a filter on the breakdown itself'
    or diag $r->{body};
is $by_browser->(['contains', 'visit:source', ['x']])->{status}, 400,
    'pairs of several sources would count a visitor twice: raw rows, 400';
sql($db, "DELETE FROM analytics_rolled WHERE day = $D");
is sql($db, "SELECT count(*) FROM analytics_pairs_rolled WHERE day = $D"), 0,
    'a day taken out of analytics_rolled goes out of the pairs\' days too';
sql($db, "INSERT INTO analytics_rolled VALUES ($D)");

# --- the time bound --------------------------------------------------------

# 200,000 views in one day, long ago: a query over them takes more than 1 ms
my $B = $T - 5;
sql($db, <<"SQL");
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO analytics_visits (id, day, visitor, start_ms, end_ms, views,
  entry, exit) SELECT 100 + i, $B, i, 0, 0, 10, '/p', '/p' FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199999)
INSERT INTO analytics_views (visit, day, time_ms, path, status)
  SELECT 101 + i / 10, $B, 0, '/p' || (i % 500), 200 FROM n;
SQL
$q = { metrics => ['visitors', 'pageviews'], date_range => [date($B), $today],
       dimensions => ['event:page'],
       filters => [['contains', 'event:page', ['/p']]] };
$r = query($q, _path => '/slow');
is $r->{status}, 503, 'a query over blog_stats_api_timeout: 503';
like decode_json($r->{body})->{error}, qr/took longer than the server allows/,
    'saying why';
like $site->error_log, qr/blog_stats_api: a query stopped after 1 ms/,
    'and logged';
$r = query($q);
is $r->{status}, 200, 'the same query under a bound of 60 s: 200';
is scalar @{ decode_json($r->{body})->{results} }, 500, 'its 500 pages';
unlike $site->error_log, qr/\[(alert|crit|emerg)\]/, 'no alert in the log';

# --- end to end: real requests, counted by a real jobrunner -------------

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';
my $IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) '
           . 'AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 '
           . 'Mobile/15E148 Safari/604.1';

my $live = new_site(posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
    'other.md' => "---\ntitle: Other\ndate: 2026-10-02\n---\nHo.\n",
});
my $ld = $live->dir;
mkdir "$ld/spool" or die "mkdir: $!";
$live->{http} = "blog_events unix:$ld/events.sock;\n"
              . "    blog_events_spool $ld/spool max=1m;\n";
$live->{server} = "location = /api/v2/query {\n"
    . "            blog_stats_api ${\ $live->db};\n"
    . "            blog_analytics_auth sha256:$HASH;\n"
    . "        }\n";
$live->start;
$live->start_jobrunner("events_socket = $ld/events.sock\n"
                       . "spool_dir = $ld/spool\nbatch_interval_ms = 20\n"
                       . "spool_scan_ms = 100\n");

# one reader from a newsletter reads two posts; another, on a phone, one
is $live->get('/posts/hello?utm_source=newsletter&utm_campaign=%3Cb%3E',
              'User-Agent' => $FIREFOX,
              Referer => 'https://news.example/list')->{status},
    200, 'a reader from a newsletter';
is $live->get('/posts/other', 'User-Agent' => $FIREFOX,
              Referer => "http://localhost/posts/hello")->{status},
    200, 'reads on';
is $live->get('/posts/hello', 'User-Agent' => $IPHONE,
              _from => '127.0.0.2')->{status}, 200, 'another on a phone';

sub live_query {
    my ($body) = @_;
    my $r = $live->request('POST', '/api/v2/query',
                           Authorization => "Bearer $TOKEN",
                           _body => $json->encode($body));
    return $r->{status} == 200 ? decode_json($r->{body})->{results} : undef;
}

my $totals;
ok wait_for(sub {
    $totals = live_query({ metrics => [qw(visitors visits pageviews
                                          bounce_rate)],
                           date_range => 'day' });
    $totals && $totals->[0]{metrics}[2] == 3
}, 30), 'the three views are counted' or diag $live->jobrunner_log;
is_deeply $totals->[0]{metrics}, [2, 2, 3, 50],
    '2 visitors, 2 visits, 3 views, one visit of one view: 50% bounces';
is_deeply live_query({ metrics => ['visits'], date_range => 'day',
                       dimensions => ['visit:utm_source',
                                      'visit:utm_campaign'] }),
    [{ dimensions => ['', ''], metrics => [1] },
     { dimensions => ['newsletter', '<b>'], metrics => [1] }],
    'the campaign of the visit that had one';
is_deeply live_query({ metrics => ['visitors'], date_range => 'day',
                       dimensions => ['visit:device'],
                       order_by => [['visit:device', 'asc']] }),
    [{ dimensions => ['desktop'], metrics => [1] },
     { dimensions => ['phone'], metrics => [1] }], 'devices';
is_deeply live_query({ metrics => ['pageviews'], date_range => 'day',
                       dimensions => ['event:page'],
                       filters => [['is', 'visit:device', ['desktop']]] }),
    [{ dimensions => ['/posts/hello'], metrics => [1] },
     { dimensions => ['/posts/other'], metrics => [1] }],
    'pages of the desktop visit';

$live->stop_jobrunner;

done_testing();


# RFC 4180: fields quoted or not, "" inside quotes, CRLF between records.
sub csv_parse {
    my ($text) = @_;
    my (@rows, @row);
    my $field = '';
    while (length $text) {
        if ($text =~ s/^"((?:[^"]|"")*)"//) {
            ($field = $1) =~ s/""/"/g;
        } elsif ($text =~ s/^([^",\r\n]*)//) {
            $field = $1;
        }
        push @row, $field;
        $field = '';
        if ($text =~ s/^,//) {
            next;
        }
        $text =~ s/^\r\n// or die "CSV: a record does not end with CRLF\n";
        push @rows, [@row];
        @row = ();
    }
    return @rows;
}
