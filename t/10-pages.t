#!/usr/bin/perl
# Reader pages: every route, drafts hidden, 404s, escaping, feed, sitemap.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BlogTest;

my $hostile = q{<script>alert("t")</script> & 'q'};

my $site = new_site(
    location => 'blog_posts_per_page 2;',
    posts => {
        'hello.md' => <<'EOF',
---
title: Hello, world
date: 2026-10-01 09:30
tags: [nginx, SQLite]
---
First post with **bold** text.
EOF
        'tuning.md' => <<'EOF',
---
title: Tuning workers
date: 2026-10-05
tags: [nginx]
summary: How many workers you need.
---
Set `worker_processes auto;` and measure.
EOF
        'wal.md' => <<'EOF',
---
title: WAL mode explained
date: 2026-10-09
tags: [SQLite]
---
Readers do not block writers.
EOF
        'secret.md' => <<'EOF',
---
title: Secret draft
date: 2026-10-10
tags: [unreleased]
draft: true
---
Not for readers.
EOF
        'about.md' => <<'EOF',
---
title: About this blog
type: page
---
Written by a sysadmin.
EOF
        'hostile.md' => <<EOF,
---
title: "$hostile"
date: 2026-09-01
tags: ["<b>bold</b>"]
---
Body <script>alert(2)</script> and [a link](javascript:alert(3)).
EOF
    },
);
$site->start;

sub titles_in { my ($body) = @_; return () = $body =~ /<article class="card">/g }

# index, newest first, two per page
my $r = $site->get('/');
is $r->{status}, 200, 'index 200';
like $r->{headers}{'content-type'}, qr{^text/html; charset=utf-8$}, 'index is utf-8 html';
ok $r->{headers}{etag}, 'index has an ETag';
ok $r->{headers}{'last-modified'}, 'index has Last-Modified';
like $r->{body}, qr{WAL mode explained.*Tuning workers}s, 'newest first';
is titles_in($r->{body}), 2, 'two posts per page';
unlike $r->{body}, qr/Secret draft/, 'draft not on index';
like $r->{body}, qr{href="/page/2"}, 'link to page 2';
unlike $r->{body}, qr{rel="prev"}, 'no newer link on page 1';

$r = $site->get('/page/2');
is $r->{status}, 200, 'page 2';
like $r->{body}, qr{Hello, world.*&lt;script&gt;}s, 'page 2 has the older two';
like $r->{body}, qr{rel="prev" href="/"}, 'page 2 links back to the index';
unlike $r->{body}, qr{href="/page/3"}, 'last page has no older link';
unlike $r->{body}, qr/Secret draft/, 'draft on no page';

is $site->get($_)->{status}, 404, "$_ is 404"
    for '/page/3', '/page/1', '/page/0', '/page/abc', '/page/02', '/page/';

# a post
$r = $site->get('/posts/hello');
is $r->{status}, 200, 'post 200';
like $r->{body}, qr{<h1>Hello, world</h1>}, 'post title';
like $r->{body}, qr{<strong>bold</strong>}, 'markdown rendered';
like $r->{body}, qr{<time datetime="2026-10-01T09:30:00Z">October 1, 2026</time>},
    'published time';
