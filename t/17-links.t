#!/usr/bin/perl
# Absolute links (pages, feed, sitemap, canonical) with and without a port
# and behind blog_base_url; link previews and structured data in the
# <head> of posts, pages and listings; robots.txt and the favicons.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use HTML::Parser;
use JSON::PP;
use BlogTest;

my $XSD = "$FindBin::Bin/schemas/sitemap.xsd";
my $RNC = "$FindBin::Bin/schemas/atom.rnc";

my $site = new_site(
    posts => {
        'plain.md' => <<'EOF_MD',
---
title: Plain words
date: 2026-10-01 09:30
tags: [nginx]
---
A post *without* pictures, & a second sentence that goes on.
EOF_MD
        'cover.md' => <<'EOF_MD',
---
title: With a cover
date: 2026-10-02
tags: [nginx, SQLite]
summary: The summary of the cover post.
---
Some text first.

![a cover](/media/cover.png)

![second](/media/second.png)
EOF_MD
        'hostile.md' => <<'EOF_MD',
---
title: "Quotes " and </script><script>alert(1)</script> & <b>"
date: 2026-10-03
tags: ["</script>"]
summary: "A summary with </script> and "quotes" & <i>"
---
Body.
EOF_MD
        'about.md' => <<'EOF_MD',
---
title: About
type: page
---
Who writes here.
EOF_MD
    },
);
BlogTest::sql($site->db, "INSERT OR REPLACE INTO settings VALUES ('title', 'Links & Co')");
BlogTest::sql($site->db, "INSERT OR REPLACE INTO settings VALUES ('description', 'The site-wide description')");
$site->start;

