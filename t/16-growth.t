#!/usr/bin/perl
# Pages that cost what they show: listings numbered by the triggers of
# schema 8 give the posts a scan would, in the same order, on every page of
# the index and of each tag, through publish, unpublish, delete, retag and
# a moved date; the sitemap is valid, and becomes an index of files of at
# most 50,000 URLs on a site with more.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BlogTest;

my $XSD = "$FindBin::Bin/schemas/sitemap.xsd";
my $PER_PAGE = 3;

# 20 posts over 5 tags, two sharing a date (the id decides), 2 drafts, a page
my %posts;
for my $i (1 .. 20) {
    my $day = $i == 8 ? 7 : $i;
    my @tags = map { "t$_" } grep { $i % $_ == 0 || $_ == 1 } 1 .. 5;
    $posts{sprintf 'p%02d.md', $i} = "---\ntitle: Post $i\n"
        . sprintf("date: 2026-03-%02d 10:00\n", $day)
        . 'tags: [' . join(', ', @tags) . "]\n"
        . ($i % 9 == 0 ? "draft: true\n" : '') . "---\nBody $i.\n";
}
$posts{'about.md'} = "---\ntitle: About\ntype: page\n---\nMe.\n";

my $site = new_site(location => "blog_posts_per_page $PER_PAGE;\n"
                              . " blog_cache off;\n blog_route sitemap map.xml;",
                    posts => \%posts);
$site->start;
my $db = $site->db;

# The slugs a scan gives: published posts, newest first, the id breaking ties.
sub expected {
    my ($tag) = @_;
    my $join = $tag ? "JOIN post_tags pt ON pt.post_id = p.id"
                    . " JOIN tags t ON t.id = pt.tag_id AND t.slug = '$tag'" : '';
    return [ split /\n/, sql($db, "SELECT p.slug FROM posts p $join"
        . " WHERE p.type = 'post' AND p.status = 'published'"
        . " ORDER BY p.published_at DESC, p.id DESC") ];
}

# Walks a listing by its "older" links; returns the slugs and the pages.
sub walk {
    my ($path) = @_;
    my (@slugs, $pages);
    while (defined $path) {
        my $r = $site->get($path);
        return (undef, "$path: $r->{status}") if $r->{status} != 200;
        $pages++;
        push @slugs, $r->{body} =~ m{<h2><a href="/posts/([^"]+)">}g;
        ($path) = $r->{body} =~ m{rel="next" href="([^"]+)"};
    }
    return (\@slugs, $pages);
}

sub listing_is {
    my ($tag, $what) = @_;
    my $want = expected($tag);
    my ($got, $pages) = walk($tag ? "/tags/$tag" : '/');
    if (!@$want) {
        is $site->get("/tags/$tag")->{status}, 404, "$what: tag $tag has no page";
        return;
    }
    is_deeply $got, $want, "$what: " . ($tag ? "tag $tag" : 'index')
        . " pages give the scan's " . @$want . ' posts in order';
    is $pages, int((@$want + $PER_PAGE - 1) / $PER_PAGE), "$what: as many pages as needed";
    my $beyond = ($tag ? "/tags/$tag" : '') . '/page/' . ($pages + 1);
    is $site->get($beyond)->{status}, 404, "$what: $beyond is 404";
    is sql($db, "SELECT posts FROM listings l WHERE tag_id = "
           . ($tag ? "(SELECT id FROM tags WHERE slug = '$tag')" : 0)),
       scalar @$want, "$what: the count kept for " . ($tag ? $tag : 'the index');
}

sub all_listings {
    my ($what) = @_;
    listing_is(undef, $what);
    listing_is($_, $what) for map { "t$_" } 1 .. 5;
}

# the card markup the walk relies on
like $site->get('/')->{body}, qr{<h2><a href="/posts/p20">}, 'cards link their post';

all_listings('imported');

# publish a draft, unpublish a post, move a date to the middle, retag
$site->import_posts({
    'p09.md' => "---\ntitle: Post 9\ndate: 2026-03-09 10:00\ntags: [t1, t3]\n---\nNow out.\n",
    'p12.md' => "---\ntitle: Post 12\ndate: 2026-03-12 10:00\ntags: [t1]\ndraft: true\n---\nBack in.\n",
    'p20.md' => "---\ntitle: Post 20\ndate: 2026-03-04 12:00\ntags: [t1, t5]\n---\nOlder now.\n",
    'p10.md' => "---\ntitle: Post 10\ndate: 2026-03-10 10:00\ntags: [t4]\n---\nRetagged.\n",
});
all_listings('after publish, unpublish, date, retag');

# deleted with the cascade, as the panel and a restore would leave it
sql($db, "PRAGMA foreign_keys = ON; DELETE FROM posts WHERE slug IN ('p19', 'p04')");
all_listings('after delete');

# tag t2 loses its posts: its page goes, and it leaves the sitemap
$site->import_posts({ map { (sprintf('p%02d.md', $_) =>
    "---\ntitle: Post $_\ndate: 2026-03-" . sprintf('%02d', $_) . " 10:00\ntags: [t1]\n---\nUntagged.\n") }
    grep { $_ % 2 == 0 } 1 .. 20 });
all_listings('after a tag lost its posts');
is $site->get('/tags/t2')->{status}, 404, 'a tag without published posts is 404';

# the sitemap: one file while it fits, valid against the sitemaps.org schema
sub xmllint_ok {
    my ($body, $name, $schema) = @_;
    my $file = $site->dir . "/$name";
    write_file($file, $body);
    my $out = `xmllint --noout @{[ $schema ? "--schema $schema" : '' ]} $file 2>&1`;
    return ok($? == 0, "$name " . ($schema ? 'validates against sitemap.xsd' : 'is well-formed'))
        || diag $out;
}