like $r->{body}, qr{href="/tags/nginx">#nginx</a>}, 'tag link';
like $r->{body}, qr{href="/tags/sqlite">#SQLite</a>}, 'tag slug vs name';

# drafts are never visible
$r = $site->get('/posts/secret');
is $r->{status}, 404, 'draft post is 404';
like $r->{body}, qr/Page not found/, 'themed 404 page';
unlike $r->{body}, qr/Not for readers/, 'draft body not leaked';
is $site->get('/tags/unreleased')->{status}, 404, 'tag of drafts only is 404';

# tags
$r = $site->get('/tags/nginx');
is $r->{status}, 200, 'tag page';
like $r->{body}, qr{Posts tagged <span class="tag">#nginx</span>}, 'tag name shown';
like $r->{body}, qr{Tuning workers.*Hello, world}s, 'tag posts, newest first';
unlike $r->{body}, qr{WAL mode}, 'only posts with the tag';
$r = $site->get('/tags/sqlite');
like $r->{body}, qr{WAL mode explained}, 'second tag page';
is $site->get('/tags/nope')->{status}, 404, 'unknown tag';
is $site->get('/tags/nginx/page/2')->{status}, 404, 'tag page 2 beyond the end';
is $site->get('/tags/Bad%20Tag')->{status}, 404, 'invalid tag slug';

# pages
$r = $site->get('/about');
is $r->{status}, 200, 'page';
like $r->{body}, qr{<h1>About this blog</h1>.*Written by a sysadmin}s, 'page content';
is $site->get('/hello')->{status}, 404, 'a post is not a page';
is $site->get('/posts/about')->{status}, 404, 'a page is not a post';

# unknown routes and slugs
for my $path ('/nope', '/posts/', '/posts/hello/', '/posts/Hello',
              '/posts/hello.html', '/posts/a/b', '/feed.xml/x', '/%E2%98%83') {
    my $x = $site->get($path);
    is $x->{status}, 404, "$path is 404";
    like $x->{body}, qr/Page not found/, "$path has the themed 404";
}

# methods
is $site->request('POST', '/')->{status}, 405, 'POST is 405';
is $site->request('DELETE', '/posts/hello')->{status}, 405, 'DELETE is 405';
$r = $site->request('HEAD', '/posts/hello');
is $r->{status}, 200, 'HEAD 200';
is $r->{body}, '', 'HEAD has no body';
ok $r->{headers}{'content-length'} > 0, 'HEAD has Content-Length';

# escaping: the hostile title, tag and body are inert everywhere
for my $path ('/', '/page/2', '/posts/hostile', '/tags/b-bold-b', '/feed.xml',
              '/sitemap.xml') {
    my $x = $site->get($path);
    is $x->{status}, 200, "$path 200";
    unlike $x->{body}, qr{<script>|<b>bold|javascript:}i,
        "$path has no live markup from content";
}
$r = $site->get('/posts/hostile');
like $r->{body}, qr{&lt;script&gt;alert\(&quot;t&quot;\)&lt;/script&gt; &amp; &#39;q&#39;},
    'title escaped in the page';
like $r->{body}, qr{<title>&lt;script&gt;}, 'title escaped in <title>';
like $r->{body}, qr{#&lt;b&gt;bold&lt;/b&gt;}, 'tag name escaped';

# feed: Atom, published posts only
$r = $site->get('/feed.xml');
is $r->{status}, 200, 'feed';
like $r->{headers}{'content-type'}, qr{^application/atom\+xml}, 'Atom type';
my @entries = $r->{body} =~ m{<entry>(.*?)</entry>}gs;
is scalar @entries, 4, 'four published posts in the feed';
like $r->{body}, qr{^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http://www.w3.org/2005/Atom"},
    'Atom root';
like $entries[0], qr{<id>http://localhost/posts/wal</id>}, 'absolute entry id';
like $entries[0], qr{<updated>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</updated>}, 'RFC 3339 updated';
like $entries[0], qr{<content type="html">&lt;p&gt;Readers do not block writers.&lt;/p&gt;},
    'content is escaped HTML';
unlike $r->{body}, qr/Secret draft|About this blog/, 'no draft, no page in the feed';
SKIP: {
    skip 'xmllint not installed', 2 unless `which xmllint` ;
    BlogTest::write_file($site->dir . '/feed.xml', $r->{body});
    is system('xmllint', '--noout', $site->dir . '/feed.xml'), 0, 'feed is well-formed XML';
    $r = $site->get('/sitemap.xml');
    BlogTest::write_file($site->dir . '/sitemap.xml', $r->{body});
    is system('xmllint', '--noout', $site->dir . '/sitemap.xml'), 0,
        'sitemap is well-formed XML';
}

# sitemap: index, posts, pages, tags; no drafts
$r = $site->get('/sitemap.xml');
like $r->{headers}{'content-type'}, qr{^application/xml}, 'sitemap type';
my @locs = $r->{body} =~ m{<loc>([^<]+)</loc>}g;
is_deeply [sort @locs], [sort map { "http://localhost$_" } '/', '/posts/hello',
    '/posts/tuning', '/posts/wal', '/posts/hostile', '/about', '/tags/nginx',
    '/tags/sqlite', '/tags/b-bold-b'], 'sitemap URLs';

# a base URL in the settings makes absolute links independent of Host
sql($site->db, "INSERT OR REPLACE INTO settings VALUES ('base_url', 'https://blog.example.org/')");
$r = $site->get('/feed.xml', Host => 'evil.example');
like $r->{body}, qr{<id>https://blog.example.org/posts/wal</id>}, 'base_url from settings';
unlike $r->{body}, qr{evil\.example}, 'Host header not used';

done_testing;