# The <head> of a page as a real parser sees it: meta by property or name,
# links by rel, and the text of each JSON-LD script.
sub head_of {
    my ($html) = @_;
    my (%meta, %link, @jsonld, $in_jsonld);
    my $p = HTML::Parser->new(
        api_version => 3,
        start_h => [sub {
            my ($tag, $attr) = @_;
            if ($tag eq 'meta') {
                my $key = $attr->{property} // $attr->{name} // return;
                push @{ $meta{$key} }, $attr->{content};
            } elsif ($tag eq 'link') {
                push @{ $link{$attr->{rel}} }, $attr;
            } elsif ($tag eq 'script' && ($attr->{type} // '') eq 'application/ld+json') {
                $in_jsonld = 1;
                push @jsonld, '';
            }
        }, 'tagname, attr'],
        end_h => [sub { $in_jsonld = 0 if $_[0] eq 'script' }, 'tagname'],
        text_h => [sub { $jsonld[-1] .= $_[0] if $in_jsonld }, 'text'],
    );
    $p->parse($html);
    $p->eof;
    return { meta => \%meta, link => \%link,
             jsonld => [map { decode_json($_) } @jsonld] };
}

sub meta1 { my ($h, $k) = @_; return $h->{meta}{$k} ? $h->{meta}{$k}[0] : undef }

# -- absolute links follow the request's host and port --------------------

my $port = $site->port;
for my $case (['blog.test:8093', 'http://blog.test:8093'],
              ["localhost:$port", "http://localhost:$port"],
              ['blog.test', 'http://blog.test'],
              ['blog.test:80', 'http://blog.test'],
              ['Blog.TEST:8093', 'http://blog.test:8093'])
{
    my ($host, $base) = @$case;
    my $r = $site->get('/feed.xml', Host => $host);
    is $r->{status}, 200, "feed for Host $host";
    my @links = $r->{body} =~ m{<link rel="alternate" type="text/html" href="([^"]+)"/>}g;
    is $links[0], "$base/", "feed's home link for Host $host";
    ok((grep { $_ eq "$base/posts/plain" } @links), "entry link for Host $host");
    unlike $r->{body}, qr{http://blog\.test/posts}, "no port dropped for Host $host"
        if $host =~ /:8093/;

    $r = $site->get('/sitemap.xml', Host => $host);
    my @locs = $r->{body} =~ m{<loc>([^<]+)</loc>}g;
    is_deeply [sort @locs],
        [sort map { "$base$_" } '/', '/posts/plain', '/posts/cover',
                                '/posts/hostile', '/about', '/tags/nginx',
                                '/tags/sqlite', '/tags/script'],
        "sitemap locs for Host $host";

    my $h = head_of($site->get('/posts/plain', Host => $host)->{body});
    is $h->{link}{canonical}[0]{href}, "$base/posts/plain", "canonical for Host $host";
    is meta1($h, 'og:url'), "$base/posts/plain", "og:url for Host $host";
}

# a Host whose "port" is not a number is not copied into pages
my $odd = 0;
for my $host ('blog.test:80"><x', 'blog.test:8o', 'blog.test:123456') {
    my $r = $site->get('/posts/plain', Host => $host);
    next if $r->{status} == 400;      # nginx refused the Host itself
    $odd++;
    is $r->{status}, 200, "page for odd Host $host";
    my $h = head_of($r->{body});
    is $h->{link}{canonical}[0]{href}, 'http://blog.test/posts/plain',
        "no port from odd Host $host";
    unlike $r->{body}, qr{<x}, "nothing of odd Host $host in the page";
}

ok $odd >= 2, 'nginx let odd Hosts through, and they were checked';

# the cache keeps pages per host and port
is head_of($site->get('/posts/plain', Host => 'a.test:1')->{body})->{link}{canonical}[0]{href},
    'http://a.test:1/posts/plain', 'a first port';
is head_of($site->get('/posts/plain', Host => 'a.test:2')->{body})->{link}{canonical}[0]{href},
    'http://a.test:2/posts/plain', 'another port, another page';

# the feed is valid Atom for a feed reader, the sitemap valid for its schema
# Debian's python3, for which scripts/deps.sh installs python3-feedparser
{
    my $feed = $site->get('/feed.xml', Host => 'blog.test:8093')->{body};
    BlogTest::write_file($site->dir . '/feed.xml', $feed);
    my $out = `/usr/bin/python3 - '@{[ $site->dir ]}/feed.xml' 2>&1 <<'PY'
import sys, feedparser
d = feedparser.parse(sys.argv[1])
if d.bozo:
    print("bozo", d.bozo_exception)
    sys.exit(1)
print(d.version)
print(d.feed.link)
for e in d.entries:
    print(e.link)
PY`;
    is $?, 0, 'feedparser reads the feed' or diag $out;
    my @lines = split /\n/, $out;
    is $lines[0], 'atom10', 'an Atom 1.0 feed';
    is_deeply [sort @lines[1 .. $#lines]],
        [sort 'http://blog.test:8093/', 'http://blog.test:8093/posts/plain',
              'http://blog.test:8093/posts/cover',
              'http://blog.test:8093/posts/hostile'],
        'feedparser sees the links with the port';
}
# ... and valid against RFC 4287's own grammar (jing, scripts/deps.sh test)
SKIP: {
    skip 'jing not installed', 1 unless `which jing`;
    my $out = `jing -c $RNC @{[ $site->dir ]}/feed.xml 2>&1`;
    is $?, 0, 'the feed is valid against RFC 4287\'s RELAX NG grammar'
        or diag $out;
}
SKIP: {
    skip 'xmllint not installed', 1 unless `which xmllint`;
    BlogTest::write_file($site->dir . '/sitemap.xml',
                         $site->get('/sitemap.xml', Host => 'blog.test:8093')->{body});
    my $out = `xmllint --noout --schema $XSD @{[ $site->dir ]}/sitemap.xml 2>&1`;
    is $?, 0, 'the sitemap is valid against sitemap.xsd' or diag $out;
}

# -- link previews and structured data --------------------------------------

my $BASE = 'http://blog.test:8093';
sub head_at { return head_of($site->get($_[0], Host => 'blog.test:8093')->{body}) }

# a post without images: its own description, a summary card, no og:image
my $h = head_at('/posts/plain');
is_deeply $h->{meta}{description}, ['A post without pictures, & a second sentence that goes on.'],
    'one description, the post\'s own text';
is meta1($h, 'og:description'), meta1($h, 'description'), 'og:description the same';
is meta1($h, 'og:title'), 'Plain words', 'og:title';
is meta1($h, 'og:type'), 'article', 'og:type article';
is meta1($h, 'og:site_name'), 'Links & Co', 'og:site_name';
is meta1($h, 'article:published_time'), '2026-10-01T09:30:00Z', 'article:published_time';
is_deeply $h->{meta}{'article:tag'}, ['nginx'], 'article:tag';
is meta1($h, 'twitter:card'), 'summary', 'a summary card without an image';
ok !$h->{meta}{'og:image'}, 'no og:image without an image';
is scalar @{ $h->{jsonld} }, 1, 'one JSON-LD block';
my $ld = $h->{jsonld}[0];
is $ld->{'@context'}, 'https://schema.org', 'JSON-LD context';
is $ld->{'@type'}, 'BlogPosting', 'a BlogPosting';
is $ld->{headline}, 'Plain words', 'headline';
is $ld->{datePublished}, '2026-10-01T09:30:00Z', 'datePublished';
like $ld->{dateModified}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'dateModified';
is $ld->{url}, "$BASE/posts/plain", 'url';
is $ld->{description}, meta1($h, 'description'), 'description';
is $ld->{author}{name}, 'Links & Co', 'author: the site without an author setting';
ok !exists $ld->{image}, 'no image';
is_deeply $ld->{keywords}, ['nginx'], 'keywords';

# a post with images: the summary, the first image, with its size once measured
$h = head_at('/posts/cover');
is_deeply $h->{meta}{description}, ['The summary of the cover post.'], 'the summary as description';
is meta1($h, 'og:image'), "$BASE/media/cover.png", 'og:image: the first image, absolute';
ok !$h->{meta}{'og:image:width'}, 'no size before the jobrunner measured it';
is meta1($h, 'twitter:card'), 'summary_large_image', 'a large card with an image';
is $h->{jsonld}[0]{image}, "$BASE/media/cover.png", 'JSON-LD image';
is_deeply [sort @{ $h->{meta}{'article:tag'} }], ['SQLite', 'nginx'], 'both tags';

# the media table is what the jobrunner writes when it has read an image
BlogTest::sql($site->db, "INSERT INTO media (path, hash, size, mtime, params, format,"
    . " width, height, updated_at) VALUES ('cover.png', 'x', 1, 1, '', 'png', 1200, 630, 1)");
$h = head_at('/posts/cover');
is meta1($h, 'og:image:width'), '1200', 'og:image:width from the media table';
is meta1($h, 'og:image:height'), '630', 'og:image:height';

BlogTest::sql($site->db, "INSERT OR REPLACE INTO settings VALUES ('author', 'Ada')");
$h = head_at('/posts/cover');
is $h->{jsonld}[0]{author}{name}, 'Ada', 'author from the settings';

# hostile titles: escaped in attributes, and cannot end the JSON-LD script
my $r = $site->get('/posts/hostile', Host => 'blog.test:8093');
$h = head_of($r->{body});
my $title = q{Quotes " and </script><script>alert(1)</script> & <b>};
is meta1($h, 'og:title'), $title, 'hostile og:title read back as written';
is $h->{jsonld}[0]{headline}, $title, 'hostile headline read back as written';
is $h->{jsonld}[0]{description}, q{A summary with </script> and "quotes" & <i>},
    'hostile description in JSON-LD';
is_deeply $h->{jsonld}[0]{keywords}, ['</script>'], 'hostile tag in JSON-LD';
my ($script) = $r->{body} =~ m{<script type="application/ld\+json">(.*?)</script>}s;
unlike $script, qr{[<>]}, 'no < or > inside the JSON-LD';
unlike $r->{body}, qr{<script>alert}, 'no script from the title';
unlike $r->{body}, qr{<b>|<i>}, 'no markup from the title or summary';

# a page: a website, its own description and canonical, no BlogPosting
$h = head_at('/about');
is meta1($h, 'og:type'), 'website', 'a page is a website';
is_deeply $h->{meta}{description}, ['Who writes here.'], 'the page\'s description';
is $h->{link}{canonical}[0]{href}, "$BASE/about", 'canonical of a page';
is scalar @{ $h->{jsonld} }, 0, 'no JSON-LD on a page';

# the index: the site's description, a WebSite with its search
$h = head_at('/');
is_deeply $h->{meta}{description}, ['The site-wide description'], 'index: site description';
is $h->{link}{canonical}[0]{href}, "$BASE/", 'canonical of the index';
is meta1($h, 'og:type'), 'website', 'index: a website';
is meta1($h, 'og:title'), 'Links & Co', 'index: og:title is the site';
$ld = $h->{jsonld}[0];
is $ld->{'@type'}, 'WebSite', 'index: a WebSite';
is $ld->{name}, 'Links & Co', 'WebSite name';
is $ld->{url}, "$BASE/", 'WebSite url';
is $ld->{potentialAction}{'@type'}, 'SearchAction', 'a SearchAction';
is $ld->{potentialAction}{target}, "$BASE/search?q={search_term_string}", 'its target';
is $ld->{potentialAction}{'query-input'}, 'required name=search_term_string', 'its input';
is_deeply [map { $_->{href} } @{ $h->{link}{alternate} }], ['/feed.xml'], 'the feed linked';
is $h->{link}{alternate}[0]{type}, 'application/atom+xml', 'as Atom';

# a tag page: its canonical, no JSON-LD
$h = head_at('/tags/nginx');
is $h->{link}{canonical}[0]{href}, "$BASE/tags/nginx", 'canonical of a tag page';
is meta1($h, 'og:title'), '#nginx · Links & Co', 'og:title of a tag page';
is scalar @{ $h->{jsonld} }, 0, 'no JSON-LD on a tag page';

# a 404 claims no address
$h = head_at('/posts/nothing-here');
ok !$h->{link}{canonical}, 'no canonical on a 404';

# -- robots.txt and the icons -------------------------------------------------

$r = $site->get('/robots.txt', Host => 'blog.test:8093');
is $r->{status}, 200, 'robots.txt';
like $r->{headers}{'content-type'}, qr{^text/plain}, 'robots.txt is text';
like $r->{body}, qr{^User-agent: \*\nAllow: /\n}m, 'robots.txt allows all';
like $r->{body}, qr{^Sitemap: http://blog\.test:8093/sitemap\.xml$}m,
    'robots.txt names the absolute sitemap';
ok !grep({ /robots/ } $site->get('/sitemap.xml')->{body}), 'robots.txt is not in the sitemap';

my %icons = ('/favicon.ico' => qr{^image/(x-icon|vnd\.microsoft\.icon)},
             '/apple-touch-icon.png' => qr{^image/png},
             '/static/favicon.svg' => qr{^image/svg\+xml});
for my $path (sort keys %icons) {
    $r = $site->get($path);
    is $r->{status}, 200, "$path served";
    like $r->{headers}{'content-type'}, $icons{$path}, "$path type";
    ok length $r->{body} > 100, "$path has a body";
}
$r = $site->get('/favicon.ico');
is substr($r->{body}, 0, 4), "\0\0\1\0", 'favicon.ico is an icon file';
$h = head_at('/posts/plain');
is_deeply [sort map { $_->{href} } @{ $h->{link}{icon} }],
    ['/favicon.ico', '/static/favicon.svg'], 'the page links its icons';
is $h->{link}{'apple-touch-icon'}[0]{href}, '/apple-touch-icon.png', 'and the touch icon';
unlike $site->error_log, qr{favicon|apple-touch|robots\.txt}, 'no icon or robots.txt 404 in the log';

# a theme without robots.txt has none
my $theme = $site->dir . '/theme';
system('cp', '-r', "$FindBin::Bin/../conf/theme", $theme) == 0 or die "cp theme";
unlink "$theme/robots.txt" or die "rm robots.txt";
my $bare = new_site(theme => $theme,
    posts => { 'one.md' => "---\ntitle: One\ndate: 2026-10-01\n---\nText.\n" });
$bare->start;
is $bare->get('/robots.txt')->{status}, 404, 'no robots.txt in the theme: 404';
is $bare->get('/posts/one')->{status}, 200, 'the theme works without it';
$bare->stop;

# a theme's own robots.txt: its rules, and the sitemap's address for the
# request's host and port
my $own = $site->dir . '/theme-own';
system('cp', '-r', "$FindBin::Bin/../conf/theme", $own) == 0 or die "cp theme";
BlogTest::write_file("$own/robots.txt",
    "User-agent: *\nDisallow: /tags/\n\nUser-agent: GPTBot\nDisallow: /\n\n"
    . "Sitemap: {{sitemap_url_abs}}\n");
my $ruled = new_site(theme => $own,
    posts => { 'one.md' => "---\ntitle: One\ndate: 2026-10-01\n---\nText.\n" });
$ruled->start;
$r = $ruled->get('/robots.txt', Host => 'blog.test:8093');
is $r->{status}, 200, 'a theme\'s own robots.txt';
is $r->{body}, "User-agent: *\nDisallow: /tags/\n\nUser-agent: GPTBot\nDisallow: /\n\n"
             . "Sitemap: http://blog.test:8093/sitemap.xml\n",
    '... as the theme writes it, with the absolute sitemap';
$ruled->stop;

# blog_base_url wins over the request
my $based = new_site(
    location => 'blog_base_url https://example.org:8443/;',
    posts => { 'one.md' => "---\ntitle: One\ndate: 2026-10-01\n"
                         . "description: Told in the front matter.\n---\nText.\n",
               'covered.md' => "---\ntitle: Covered\ndate: 2026-10-02\ncover: /media/the-cover.png\n"
                             . "---\nText first.\n\n![later](/media/later.png)\n" },
);
$based->start;
{
    my $r = $based->get('/feed.xml', Host => 'blog.test:8093');
    like $r->{body}, qr{<id>https://example\.org:8443/posts/one</id>}, 'feed behind blog_base_url';
    unlike $r->{body}, qr{blog\.test}, 'no request host in the feed';
    $r = $based->get('/sitemap.xml', Host => 'blog.test:8093');
    like $r->{body}, qr{<loc>https://example\.org:8443/posts/one</loc>}, 'sitemap behind blog_base_url';
    like $based->get('/robots.txt', Host => 'blog.test:8093')->{body},
        qr{^Sitemap: https://example\.org:8443/sitemap\.xml$}m, 'robots.txt behind blog_base_url';
    my $os = $based->get('/opensearch.xml', Host => 'blog.test:8093')->{body};
    like $os, qr{template="https://example\.org:8443/search\?q=\{searchTerms\}"},
        'OpenSearch behind blog_base_url';
    my $h = head_of($based->get('/posts/one', Host => 'blog.test:8093')->{body});
    is $h->{link}{canonical}[0]{href}, 'https://example.org:8443/posts/one',
        'canonical behind blog_base_url';
    is_deeply $h->{meta}{description}, ['Told in the front matter.'],
        'description: in front matter is the post\'s description';
    is meta1($h, 'og:description'), 'Told in the front matter.', '... and og:description';

    # cover: in front matter heads the post and is its preview
    $r = $based->get('/posts/covered', Host => 'blog.test:8093');
    like $r->{body}, qr{<div class="body">\s*<p><img src="/media/the-cover\.png" alt="" /></p>},
        'the cover heads the post';
    $h = head_of($r->{body});
    is meta1($h, 'og:image'), 'https://example.org:8443/media/the-cover.png',
        'og:image: the cover, before the body\'s images';
    is meta1($h, 'twitter:card'), 'summary_large_image', 'a large card';
    is $h->{jsonld}[0]{image}, 'https://example.org:8443/media/the-cover.png', 'JSON-LD image';
    is_deeply $h->{meta}{description}, ['Text first.'], 'the description is the text';
}
$based->stop;

done_testing;
