#!/usr/bin/perl
# Pages sent once in gzip, joined from parts deflated once: the template
# before body_html, the body (after its srcset rewrite), the template after.
# Each response is decoded by a real gunzip and compared byte for byte with
# the identity response: posts with and without images, two posts whose
# bodies differ, two that share one, after an edit, and with a bound on the
# kept parts small enough to evict them.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use BlogTest;

my $words = join ' ', map { "word$_ and some prose around it" } 1 .. 60;
my $other = join ' ', map { "line$_ of another text entirely" } 1 .. 60;
my %posts = (
    'one.md'   => "---\ntitle: First\ndate: 2026-10-01\ntags: [a]\n---\n$words\n",
    'two.md'   => "---\ntitle: Second\ndate: 2026-10-02\ntags: [b]\n---\n$other\n",
    'twin.md'  => "---\ntitle: Twin\ndate: 2026-10-03\ntags: [c]\n---\n$words\n",
    'pic.md'   => "---\ntitle: Picture\ndate: 2026-10-04\ntags: [d]\n---\n"
                . "$other\n\n![a lake](/media/lake.jpg)\n\nAfter the picture.\n",
    'about.md' => "---\ntitle: About\ntype: page\n---\n$words\n",
);

my $browser = 'gzip, deflate, br';

sub ungzip {
    my ($data) = @_;
    my $out;
    gunzip(\$data => \$out) or return "gunzip failed: $GunzipError";
    return $out;
}