my $r = $site->get('/map.xml');
is $r->{status}, 200, 'sitemap at the moved route';
like $r->{body}, qr{<urlset }, 'a small site has one sitemap file';
xmllint_ok($r->{body}, 'small.xml', $XSD);
my @locs = $r->{body} =~ m{<loc>([^<]+)</loc>}g;
my @want = ('/', (map { "/posts/$_" } split /\n/, sql($db,
    "SELECT slug FROM posts WHERE type = 'post' AND status = 'published'")),
    '/about', (map { "/tags/$_" } split /\n/, sql($db,
    "SELECT DISTINCT t.slug FROM tags t JOIN post_tags pt ON pt.tag_id = t.id"
    . " JOIN posts p ON p.id = pt.post_id"
    . " WHERE p.type = 'post' AND p.status = 'published'")));
is_deeply [sort @locs], [sort map { "http://localhost$_" } @want],
    'every published post, page and tag with posts, and the home page';
ok !(grep { m{/tags/t2$} } @locs), 'the emptied tag is not in the sitemap';
is $site->get('/map-posts-1.xml')->{status}, 200, 'its files follow the moved route';
is $site->get('/sitemap.xml')->{status}, 404, 'the default route is gone';
is $site->get('/map-posts-2.xml')->{status}, 404, 'a file that has no URL is 404';
is $site->get("/map-$_")->{status}, 404, "/map-$_ is 404"
    for 'posts-0.xml', 'posts-01.xml', 'pages-1.xml', 'posts-1', 'posts-.xml',
        'tags-1.xmlx', 'posts-1234567890.xml';

# more URLs than a file may hold: 50,000 posts by SQL and the home page
my $big = new_site(location => 'blog_base_url https://blog.example.org;');
my $t0 = 1767225600;
sql($big->db, <<"SQL");
PRAGMA cache_size = -65536;
BEGIN;
INSERT INTO tags (slug, name) VALUES ('one', 'One'), ('two', 'Two');
INSERT INTO posts (type, slug, title, summary, body_md, body_html, status,
                   published_at, created_at, updated_at)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
  SELECT 'post', 'g' || i, 'Generated ' || i, '', '', '',
         CASE WHEN i = 7 THEN 'draft' ELSE 'published' END,
         $t0 + i * 60, $t0, $t0 + i * 60 FROM n;
INSERT INTO posts (type, slug, title, body_md, body_html, status,
                   published_at, created_at, updated_at)
  VALUES ('page', 'colophon', 'Colophon', '', '', 'published', $t0, $t0, $t0);
INSERT INTO post_tags SELECT id, 1 + id / 1000 % 2 FROM posts WHERE id % 1000 = 0;
COMMIT;
SQL
$big->start;

is sql($big->db, "SELECT posts FROM listings WHERE tag_id = 0"), 49999,
    '50,000 posts written, one a draft';

$r = $big->get('/sitemap.xml');
is $r->{status}, 200, 'sitemap of the big site';
like $r->{body}, qr{\A<\?xml version="1.0" encoding="utf-8"\?>\n<sitemapindex xmlns="http://www\.sitemaps\.org/schemas/sitemap/0\.9">\n},
    'it is a sitemap index';
like $r->{headers}{'content-type'}, qr{^application/xml}, 'as XML';
ok $r->{headers}{'last-modified'}, 'with Last-Modified';
xmllint_ok($r->{body}, 'index.xml');
my @entries = $r->{body} =~ m{<sitemap>(.*?)</sitemap>}gs;
my @files = map { m{^<loc>([^<]{12,2048})</loc>(?:<lastmod>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</lastmod>)?$} ? $1 : "bad: $_" } @entries;
is_deeply \@files, [ map { "https://blog.example.org/sitemap-$_.xml" } 'posts-1', 'posts-2', 'tags-1' ],
    'the index lists the files: posts and pages by 50,000 ids, tags with the home page';
unlike $r->{body}, qr{<url>}, 'and no URL itself';

my (%seen, $total);
for my $file (@files) {
    my ($path) = $file =~ m{^https://blog\.example\.org(/.*)$};
    my $x = $big->get($path);
    is $x->{status}, 200, "$path 200";
    my @l = $x->{body} =~ m{<loc>([^<]+)</loc>}g;
    ok @l <= 50000, "$path has " . @l . ' URLs, at most 50,000';
    xmllint_ok($x->{body}, substr($path, 1), $XSD);
    $seen{$_}++ for @l;
    $total += @l;
}
my $want_urls = 1 + 49999 + 1 + 2;
is $total, $want_urls, "the files hold the site's $want_urls URLs";
is scalar(keys %seen), $total, 'each once';
ok $seen{'https://blog.example.org/'} && $seen{'https://blog.example.org/colophon'}
    && $seen{'https://blog.example.org/tags/two'} && $seen{'https://blog.example.org/posts/g50000'}
    && !$seen{'https://blog.example.org/posts/g7'}, 'home, page, tag and last post in, the draft out';

# the deepest page costs one range: the oldest posts, in order
$r = $big->get('/page/5000');
is $r->{status}, 200, 'the last page of 49,999 posts';
is_deeply [ $r->{body} =~ m{<h2><a href="/posts/([^"]+)">}g ],
    [ map { "g$_" } 10, 9, 8, 6, 5, 4, 3, 2, 1 ], 'holds the oldest, newest first, the draft left out';
is $big->get('/page/5001')->{status}, 404, 'no page after it';

done_testing;
