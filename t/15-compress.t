#!/usr/bin/perl
# Pages compressed once: gzip and brotli bodies kept with the cached page,
# chosen by Accept-Encoding as nginx reads it, each with its own ETag, 304,
# HEAD and Range; nginx's gzip filter never compresses them again.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use BlogTest;

# Debian's brotli decodes: a missing one fails the test, as a missing
# nginx would (scripts/deps.sh installs it)
system('sh', '-c', 'command -v brotli >/dev/null') == 0
    or die "t/15-compress.t needs the brotli command (make deps-test)\n";

my $words = join ' ', map { "word$_ and some prose around it" } 1 .. 60;
my %posts = (
    'one.md'   => "---\ntitle: First title\ndate: 2026-10-01\ntags: [a]\n---\n$words\n",
    'two.md'   => "---\ntitle: Second\ndate: 2026-10-02\ntags: [a]\n---\n$words\n",
    'about.md' => "---\ntitle: About\ntype: page\n---\n$words\n",
);

my $site = new_site(posts => \%posts,
                    http => 'gzip_disable "OldAgent";');
my $tmp = $site->dir;

# a second location of the same blog with compression left to nginx
my $theme = "$BlogTest::ROOT/conf/theme";
$site->{server} = <<"EOF";
        location /off/ {
            blog $site->{db};
            blog_theme $theme;
            blog_media_root $site->{media};
            blog_compress off;
            gzip on;
            gzip_min_length 1;
        }
EOF
$site->start;

sub ungzip {
    my ($data) = @_;
    my $out;
    gunzip(\$data => \$out) or return "gunzip failed: $GunzipError";
    return $out;
}

sub unbrotli {
    my ($data) = @_;
    write_file("$tmp/body.br", $data);
    my $out = `brotli -dc $tmp/body.br 2>&1`;
    return $? == 0 ? $out : "brotli failed: $out";
}

my %decode = (gzip => \&ungzip, br => \&unbrotli, identity => sub { $_[0] });

# --- every page, in every coding, decodes to the same bytes ---

my %plain;
for my $path ('/posts/one', '/', '/tags/a', '/about', '/feed.xml', '/sitemap.xml') {
    my $r = $site->get($path);
    is $r->{status}, 200, "$path";
    is $r->{headers}{'content-encoding'}, undef, "$path: identity without Accept-Encoding";
    is $r->{headers}{vary}, 'Accept-Encoding', "$path: Vary on the identity body too";
    $plain{$path} = $r->{body};

    for my $coding ('gzip', 'br') {
        $r = $site->get($path, 'Accept-Encoding' => $coding);
        is $r->{headers}{'content-encoding'}, $coding, "$path: $coding";
        is $r->{headers}{vary}, 'Accept-Encoding', "$path: $coding: one Vary";
        is $r->{headers}{'content-length'}, length $r->{body}, "$path: $coding: Content-Length";
        cmp_ok length $r->{body}, '<', length $plain{$path}, "$path: $coding is smaller";
        is $decode{$coding}->($r->{body}), $plain{$path}, "$path: $coding decodes to the page";
    }
}

# --- the cached page keeps its bodies; ETags per coding ---

my %etag;
for my $coding ('identity', 'gzip', 'br') {
    my $r = $site->get('/posts/one', 'Accept-Encoding' => $coding);
    is $r->{headers}{'x-blog-cache'}, 'HIT', "$coding: from the page cache";
    $etag{$coding} = $r->{headers}{etag};
}
like $etag{identity}, qr/^"([0-9a-f]{16})"$/, 'identity ETag';
my ($hash) = $etag{identity} =~ /^"(\w+)"$/;
is $etag{gzip}, "\"$hash-gz6\"", 'gzip ETag: the page\'s, with coding and level';
is $etag{br}, "\"$hash-br5\"", 'brotli ETag: the page\'s, with coding and level';

my $br = $site->get('/posts/one', 'Accept-Encoding' => 'br')->{body};
is $site->get('/posts/one', 'Accept-Encoding' => 'br')->{body}, $br,
    'the same brotli bytes each time';

# --- 304 per coding ---

