#!/usr/bin/perl
# A blog under a sub-location with moved routes: every link follows.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BlogTest;

my $site = new_site(
    prefix   => '/blog/',
    location => "blog_route post p/;\n blog_route tag t/;\n blog_route feed atom.xml;\n"
              . "blog_route media files/;\n blog_base_url https://example.org/;",
    posts    => {
        'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\ntags: [x]\n---\n![pic](/blog/files/a.txt)\n",
        'about.md' => "---\ntitle: About\ntype: page\n---\nMe.\n",
    },
);
write_file($site->media . '/a.txt', "media under a prefix\n");
$site->start;

my $r = $site->get('/blog/');
is $r->{status}, 200, 'index under /blog/';
like $r->{body}, qr{href="/blog/p/hello"}, 'post link under the prefix and route';
like $r->{body}, qr{href="/blog/t/x"}, 'tag link follows the tag route';
like $r->{body}, qr{href="/blog/atom.xml"}, 'feed link follows the feed route';
like $r->{body}, qr{href="/blog/static/style.css"}, 'static link under the prefix';

is $site->get('/blog/p/hello')->{status}, 200, 'post at the moved route';
is $site->get('/blog/posts/hello')->{status}, 404, 'old route is gone';
is $site->get('/blog/t/x')->{status}, 200, 'tag at the moved route';
is $site->get('/blog/about')->{status}, 200, 'page under the prefix';
is $site->get('/blog/files/a.txt')->{body}, "media under a prefix\n", 'media at the moved route';
is $site->get('/blog/static/style.css')->{status}, 200, 'theme static file';
is $site->get('/')->{status}, 404, 'outside the location nginx answers alone';

$r = $site->get('/blog/atom.xml');
is $r->{status}, 200, 'feed at the moved route';
like $r->{body}, qr{<id>https://example.org/blog/p/hello</id>}, 'absolute links use blog_base_url';
like $r->{body}, qr{<link rel="self" type="application/atom\+xml" href="https://example.org/blog/atom.xml"/>},
    'self link';
$r = $site->get('/blog/sitemap.xml');
like $r->{body}, qr{<loc>https://example.org/blog/about</loc>}, 'sitemap has the page';
like $r->{body}, qr{<loc>https://example.org/blog/t/x</loc>}, 'sitemap has the tag';

done_testing;
