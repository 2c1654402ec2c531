#!/usr/bin/perl
# Pages sent once in gzip, joined from parts deflated once: the template
# before body_html, the body (after its srcset rewrite), the template after;
# a part is kept the second time its bytes come.  Each response is decoded
# by a real gunzip and compared byte for byte with the identity response:
# posts with and without images, two posts whose bodies differ, two that
# share one, after an edit, a part that changes every time, and with a
# bound on the kept parts small enough to evict them.

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

# the parts' counters from blog_metrics: hit, miss (deflated and kept) and
# new (seen a first time: the page compressed whole)
sub parts {
    my ($site) = @_;
    my $body = $site->get('/_metrics')->{body};
    my %n = $body =~ /^nginx_blog_compress_parts_total\{result="(\w+)"\} (\d+)$/mg;
    return { hit => $n{hit} // -1, miss => $n{miss} // -1, new => $n{new} // -1 };
}

sub moved {
    my ($before, $after) = @_;
    return { map { $_ => $after->{$_} - $before->{$_} } keys %$after };
}

# GETs path in identity and as a browser asks: the gzip must decode to the
# identity bytes, its ETag the identity's with suffix: -gzp1 joined from
# kept parts, -gz0 the page compressed whole
sub gz_ok {
    my ($site, $path, $suffix, $what) = @_;
    my $plain = $site->get($path);
    my $r = $site->get($path, 'Accept-Encoding' => $browser);
    is $r->{status}, 200, "$what: 200";
    is $r->{headers}{'content-encoding'}, 'gzip', "$what: gzip";
    is $r->{headers}{vary}, 'Accept-Encoding', "$what: Vary";
    is $r->{headers}{'content-length'}, length $r->{body}, "$what: Content-Length";
    my ($hash) = ($plain->{headers}{etag} // '') =~ /^"(\w+)"$/;
    is $r->{headers}{etag}, "\"$hash$suffix\"", "$what: ETag ending in $suffix"
        or diag 'parts counters: ', explain parts($site);
    ok ungzip($r->{body}) eq $plain->{body}, "$what: gunzip gives the identity bytes"
        or diag ungzip($r->{body});
    return ($plain, $r);
}

my $site = new_site(posts => \%posts, location => 'blog_cache off;',
                    server => "location = /_metrics { blog_metrics; blog_events off; }\n");
$site->start;

# --- a page's parts: seen once (the page whole), then deflated and kept ---

my %sent;
my $m0 = parts($site);
for my $path ('/posts/one', '/posts/two', '/posts/pic', '/about') {
    gz_ok($site, $path, '-gz0', "$path, first: compressed whole");
}
my $m1 = parts($site);
my $first = moved($m0, $m1);
is $first->{hit} + $first->{miss}, 0, 'first: nothing deflated to keep';
# (a part two pages share, as the same template tail, is new once)
cmp_ok $first->{new}, '>=', 9, 'first: the parts noted';
for my $path ('/posts/one', '/posts/two', '/posts/pic', '/about') {
    my ($plain, $r) = gz_ok($site, $path, '-gzp1', "$path, again: joined");
    $sent{$path} = $r;
    $sent{"$path plain"} = $plain;
}
my $m2 = parts($site);
my $again = moved($m1, $m2);
is $again->{miss}, $first->{new}, 'again: each part noted deflated and kept, once';
is $again->{hit} + $again->{miss}, 12, 'again: 3 parts a page';
is $again->{new}, 0, 'again: none new';
isnt $sent{'/posts/one plain'}{body}, $sent{'/posts/two plain'}{body}, 'two posts, two pages';
ok ungzip($sent{'/posts/two'}{body}) =~ /line7 of another/ && ungzip($sent{'/posts/two'}{body}) !~ /word7 and/,
    'two: its own body, not one\'s';
cmp_ok length $sent{'/posts/one'}{body}, '<', length($sent{'/posts/one plain'}{body}) / 2,
    'joined: less than half the page';

my $r = $site->get('/posts/one', 'Accept-Encoding' => $browser);
is $r->{body}, $sent{'/posts/one'}{body}, 'the same gzip bytes a third time';
is_deeply moved($m2, parts($site)), { hit => 3, miss => 0, new => 0 }, 'third: its three parts found kept';

# a post whose body is another's: that body's deflate serves both
$m0 = parts($site);
gz_ok($site, '/posts/twin', '-gz0', 'twin, first');
gz_ok($site, '/posts/twin', '-gzp1', 'twin, again');
is_deeply moved($m0, parts($site)), { hit => 1, miss => 2, new => 2 },
    'twin: one\'s body found by its bytes; its template parts new, then kept';

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

# --- a client holding the page whole (-gz0) after it went joined (-gzp1) ---

my ($one_hash) = $sent{'/posts/one plain'}{headers}{etag} =~ /^"(\w+)"$/;
my ($two_hash) = $sent{'/posts/two plain'}{headers}{etag} =~ /^"(\w+)"$/;
my $whole = "\"$one_hash-gz0\"";
$r = $site->get('/posts/one', 'Accept-Encoding' => $browser, 'If-None-Match' => $whole);
is $r->{status}, 304, 'If-None-Match of the whole-page ETag, page now joined: 304';
is $r->{headers}{etag}, $whole, '304: the ETag of the bytes the client holds';
is $r->{body}, '', '304: no body';
$r = $site->get('/posts/one', 'Accept-Encoding' => $browser,
                'If-None-Match' => "\"$two_hash-gz0\", W/$whole",
                'If-Modified-Since' => $sent{'/posts/one'}{headers}{'last-modified'});
is $r->{status}, 304, 'a list with a weak whole-page ETag, and If-Modified-Since: 304';
is $r->{headers}{etag}, $whole, '304 to a list: the matched ETag';
$r = $site->get('/posts/one', 'Accept-Encoding' => $browser, 'If-None-Match' => "\"$two_hash-gz0\"");
is $r->{status}, 200, 'another page\'s whole-page ETag: 200';
is $r->{headers}{etag}, $etag, '200: the joined ETag';
is $r->{body}, $sent{'/posts/one'}{body}, '200: the joined bytes';
$r = $site->get('/posts/one', 'If-None-Match' => $whole);
is $r->{status}, 200, 'the whole-page ETag, asked in identity: 200';
$r = $site->get('/posts/one', 'Accept-Encoding' => $browser, 'If-None-Match' => "\"$one_hash-br0\"");
is $r->{status}, 200, 'a brotli ETag while gzip is sent: 200 (a 304 would relabel the copy)';
$r = $site->get('/posts/one', 'Accept-Encoding' => $browser, 'If-None-Match' => $whole,
                'If-Modified-Since' => 'Thu, 01 Jan 1970 00:00:01 GMT');
is $r->{status}, 200, 'with an If-Modified-Since that says modified: 200';
is $r->{headers}{etag}, $etag, 'and the joined ETag with the joined bytes';
is $r->{body}, $sent{'/posts/one'}{body}, 'and the joined bytes';
$r = $site->get('/posts/one', 'Accept-Encoding' => $browser, 'If-Match' => $whole,
                'If-None-Match' => $whole);
isnt $r->{status}, 304, 'with If-Match of the other variant: no 304';
$r = $site->get('/posts/one', 'Accept-Encoding' => $browser, Range => 'bytes=10-109',
                'If-Range' => $whole);
is $r->{status}, 200, 'If-Range of the whole-page ETag: the whole 200, no 206 of other bytes';
is $r->{headers}{etag}, $etag, 'If-Range 200: the joined ETag';
is $r->{body}, $sent{'/posts/one'}{body}, 'If-Range 200: all the joined bytes';
$r = $site->get('/posts/one', 'Accept-Encoding' => $browser, Range => 'bytes=10-109',
                'If-Range' => $whole, 'If-None-Match' => $whole);
is $r->{status}, 304, 'If-None-Match and If-Range of the whole-page ETag: 304';
$r = $site->get('/posts/one', 'Accept-Encoding' => $browser, Range => 'bytes=10-109',
                'If-Range' => $etag);
is $r->{status}, 206, 'If-Range of the joined ETag: 206';
is $r->{body}, substr($sent{'/posts/one'}{body}, 10, 100), 'If-Range 206: the joined bytes';

# --- images: the body joined is the one with srcset ---

sql($site->db, "INSERT INTO media (id, path, hash, size, mtime, params, format, width, height,"
    . " updated_at) VALUES (1, 'lake.jpg', 'x', 1, 1, '', 'jpeg', 2000, 1500, 1)");
sql($site->db, "INSERT INTO media_variants VALUES (1, 'jpeg', 640, 480, 'v/lake-640.jpg', 1),"
    . " (1, 'webp', 640, 480, 'v/lake-640.webp', 1)");
gz_ok($site, '/posts/pic', '-gz0', 'pic with variants, first');
my ($pic, $pr) = gz_ok($site, '/posts/pic', '-gzp1', 'pic with variants, again');
like $pic->{body}, qr{srcset="/media/v/lake-640\.jpg 640w}, 'pic: the page has srcset';
unlike ungzip($pr->{body}), qr{<img src="/media/lake.jpg" alt="a lake" />},
    'pic: not the body before the rewrite';

# --- an edit: the new body, never the old; other posts still kept ---

sql($site->db, "UPDATE posts SET body_html = '<p>Rewritten body, much shorter.</p>', "
    . "updated_at = updated_at + 60 WHERE slug = 'one'");
for my $suffix ('-gz0', '-gzp1') {
    my ($edited, $er) = gz_ok($site, '/posts/one', $suffix, "one, edited ($suffix)");
    like $edited->{body}, qr/Rewritten body/, "edited ($suffix): the identity page has the new body";
    my ($div) = ungzip($er->{body}) =~ m{<div class="body">(.*?)</div>}s;
    like $div, qr/Rewritten body/, "edited ($suffix): the gzip has the new body";
    unlike $div, qr/word7 and/, "edited ($suffix): and not the old one";
    isnt $er->{headers}{etag}, $etag, "edited ($suffix): a new ETag";
}
is $site->get('/posts/one', 'Accept-Encoding' => $browser, 'If-None-Match' => $etag)->{status},
    200, 'edited: the old ETag gives no 304';

$m0 = parts($site);
gz_ok($site, '/posts/two', '-gzp1', 'two, after one\'s edit');
is_deeply moved($m0, parts($site)), { hit => 3, miss => 0, new => 0 },
    'two after the edit: its parts still kept';

# --- a part that changes on every response is never deflated to be kept ---

$m0 = parts($site);
for my $n (1 .. 3) {
    sql($site->db, "UPDATE posts SET title = 'Second, take $n' WHERE slug = 'two'");
    gz_ok($site, '/posts/two', '-gz0', "two retitled ($n): compressed whole");
}
is_deeply moved($m0, parts($site)), { hit => 0, miss => 0, new => 3 },
    'retitled each time: its template part new each time, nothing deflated to keep';

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

my $len_two = length $sent{'/posts/two plain'}{body};
my $small = new_site(posts => \%posts,
                     location => 'blog_cache off; blog_compress_parts_size '
                               . int($len_two * 1.8) . ';',
                     server => "location = /_metrics { blog_metrics; blog_events off; }\n");
$small->start;
for my $path ('/posts/two', '/posts/pic') {
    gz_ok($small, $path, '-gz0', "small bound: $path, first");
    gz_ok($small, $path, '-gzp1', "small bound: $path, again");
}
$m0 = parts($small);
gz_ok($small, '/posts/two', '-gzp1', 'small bound: two, after pic');
$m1 = parts($small);
cmp_ok $m1->{miss} - $m0->{miss}, '>=', 2, 'small bound: two\'s parts were evicted by pic\'s, deflated again';
gz_ok($small, '/posts/two', '-gzp1', 'small bound: two once more');
is_deeply moved($m1, parts($small)), { hit => 3, miss => 0, new => 0 }, 'small bound: then kept again';
$small->stop;

for my $size ('0', '1k') {
    my $none = new_site(posts => \%posts,
                        location => "blog_cache off; blog_compress_parts_size $size;");
    $none->start;
    gz_ok($none, '/posts/two', '-gz0', "parts size $size, first");
    gz_ok($none, '/posts/two', '-gz0', "parts size $size, again: still whole");
    $none->stop;
}

# --- a bad size is refused by nginx -t with file and line ---

{
    my $bad = new_site(posts => \%posts, location => 'blog_compress_parts_size lots;');
    $bad->write_conf;
    my ($rc, $out) = $bad->nginx('-t');
    isnt $rc, 0, 'nginx -t refuses blog_compress_parts_size lots';
    like $out, qr/"blog_compress_parts_size" directive invalid value/, '... with the reason';
    like $out, qr/\Q${\ $bad->dir}\E\/conf\/nginx\.conf:\d+/, '... and file and line';
}

# --- two parts of one page whose hashes share a slot of the seen table ---
# (1024 slots then; now 256 sets of 4.)  They took turns in the slot, so
# the page was compressed whole on every response, never joined.

my $col = new_site(posts => {
    'coll.md' => "---\ntitle: Collide\ndate: 2026-10-03\n---\nSeed.\n" },
    location => 'blog_cache off;');
$col->start;
my $seed = sql($col->db, "SELECT body_html FROM posts WHERE slug = 'coll'");
my $page = $col->get('/posts/coll')->{body};
my $at = index $page, $seed;
ok $at > 0 && index($page, $seed, $at + 1) < 0, 'the body once in the page';
my $tail = substr $page, $at + length $seed;
my $slot_of = sub {
    my ($bytes) = @_;
    open my $fh, '|-', "$BlogTest::BUILD/t/tools/xxh3_slot 1024 > "
                       . $col->dir . '/slot' or die "xxh3_slot: $!";
    print $fh $bytes;
    close $fh or die "xxh3_slot failed";
    return read_file($col->dir . '/slot') =~ s/\n//r;
};
my $slot = $slot_of->($tail);
my $k = `$BlogTest::BUILD/t/tools/xxh3_slot 1024 $slot '<p>Collide ' '.</p>'`;
chomp $k;
ok $k, "a body in the tail's slot $slot: <p>Collide $k.</p>";
sql($col->db, "UPDATE posts SET body_html = '<p>Collide $k.</p>' "
            . "WHERE slug = 'coll'");
$page = $col->get('/posts/coll')->{body};
$at = index $page, "<p>Collide $k.</p>";
is substr($page, $at + length "<p>Collide $k.</p>"), $tail,
   'the tail unchanged by the new body';
is $slot_of->("<p>Collide $k.</p>"), $slot, 'body and tail share the slot';
gz_ok($col, '/posts/coll', '-gz0', 'parts sharing a slot, first');
gz_ok($col, '/posts/coll', '-gzp1', 'parts sharing a slot, again: joined');
$col->stop;

# --- nginx's gzip filter leaves the joined body alone ---

my $gz = new_site(posts => \%posts,
                  location => 'blog_cache off; gzip on; gzip_min_length 1; gzip_vary on;');
$gz->start;
gz_ok($gz, '/posts/one', '-gz0', 'gzip on, first');
gz_ok($gz, '/posts/one', '-gzp1', 'gzip on, again: one gunzip gives the page');
$gz->stop;

done_testing;
