#!/usr/bin/perl
#
# The analytics page: private (a token, as Bearer or as the Basic
# password), 30 days of views and visitors as an SVG chart, the top lists,
# hostile values escaped; its configuration errors.

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

# aggregates as the jobrunner writes them: today and 3 days ago
sql($db, <<"SQL");
INSERT INTO analytics_daily (day, views, visitors, bot_views, requests)
VALUES ($today, 120, 45, 7, 140), ($today - 3, 60, 30, 0, 61),
       ($today - 40, 999, 999, 0, 999);
INSERT INTO analytics_counts (dim, day, key, n) VALUES
  ('path', $today, '/posts/hello', 100), ('path', $today - 3, '/posts/hello', 50),
  ('path', $today, '/about', 20), ('post', $today, 'hello', 100),
  ('referrer', $today, '<script>alert(1)</script>.example', 5),
  ('referrer', $today, 'news.example.org', 9),
  ('country', $today, 'DE', 70), ('country', $today, 'US', 50),
  ('browser', $today, 'Firefox', 80), ('os', $today, 'Linux', 80),
  ('status', $today, '200', 130), ('status', $today, '404', 10),
  ('bot', $today, 'Googlebot', 7), ('path', $today - 40, '/old', 999);
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
like $body, qr/<b>180<\/b> views/, 'views of the last 30 days: 180';
like $body, qr/<b>75<\/b> visitors/, 'visitors: 75';
like $body, qr/<b>7<\/b> bot requests/, 'bot requests: 7';
unlike $body, qr{/old}, 'a day older than 30 is left out';

my @bars = $body =~ /<rect class="views" /g;
is scalar @bars, 30, 'the SVG chart has 30 view bars';
my @vbars = $body =~ /<rect class="visitors" /g;
is scalar @vbars, 30, 'and 30 visitor bars';
like $body, qr/<rect class="views" x="580" y="0" width="18" height="160"\/>/,
    "today's views are the tallest bar, on the right";
like $body, qr/<rect class="views" x="520" y="80" width="18" height="80"\/>/,
    'three days ago, half as tall';

like $body, qr{<section id="top-pages">.*?/posts/hello</td><td class="n">150<.*?/about</td><td class="n">20<}s,
    'top pages, summed over the days, largest first';
like $body, qr{<section id="top-posts">.*?hello</td><td class="n">100<}s,
    'top posts';
like $body, qr{<section id="countries">.*?DE</td><td class="n">70<.*?US}s,
    'countries';
like $body, qr{<section id="browsers">.*?Firefox}s, 'browsers';
like $body, qr{<section id="systems">.*?Linux}s, 'operating systems';
like $body, qr{<section id="statuses">.*?404}s, 'status codes';
like $body, qr{<section id="bots">.*?Googlebot}s, 'bots';
unlike $body, qr/<script>/, 'a hostile referrer is not markup';
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