for my $coding ('gzip', 'br') {
    my $r = $site->get('/posts/one', 'Accept-Encoding' => $coding,
                       'If-None-Match' => $etag{$coding});
    is $r->{status}, 304, "$coding: If-None-Match of its ETag gives 304";
    is $r->{body}, '', "$coding: 304 without body";
    is $r->{headers}{etag}, $etag{$coding}, "$coding: 304 with its ETag";
    is $r->{headers}{vary}, 'Accept-Encoding', "$coding: 304 with Vary";

    $r = $site->get('/posts/one', 'Accept-Encoding' => $coding,
                    'If-None-Match' => $etag{identity});
    is $r->{status}, 200, "$coding: the identity ETag does not match the $coding body";
}
is $site->get('/posts/one', 'If-None-Match' => $etag{gzip})->{status}, 200,
    'identity: the gzip ETag does not match the identity body';
is $site->get('/posts/one', 'Accept-Encoding' => 'gzip',
              'If-None-Match' => "$etag{br}, $etag{gzip}")->{status}, 304,
    'a list of ETags, one of them the gzip one: 304';

# --- HEAD: the headers of GET, no body ---

for my $coding ('identity', 'gzip', 'br') {
    my $get = $site->get('/posts/one', 'Accept-Encoding' => $coding);
    my $r = $site->request('HEAD', '/posts/one', 'Accept-Encoding' => $coding);
    is $r->{status}, 200, "HEAD $coding";
    is $r->{body}, '', "HEAD $coding: no body";
    is $r->{headers}{'content-length'}, length $get->{body}, "HEAD $coding: Content-Length of the GET";
    is $r->{headers}{'content-encoding'}, $get->{headers}{'content-encoding'}, "HEAD $coding: Content-Encoding";
    is $r->{headers}{etag}, $get->{headers}{etag}, "HEAD $coding: ETag";
}

# --- Range: of the bytes sent, in whatever coding (as gzip_static) ---

for my $coding ('identity', 'gzip', 'br') {
    my $full = $site->get('/posts/one', 'Accept-Encoding' => $coding)->{body};
    my $r = $site->get('/posts/one', 'Accept-Encoding' => $coding, Range => 'bytes=10-109');
    is $r->{status}, 206, "Range $coding: 206";
    is $r->{headers}{'content-range'}, 'bytes 10-109/' . length $full, "Range $coding: Content-Range of the coded length";
    is $r->{body}, substr($full, 10, 100), "Range $coding: those bytes";

    $r = $site->get('/posts/one', 'Accept-Encoding' => $coding, Range => 'bytes=-20',
                    'If-Range' => $etag{$coding});
    is $r->{status}, 206, "If-Range $coding with its ETag: 206";
    is $r->{body}, substr($full, -20), "If-Range $coding: the last bytes";
}
my $r = $site->get('/posts/one', 'Accept-Encoding' => 'gzip', Range => 'bytes=0-9',
                   'If-Range' => $etag{br});
is $r->{status}, 200, 'If-Range with another coding\'s ETag: the whole gzip body';
is ungzip($r->{body}), $plain{'/posts/one'}, 'which decodes to the page';

# --- Accept-Encoding as nginx reads it: q=0 refuses, br preferred ---

my @choices = (
    ['gzip, deflate, br'          => 'br'],
    ['gzip,deflate,br'            => 'br'],
    ['br;q=0.001, gzip'           => 'br'],
    ['gzip;q=1.0, br;q=0.5'       => 'br'],
    ['BR'                         => 'br'],
    ['br ; q=1'                   => 'br'],
    ["gzip,\tbr"                  => 'br'],
    ['br;q=0, gzip'               => 'gzip'],
    ['br;q=0.000, gzip'           => 'gzip'],
    ['gzip, br;q=0'               => 'gzip'],
    ['br;q=1.5, gzip'             => 'gzip'],   # not a q-value
    ['br;q=0.0001, gzip'          => 'gzip'],   # nor this
    ['br;q=x, gzip'               => 'gzip'],
    ['brotli, gzip'               => 'gzip'],   # a coding of another name
    ['xbr, gzip'                  => 'gzip'],
    ['deflate, gzip'              => 'gzip'],
    ['gzip;q=0'                   => 'identity'],
    ['gzip;q=0, br;q=0'           => 'identity'],
    ['gzip; q=0.000'              => 'identity'],
    ['identity'                   => 'identity'],
    ['deflate'                    => 'identity'],
    ['*'                          => 'identity'],
    [''                           => 'identity'],
);
for my $c (@choices) {
    my ($ae, $want) = @$c;
    $r = $site->get('/posts/one', 'Accept-Encoding' => $ae);
    is $r->{headers}{'content-encoding'} // 'identity', $want, "Accept-Encoding \"$ae\": $want";
    is $decode{$want}->($r->{body}), $plain{'/posts/one'}, "Accept-Encoding \"$ae\": the page";
}