# the parts' hits and misses, from blog_metrics
sub parts {
    my ($site) = @_;
    my $body = $site->get('/_metrics')->{body};
    my %n = $body =~ /^nginx_blog_compress_parts_total\{result="(\w+)"\} (\d+)$/mg;
    return ($n{hit} // -1, $n{miss} // -1);
}

# GETs path in identity and as a browser asks; the gzip must decode to the
# identity bytes, with the identity's ETag marked as joined
sub joined_ok {
    my ($site, $path, $what) = @_;
    my $plain = $site->get($path);
    my $r = $site->get($path, 'Accept-Encoding' => $browser);
    is $r->{status}, 200, "$what: 200";
    is $r->{headers}{'content-encoding'}, 'gzip', "$what: gzip";
    is $r->{headers}{vary}, 'Accept-Encoding', "$what: Vary";
    is $r->{headers}{'content-length'}, length $r->{body}, "$what: Content-Length";
    my ($hash) = ($plain->{headers}{etag} // '') =~ /^"(\w+)"$/;
    is $r->{headers}{etag}, "\"$hash-gzp1\"", "$what: the page's ETag, marked as joined";
    ok ungzip($r->{body}) eq $plain->{body}, "$what: gunzip gives the identity bytes"
        or diag ungzip($r->{body});
    return ($plain, $r);
}

my $site = new_site(posts => \%posts, location => 'blog_cache off;',
                    server => "location = /_metrics { blog_metrics; blog_events off; }\n");
$site->start;

# --- every page with a body, joined; repeated: the parts are kept ---

my %sent;
for my $path ('/posts/one', '/posts/two', '/posts/pic', '/about') {
    my ($plain, $r) = joined_ok($site, $path, $path);
    $sent{$path} = $r;
    $sent{"$path plain"} = $plain;
}
isnt $sent{'/posts/one plain'}{body}, $sent{'/posts/two plain'}{body}, 'two posts, two pages';
ok ungzip($sent{'/posts/two'}{body}) =~ /line7 of another/ && ungzip($sent{'/posts/two'}{body}) !~ /word7 and/,
    'two: its own body, not one\'s';

my ($hit, $miss) = parts($site);
my $r = $site->get('/posts/one', 'Accept-Encoding' => $browser);
is $r->{body}, $sent{'/posts/one'}{body}, 'the same gzip bytes again';
my ($hit2, $miss2) = parts($site);
is $hit2 - $hit, 3, 'again: its three parts were kept';
is $miss2, $miss, 'again: none deflated';

# a post whose body is another's: that body's deflate serves both
($hit, $miss) = parts($site);
joined_ok($site, '/posts/twin', 'a post with one\'s body');
($hit2, $miss2) = parts($site);
is $hit2 - $hit, 1, 'twin: the body found by its bytes';
is $miss2 - $miss, 2, 'twin: its own template parts deflated';

# --- HEAD, 304 and Range on the joined body ---

my $etag = $sent{'/posts/one'}{headers}{etag};
$r = $site->request('HEAD', '/posts/one', 'Accept-Encoding' => $browser);
is $r->{body}, '', 'HEAD: no body';
is $r->{headers}{'content-length'}, length $sent{'/posts/one'}{body}, 'HEAD: the joined length';
is $r->{headers}{etag}, $etag, 'HEAD: its ETag';
$r = $site->get('/posts/one', 'Accept-Encoding' => $browser, 'If-None-Match' => $etag);
is $r->{status}, 304, 'If-None-Match of the joined ETag: 304';
$r = $site->get('/posts/one', 'If-None-Match' => $etag);
is $r->{status}, 200, 'the joined ETag does not match the identity body';
$r = $site->get('/posts/one', 'Accept-Encoding' => $browser, Range => 'bytes=10-109');
is $r->{status}, 206, 'Range: 206';
is $r->{body}, substr($sent{'/posts/one'}{body}, 10, 100), 'Range: those bytes of the gzip';

# --- images: the body joined is the one with srcset ---

sql($site->db, "INSERT INTO media (id, path, hash, size, mtime, params, format, width, height,"
    . " updated_at) VALUES (1, 'lake.jpg', 'x', 1, 1, '', 'jpeg', 2000, 1500, 1)");
sql($site->db, "INSERT INTO media_variants VALUES (1, 'jpeg', 640, 480, 'v/lake-640.jpg', 1),"
    . " (1, 'webp', 640, 480, 'v/lake-640.webp', 1)");
my ($pic) = joined_ok($site, '/posts/pic', 'pic, with variants');
like $pic->{body}, qr{srcset="/media/v/lake-640\.jpg 640w}, 'pic: the page has srcset';
unlike ungzip($site->get('/posts/pic', 'Accept-Encoding' => $browser)->{body}),
    qr{<img src="/media/lake.jpg" alt="a lake" />}, 'pic: not the body before the rewrite';

# --- an edit: the new body, never the old; other posts still kept ---

sql($site->db, "UPDATE posts SET body_html = '<p>Rewritten body, much shorter.</p>', "
    . "updated_at = updated_at + 60 WHERE slug = 'one'");
my ($edited, $er) = joined_ok($site, '/posts/one', 'one, edited');
like $edited->{body}, qr/Rewritten body/, 'edited: the identity page has the new body';
my ($div) = ungzip($er->{body}) =~ m{<div class="body">(.*?)</div>}s;
like $div, qr/Rewritten body/, 'edited: the gzip has the new body';
unlike $div, qr/word7 and/, 'edited: and not the old one';
isnt $er->{headers}{etag}, $etag, 'edited: a new ETag';
is $site->get('/posts/one', 'Accept-Encoding' => $browser, 'If-None-Match' => $etag)->{status},
    200, 'edited: the old ETag gives no 304';

($hit, $miss) = parts($site);
joined_ok($site, '/posts/two', 'two, after one\'s edit');
($hit2, $miss2) = parts($site);
is $hit2 - $hit, 3, 'two after the edit: its parts still kept';
is $miss2, $miss, 'two after the edit: nothing deflated';

# a page with no body_html is compressed whole, as before
$r = $site->get('/tags/a', 'Accept-Encoding' => $browser);
like $r->{headers}{etag}, qr/-gz0"$/, 'a tag page: igzip level 0, whole';
is ungzip($r->{body}), $site->get('/tags/a')->{body}, 'a tag page: decodes';
$r = $site->get('/posts/nope', 'Accept-Encoding' => $browser);
is $r->{status}, 404, 'a missing post: 404';
is $r->{headers}{'content-encoding'}, 'gzip', '404: gzip';
like ungzip($r->{body}), qr/not found/i, '404: decodes';
$site->stop;

# --- the bound: parts of one page fit, not of two; none fit at all ---

my $len_one = length $sent{'/posts/two plain'}{body};
my $small = new_site(posts => \%posts,
                     location => 'blog_cache off; blog_compress_parts_size '
                               . int($len_one * 1.8) . ';',
                     server => "location = /_metrics { blog_metrics; blog_events off; }\n");
$small->start;
joined_ok($small, '/posts/two', 'small bound: two');
joined_ok($small, '/posts/pic', 'small bound: pic');
($hit, $miss) = parts($small);
joined_ok($small, '/posts/two', 'small bound: two again');
($hit2, $miss2) = parts($small);
cmp_ok $miss2 - $miss, '>=', 2, 'small bound: two\'s parts were evicted by pic\'s';
joined_ok($small, '/posts/two', 'small bound: two once more');
my ($hit3) = parts($small);
is $hit3 - $hit2, 3, 'small bound: then kept again';
$small->stop;

for my $size ('0', '1k') {
    my $none = new_site(posts => \%posts,
                        location => "blog_cache off; blog_compress_parts_size $size;");
    $none->start;
    my $plain = $none->get('/posts/two')->{body};
    $r = $none->get('/posts/two', 'Accept-Encoding' => $browser);
    like $r->{headers}{etag}, qr/-gz0"$/, "parts size $size: the page compressed whole";
    is ungzip($r->{body}), $plain, "parts size $size: decodes";
    $none->stop;
}

# --- nginx's gzip filter leaves the joined body alone ---

my $gz = new_site(posts => \%posts,
                  location => 'blog_cache off; gzip on; gzip_min_length 1; gzip_vary on;');
$gz->start;
my ($gplain, $gr) = joined_ok($gz, '/posts/one', 'gzip on');
is $gr->{headers}{vary}, 'Accept-Encoding', 'gzip on: one Vary';
$gz->stop;

done_testing;
