#!/usr/bin/perl
#
# The analytics page: private (a token, as Bearer or as the Basic
# password), the dashboard's figures of 30 days and its top pages and
# sources through the query engine, the requests by status code and the
# bots from the counters, hostile values escaped; its configuration errors.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use MIME::Base64 qw(encode_base64);
use Digest::SHA qw(sha256_hex);
use Test::More;
use BlogTest;

my $TOKEN = 'correct horse battery staple';
my $HASH = sha256_hex($TOKEN);

my $site = new_site(posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
});
my $db = $site->db;
my $conf_file = $site->dir . '/conf/nginx.conf';
my $today = int(time / 86400);

# --- configuration errors -----------------------------------------------

sub refused {
    my ($server, $want, $name) = @_;
    local $site->{server} = $server;
    $site->write_conf;
    my ($rc, $out) = $site->nginx('-t');
    isnt $rc, 0, "nginx -t fails: $name";
    like $out, $want, "message: $name";
    like $out, qr/\Q$conf_file\E:\d+/, "names the file and line: $name";
    unlike $out, qr/\Q$TOKEN\E/, "does not echo the value: $name";
}

refused("location = /a { blog_analytics $db; blog_theme "
        . "$BlogTest::ROOT/conf/theme; }",
        qr/"blog_analytics" needs "blog_analytics_auth"/, 'no credential');