# nginx's rules of whom to compress for hold for brotli too
$r = $site->get('/posts/one', 'Accept-Encoding' => 'gzip, br', 'User-Agent' => 'OldAgent/1.0');
is $r->{headers}{'content-encoding'}, undef, 'gzip_disable: neither gzip nor brotli';
is $r->{body}, $plain{'/posts/one'}, 'gzip_disable: the page as it is';
$r = $site->get('/posts/one', 'Accept-Encoding' => 'gzip, br', Via => '1.1 proxy');
is $r->{headers}{'content-encoding'}, undef, 'gzip_proxied off: a proxied request gets identity';
$r = $site->get('/posts/one', 'Accept-Encoding' => 'br', Via => '1.1 proxy');
is $r->{headers}{'content-encoding'}, undef, 'gzip_proxied off: brotli alike';

# --- a 404 is compressed for its one response ---

$r = $site->get('/posts/nope', 'Accept-Encoding' => 'br');
is $r->{status}, 404, '404 with brotli';
is $r->{headers}{'content-encoding'}, 'br', '404 compressed';
like unbrotli($r->{body}), qr/not found/i, '404 decodes to the theme\'s 404 page';
is $r->{headers}{vary}, 'Accept-Encoding', '404 varies too';

# --- an edit: new bytes in every coding ---

sql($site->db, "UPDATE posts SET title = 'Edited title', updated_at = updated_at + 60 WHERE slug = 'one'");
my $edited = $site->get('/posts/one');
like $edited->{body}, qr/Edited title/, 'identity: the edit';
isnt $edited->{headers}{etag}, $etag{identity}, 'identity: a new ETag';
for my $coding ('gzip', 'br') {
    $r = $site->get('/posts/one', 'Accept-Encoding' => $coding);
    is $decode{$coding}->($r->{body}), $edited->{body}, "$coding: the edited page";
    isnt $r->{headers}{etag}, $etag{$coding}, "$coding: a new ETag";
    $r = $site->get('/posts/one', 'Accept-Encoding' => $coding, 'If-None-Match' => $etag{$coding});
    is $r->{status}, 200, "$coding: the old ETag no longer gives 304";
}

# --- blog_compress off: nginx's gzip filter does it, as before ---

$r = $site->get('/off/posts/two', 'Accept-Encoding' => 'gzip, br');
is $r->{headers}{'content-encoding'}, 'gzip', 'blog_compress off: nginx gzips';
like $r->{headers}{etag} // '', qr{^W/"}, 'blog_compress off: with a weakened ETag';
like ungzip($r->{body}), qr/Second/, 'blog_compress off: the page';
$r = $site->get('/off/posts/two');
is $r->{headers}{vary}, undef, 'blog_compress off: no Vary from the module';
$site->stop;

# --- "gzip on" (and gzip_vary) where the module compresses: not twice ---

my $gz = new_site(posts => \%posts,
                  location => 'gzip on; gzip_min_length 1; gzip_vary on; '
                            . 'gzip_types application/atom+xml application/xml;');
$gz->start;
my $gz_plain = $gz->get('/posts/one')->{body};
is $gz->get('/posts/one')->{headers}{vary}, 'Accept-Encoding',
    'gzip_vary on: one Vary on identity';
for my $coding ('gzip', 'br') {
    for my $path ('/posts/one', '/feed.xml') {
        $r = $gz->get($path, 'Accept-Encoding' => $coding);
        is $r->{headers}{'content-encoding'}, $coding, "gzip on, $path: $coding";
        is $r->{headers}{vary}, 'Accept-Encoding', "gzip on, $path: $coding: one Vary";
        like $r->{headers}{etag}, qr/^"\w+-(gz|br)\d+"$/, "gzip on, $path: $coding: the module's strong ETag";
    }
}
$r = $gz->get('/posts/one', 'Accept-Encoding' => 'gzip');
is ungzip($r->{body}), $gz_plain, 'gzip on: one gunzip gives the page, not another gzip stream';
$gz->stop;

# --- levels, and pages sent once compressed at the fastest ---

