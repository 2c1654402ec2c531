#!/usr/bin/perl
# Rendered-page cache and conditional requests on pages.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BlogTest;

my %posts = (
    'one.md' => "---\ntitle: First title\ndate: 2026-10-01\ntags: [a]\n---\nBody one.\n",
    'two.md' => "---\ntitle: Second\ndate: 2026-10-02\ntags: [a]\n---\nBody two.\n",
);

my $site = new_site(posts => \%posts,
                    http => 'gzip on; gzip_min_length 1; gzip_types application/atom+xml;');
$site->start;

my $r = $site->get('/posts/one');
is $r->{status}, 200, 'post';
is $r->{headers}{'x-blog-cache'}, 'MISS', 'first request renders';
$r = $site->get('/posts/one');
is $r->{headers}{'x-blog-cache'}, 'HIT', 'second request is a cache hit';
like $r->{body}, qr/First title/, 'cached body';

my $etag = $r->{headers}{etag};
my $lm = $r->{headers}{'last-modified'};
like $etag, qr/^"[0-9a-f]{16}"$/, 'strong ETag on a page';

# conditional GETs on a page
$r = $site->get('/posts/one', 'If-None-Match' => $etag);
is $r->{status}, 304, 'If-None-Match on a page gives 304';
is $r->{body}, '', '304 without body';
$r = $site->get('/posts/one', 'If-Modified-Since' => $lm);
is $r->{status}, 304, 'If-Modified-Since on a page gives 304';
$r = $site->get('/posts/one', 'If-None-Match' => '"0000000000000000"');
is $r->{status}, 200, 'a different ETag gives the page';

# an update through another connection invalidates the cache
my $old_index = $site->get('/')->{body};
like $old_index, qr/First title/, 'index shows the old title';
sql($site->db, "UPDATE posts SET title = 'Renamed title', updated_at = updated_at + 60 WHERE slug = 'one'");

$r = $site->get('/posts/one');
is $r->{headers}{'x-blog-cache'}, 'MISS', 'update invalidates the cached post';
like $r->{body}, qr/Renamed title/, 'new title served';
isnt $r->{headers}{etag}, $etag, 'ETag changed';
$r = $site->get('/posts/one', 'If-None-Match' => $etag);
is $r->{status}, 200, 'the old ETag no longer matches';
like $site->get('/')->{body}, qr/Renamed title/, 'index re-rendered too';
like $site->get('/tags/a')->{body}, qr/Renamed title/, 'tag page re-rendered too';
like $site->get('/feed.xml')->{body}, qr/Renamed title/, 'feed re-rendered too';

# unpublishing through blogctl hides the post at once
$site->import_posts({ 'two.md' => "---\ntitle: Second\ndate: 2026-10-02\ndraft: true\n---\nBody two.\n" });
is $site->get('/posts/two')->{status}, 404, 'post turned draft is gone';
unlike $site->get('/')->{body}, qr/Second/, 'and gone from the index';

# a 404 is never cached: a made-up URL cannot push real pages out
$site->get('/posts/nope');
$r = $site->get('/posts/nope');
is $r->{status}, 404, 'missing post';
is $r->{headers}{'x-blog-cache'}, 'MISS', '404 not cached';

# gzip with "gzip on" in the http block: the cached page's own gzip body,
# with a strong ETag of its own, which nginx's filter leaves alone
# (t/15-compress.t has the rest)
$r = $site->get('/feed.xml', 'Accept-Encoding' => 'gzip');
is $r->{headers}{'content-encoding'}, 'gzip', 'feed gzipped';
like $r->{headers}{etag} // '', qr{^"[0-9a-f]{16}-gz6"$}, 'the gzip body has its own strong ETag';
$r = $site->get('/', 'Accept-Encoding' => 'gzip');
is $r->{headers}{'content-encoding'}, 'gzip', 'html gzipped';

# a tiny cache still serves correctly, evicting as it goes
my $small = new_site(posts => \%posts, location => 'blog_cache_size 3k;');
$small->start;
for my $round (1 .. 2) {
    for my $path ('/', '/posts/one', '/posts/two', '/tags/a') {
        my $x = $small->get($path);
        is $x->{status}, 200, "small cache $path round $round";
    }
}
is $small->get('/posts/one')->{headers}{'x-blog-cache'}, 'MISS',
    'evicted from a 3k cache';

# with the cache off, every request renders
my $off = new_site(posts => \%posts, location => 'blog_cache off;');
$off->start;
$r = $off->get('/posts/one');
is $r->{headers}{'x-blog-cache'}, 'BYPASS', 'cache off';
is $off->get('/posts/one')->{headers}{'x-blog-cache'}, 'BYPASS', 'still off';
sql($off->db, "UPDATE posts SET title = 'Live title' WHERE slug = 'one'");
like $off->get('/posts/one')->{body}, qr/Live title/, 'uncached sees updates';
# the settings are kept by the worker between renders, until data.db moves
like $off->get('/posts/one')->{body}, qr{<title>Live title · [^<]+</title>}, 'the site\'s title';
sql($off->db, "INSERT OR REPLACE INTO settings (key, value) VALUES ('title', 'Renamed site')");
like $off->get('/posts/one')->{body}, qr{<title>Live title · Renamed site</title>},
    'uncached sees a settings change at once';
sql($off->db, "INSERT OR REPLACE INTO settings (key, value) VALUES ('base_url', 'https://blog.example.org/')");
like $off->get('/posts/one')->{body}, qr{<link rel="canonical" href="https://blog.example.org/posts/one">},
    'and a base_url set in the settings';
sql($off->db, "DELETE FROM settings WHERE key = 'base_url'");
unlike $off->get('/posts/one')->{body}, qr{blog\.example\.org}, 'and its removal';

# an uncached page's view count: read once per blog_views_max_age by the
# worker, not at every render; with 0, at every render
sub views_shown { ($_[0]->get('/posts/one')->{body} =~ m{<span id="views"[^>]*>(\d+)</span>})[0] }
for my $age ('60s', '0') {
    my $v = new_site(posts => \%posts,
                     location => "blog_cache off;\nblog_views_max_age $age;\n");
    my $adb = $v->dir . '/analytics.db';
    ok -s $adb, "analytics.db made beside data.db (max age $age)";
    sql($adb, "INSERT INTO analytics_path_totals (path, views) VALUES ('/posts/one', 7)");
    $v->start;
    is views_shown($v), 7, "max age $age: the count of analytics.db";
    sql($adb, "UPDATE analytics_path_totals SET views = 9 WHERE path = '/posts/one'");
    is views_shown($v), $age eq '0' ? 9 : 7,
        $age eq '0' ? '... read again at the next render'
                    : '... the next render shows the count read before';
    $v->stop;
}

done_testing;