refused("location = /a { blog_analytics $db; blog_theme "
        . "$BlogTest::ROOT/conf/theme; blog_analytics_auth \"$TOKEN\"; }",
        qr/blog_analytics_auth" directive takes "sha256:"/, 'a plain token');
refused("location = /a { blog_analytics $db; blog_theme "
        . "$BlogTest::ROOT/conf/theme; blog_analytics_auth sha256:"
        . ('g' x 64) . "; }", qr/64 hex digits/, 'not hex');
refused("location = /a { blog_analytics $db; "
        . "blog_analytics_auth sha256:$HASH; }",
        qr/"blog_analytics" needs "blog_theme"/, 'no theme');
refused('location = /a { blog_analytics_auth sha256:' . $HASH . '; '
        . 'blog_events tcp:127.0.0.1:1; }',
        qr/blog_events takes "unix:/, 'blog_events without unix:');

# --- the page -------------------------------------------------------------

$site->{server} = "location = /_analytics {\n"
    . "            blog_analytics $db;\n"
    . "            blog_theme $BlogTest::ROOT/conf/theme;\n"
    . "            blog_analytics_auth sha256:$HASH;\n"
    . "        }\n";
$site->write_conf;
$site->start;

# Visits and views as the jobrunner writes them: the figures and the top
# lists come from them through the engine (lib/blog_stats.h), as on the
# panel's dashboard.  Last 30 days: visit 1 (today, /posts/hello then
# /about, 60 s, from Google), visit 2 (today, /posts/hello, a hostile
# source), visit 3 (3 days ago, /about, direct); visit 5, 35 days ago, is
# the period before; visit 4, 70 days ago, neither.
my $ms = $today * 86400000 + 3600000;
my $hostile = '<script>alert(1)</script>.example';
sql($db, <<"SQL");
INSERT INTO analytics_visits (id, day, visitor, start_ms, end_ms, views, entry,
  exit, source, channel, ref_host, ref_path, utm_source, utm_medium,
  utm_campaign, country, region, device, browser, os) VALUES
 (1, $today, 1, $ms, $ms + 60000, 2, '/posts/hello', '/about', 'Google',
  'search', 'www.google.com', '/', '', '', '', 'DE', '', 'desktop', 'Firefox', 'Linux'),
 (2, $today, 2, $ms + 1000, $ms + 1000, 1, '/posts/hello', '/posts/hello',
  '$hostile', 'referral', '$hostile', '/', '', '', '', 'US', '', 'phone', 'Safari', 'iOS'),
 (3, $today - 3, 3, $ms - 3 * 86400000, $ms - 3 * 86400000, 1, '/about', '/about',
  '', 'direct', '', '', '', '', '', 'DE', '', 'desktop', 'Firefox', 'Linux'),
 (5, $today - 35, 5, $ms - 35 * 86400000, $ms - 35 * 86400000, 1, '/posts/hello',
  '/posts/hello', '', 'direct', '', '', '', '', '', 'DE', '', 'desktop', 'Firefox', 'Linux'),
 (4, $today - 70, 4, $ms - 70 * 86400000, $ms - 70 * 86400000, 1, '/old', '/old',
  '', 'direct', '', '', '', '', '', 'DE', '', 'desktop', 'Firefox', 'Linux');
INSERT INTO analytics_views (visit, day, time_ms, path, status, ref_host,
  ref_path) VALUES
 (1, $today, $ms, '/posts/hello', 200, 'www.google.com', '/'),
 (1, $today, $ms + 60000, '/about', 200, '', ''),
 (2, $today, $ms + 1000, '/posts/hello', 200, '$hostile', '/'),
 (3, $today - 3, $ms - 3 * 86400000, '/about', 200, '', ''),
 (5, $today - 35, $ms - 35 * 86400000, '/posts/hello', 200, '', ''),
 (4, $today - 70, $ms - 70 * 86400000, '/old', 200, '', '');
INSERT INTO analytics_daily (day, views, visitors, bot_views, requests)
VALUES ($today, 120, 45, 7, 140), ($today - 3, 60, 30, 0, 61),
       ($today - 70, 999, 999, 0, 999);
INSERT INTO analytics_counts (dim, day, key, n) VALUES
  ('status', $today, '200', 130), ('status', $today, '404', 10),
  ('status', $today - 70, '500', 999),
  ('bot', $today, 'Googlebot', 7);
SQL

my $r = $site->get('/_analytics');
is $r->{status}, 401, 'no credential: 401';
like $r->{headers}{'www-authenticate'}, qr/^Basic realm="analytics"/,
    'asks for Basic credentials';
unlike $r->{body}, qr/posts\/hello/, 'and shows nothing';

is $site->get('/_analytics', Authorization => 'Bearer wrong')->{status}, 401,
    'a wrong token: 401';
is $site->get('/_analytics', Authorization => 'Bearer ' . $TOKEN . 'x')
    ->{status}, 401, 'a longer token: 401';
is $site->get('/_analytics', Authorization => 'Basic '
              . encode_base64("admin:wrong", ''))->{status}, 401,
    'a wrong Basic password: 401';
unlike $site->error_log, qr/\Q$TOKEN\E|wrong\b(?! credentials)/,
    'the error log holds no credential';

$r = $site->get('/_analytics', Authorization => "Bearer $TOKEN");
is $r->{status}, 200, 'the Bearer token: 200';
is $r->{headers}{'cache-control'}, 'no-store', 'not cached';
like $r->{headers}{'content-type'}, qr{^text/html}, 'HTML';

is $site->get('/_analytics', Authorization => 'Basic '
              . encode_base64("anyone:$TOKEN", ''))->{status}, 200,
    'the token as Basic password: 200';

my $body = $r->{body};

# The figures as label => [value, change].
my %f;
while ($body =~ m{<li><span class="label">([^<]+)</span> <b>([^<]+)</b> <span class="change (\w+)"[^>]*>([^<]+)</span></li>}g) {
    $f{$1} = [$2, $4];
}
is_deeply $f{Visitors}, ['3', '+200%'], 'visitors of 30 days: 3, 1 in the 30 before';
is_deeply $f{Visits}, ['3', '+200%'], 'visits: 3';
is_deeply $f{Views}, ['4', '+300%'], 'views: 4';
is $f{'Views per visit'}[0], '1.33', 'views per visit: 4 / 3';
is $f{'Bounce rate'}[0], '67%', 'bounce rate: 2 of 3';
is $f{'Visit duration'}[0], '20s', 'visit duration: 60 s / 3';
unlike $body, qr{/old}, 'a day older than 30 is left out';

like $body, qr{<section id="top-pages">.*?<td>/about</td><td class="n">2</td><td class="n">2</td>}s,
    'top pages: /about, 2 visitors, 2 views';
like $body, qr{<section id="top-pages">.*?<td>/posts/hello</td><td class="n">2</td><td class="n">2</td>}s,
    '... /posts/hello, 2 and 2';
like $body, qr{<section id="sources">.*?<td>Google</td><td class="n">1</td><td class="n">1</td>}s,
    'top sources: Google';
like $body, qr{<section id="sources">.*?<td>\(none\)</td>}s, '... direct, as (none)';

like $body, qr{<b>201</b> requests in these days, bots included, of which <b>7</b> by bots},
    'requests of the 30 days from the counters, bots apart';
like $body, qr{<section id="statuses">.*?<td>200</td><td class="n">130</td>.*?<td>404</td><td class="n">10</td>}s,
    'status codes';
unlike $body, qr{<td>500</td>}, '... of the 30 days only';
like $body, qr{<section id="bots">.*?Googlebot</td><td class="n">7<}s, 'bots';
like $body, qr{Stats API}, 'it points to the Stats API for the rest';
unlike $body, qr/<script>/, 'a hostile source is not markup';
like $body, qr/&lt;script&gt;alert\(1\)&lt;\/script&gt;\.example/,
    'it is shown escaped';

is $site->request('POST', '/_analytics', Authorization => "Bearer $TOKEN")
    ->{status}, 405, 'POST: 405';

# an analytics.db (beside data.db) of another schema version
sql($site->dir . '/analytics.db', 'PRAGMA user_version = 99');
is $site->get('/_analytics', Authorization => "Bearer $TOKEN")->{status},
    503, 'a database of another schema version: 503';
like $site->error_log, qr/blog_analytics: database .*another schema version/,
    'and the error log says why';

done_testing();