my $lv = new_site(posts => \%posts, location => 'blog_gzip_level 1; blog_brotli_quality 11;');
$lv->start;
my $lv_plain = $lv->get('/posts/one')->{body};
$r = $lv->get('/posts/one', 'Accept-Encoding' => 'gzip');
like $r->{headers}{etag}, qr/-gz1"$/, 'blog_gzip_level 1';
is ungzip($r->{body}), $lv_plain, 'gzip level 1 decodes';
$r = $lv->get('/posts/one', 'Accept-Encoding' => 'br');
like $r->{headers}{etag}, qr/-br11"$/, 'blog_brotli_quality 11';
is unbrotli($r->{body}), $lv_plain, 'brotli quality 11 decodes';
$lv->stop;

my $once = new_site(posts => \%posts, location => 'blog_cache off;');
$once->start;
my $once_plain = $once->get('/posts/one')->{body};
$r = $once->get('/posts/one', 'Accept-Encoding' => 'br');
is $r->{headers}{'x-blog-cache'}, 'BYPASS', 'cache off';
like $r->{headers}{etag}, qr/-br0"$/, 'cache off: brotli at quality 0';
is unbrotli($r->{body}), $once_plain, 'cache off: brotli decodes';
$r = $once->get('/posts/one', 'Accept-Encoding' => 'gzip');
like $r->{headers}{etag}, qr/-gz0"$/, 'cache off: gzip by igzip at its level 0 (the page\'s parts seen once)';
is ungzip($r->{body}), $once_plain, 'cache off: gzip decodes';
ok length($r->{body}) < length($once_plain) / 2, 'cache off: gzip at least halves the page';
# a page sent once goes in the cheaper coding, a cached one in the smaller
$r = $once->get('/posts/one', 'Accept-Encoding' => 'gzip, deflate, br');
is $r->{headers}{'content-encoding'}, 'gzip', 'cache off, as a browser asks: gzip, not brotli';
like $r->{headers}{etag}, qr/-gzp1"$/, '... its ETag: joined from parts kept (t/15-compress-parts.t)';
is ungzip($r->{body}), $once_plain, '... and it decodes';
is $r->{headers}{vary}, 'Accept-Encoding', '... with Vary';
$once->stop;

# --- the cache's budget counts the compressed bodies ---
# Two pages fit; one of them made in brotli as well does not leave room
# for the other.

my $probe = new_site(posts => \%posts);
$probe->start;
my %len;
for my $slug ('one', 'two') {
    $len{$slug} = length $probe->get("/posts/$slug")->{body};
}
my $br_one = length $probe->get('/posts/one', 'Accept-Encoding' => 'br')->{body};
$probe->stop;

# a page costs its bytes, its key ("localhost posts/one") and 256
my $cost = $len{one} + $len{two} + 2 * (length('localhost posts/one') + 256);
my $budget = new_site(posts => \%posts, location => 'blog_cache_size ' . ($cost + int($br_one / 2)) . ';');
$budget->start;
$budget->get($_) for '/posts/one', '/posts/two';
is $budget->get('/posts/one')->{headers}{'x-blog-cache'}, 'HIT', 'budget: one cached';
is $budget->get('/posts/two')->{headers}{'x-blog-cache'}, 'HIT', 'budget: two cached';
$r = $budget->get('/posts/one', 'Accept-Encoding' => 'br');
is $r->{headers}{'x-blog-cache'}, 'HIT', 'budget: brotli made from the cached page';
is $budget->get('/posts/two')->{headers}{'x-blog-cache'}, 'MISS',
    'budget: the brotli body pushed the least recent page out';
is $budget->get('/posts/one', 'Accept-Encoding' => 'gzip, br')->{body}, $r->{body},
    'budget: the page kept its brotli body';
$budget->stop;

# --- bad levels are refused by nginx -t with file and line ---

my $conf_file = $probe->dir . '/conf/nginx.conf';
for my $bad (['blog_gzip_level 10;', qr/must be between 1 and 9/],
             ['blog_brotli_quality 12;', qr/must be between 0 and 11/],
             ['blog_compress maybe;', qr/invalid value "maybe"/]) {
    local $probe->{location} = $bad->[0];
    $probe->write_conf;
    my ($rc, $out) = $probe->nginx('-t');
    isnt $rc, 0, "nginx -t refuses $bad->[0]";
    like $out, $bad->[1], "$bad->[0]: the reason";
    like $out, qr/\Q$conf_file\E:\d+/, "$bad->[0]: file and line";
}

done_testing;
