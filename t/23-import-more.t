#!/usr/bin/perl
# blogctl import jekyll DIR and import ghost FILE.json, and the authors of
# every importer: Jekyll's own news site (t/data/jekyll/, MIT) and a Ghost
# export of Ghost's migration tools (t/data/ghost/, MIT) imported, served
# with their slugs, dates, statuses, tags and authors; their old
# permalinks answered by nginx with a 301; a second run changes nothing
# (rows and PRAGMA data_version); malformed input names the file and the
# line or element and imports nothing.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::Local qw(timegm);
use BlogTest;

my $jekyll = "$FindBin::Bin/data/jekyll";
my $ghost = "$FindBin::Bin/data/ghost/ghost.json";

# What the Jekyll posts hold, read apart from blogctl
my @posts;
opendir my $dh, "$jekyll/_posts" or die $!;
for my $name (sort grep { /^\d{4}-\d\d-\d\d-.*\.(md|markdown)$/ } readdir $dh) {
    my $text = read_file("$jekyll/_posts/$name");
    my ($fm) = $text =~ /\A---\n(.*?)\n---\n/s or die "no front matter in $name";
    my %p = (file => $name);
    ($p{title}) = $fm =~ /^title:\s*["']?(.*?)["']?\s*$/m;
    ($p{author}) = $fm =~ /^author:\s*(\S+)/m;
    ($p{date}) = $fm =~ /^date:\s*["']?(\d{4}-\d\d-\d\d)/m;
    ($p{day}, $p{name}) = $name =~ /^(\d{4}-\d\d-\d\d)-(.*)\.\w+$/;
    $p{date} //= $p{day};
    ($p{slug} = lc $p{name}) =~ s/[^a-z0-9]+/-/g;
    push @posts, \%p;
}
closedir $dh;
is scalar(@posts), 102, '102 posts in Jekyll\'s news';

my $site = new_site();
my $db = $site->db;
$site->start;
my $port = $site->port;

my ($rc, $out) = blogctl('-d', $db, 'import', 'jekyll', $jekyll);
is $rc, 0, 'the Jekyll site imports' or diag $out;
like $out, qr/^imported 105 new, 0 updated, 0 unchanged, 1 skipped$/m,
    '102 posts and 3 pages, reported';
like $out, qr{^skipped \S+/jekyll/README\.md: no front matter: a static file, not a post or page$}m,
    'a file without front matter skipped (Jekyll copies it as it is), saying why';
is sql($db, "SELECT count(*) FROM posts WHERE type = 'post' AND status = 'published'"),
    102, 'every post published';
is sql($db, "SELECT count(*) FROM posts WHERE type = 'page'"), 3, 'the 3 pages';

my ($slugs, $dates, $authors, $redirects) = (0, 0, 0, 0);
for my $p (@posts) {
    my $row = sql($db, "SELECT published_at || '|' || author FROM posts WHERE slug = '$p->{slug}'");
    next if $row eq '';
    $slugs++;
    my ($t, $author) = split /\|/, $row, 2;
    my @g = gmtime($t);
    # the written date, in its own zone: the day may be the one after in UTC
    my $day = sprintf('%04d-%02d-%02d', $g[5] + 1900, $g[4] + 1, $g[3]);
    my ($y, $m, $d) = split /-/, $p->{date};
    $dates++ if abs($t - timegm(0, 0, 12, $d, $m - 1, $y)) <= 36 * 3600;
    $authors++ if $author eq ($p->{author} // '');
}
is $slugs, 102, 'each post at the slug of its file name (a "." made a "-")';
is $dates, 102, '... dated as its front matter or its file name says';
is $authors, 102, '... with its author';

my ($one) = grep { $_->{file} eq '2013-05-06-jekyll-1-0-0-released.markdown' } @posts;
my $r = $site->get('/posts/jekyll-1-0-0-released');
is $r->{status}, 200, 'a post served at its slug';
like $r->{body}, qr/Jekyll 1\.0\.0 Released/, '... its title';
like $r->{body}, qr/May (5|6), 2013/, '... its date';
like $r->{body}, qr{<span class="author">parkr</span>}, '... its author on the page';
like $r->{body}, qr{href="/tags/release"}, '... its category as a tag';

# the site's permalink, collections.posts.permalink in _config.yml
for ([ '/news/2013/05/06/jekyll-1-0-0-released/', '/posts/jekyll-1-0-0-released' ],
     [ '/news/2022/12/21/jekyll-sass-converter-3.0-released/',
       '/posts/jekyll-sass-converter-3-0-released' ],
     [ '/news/2023/01/29/jekyll-3-9-3-released/', '/posts/jekyll-3-9-3-released' ],
     [ '/philosophy/', '/philosophy' ],
     [ '/docs/resources/', '/resources' ],
     [ '/news/2019/07/20/jekyll-4-0-0-pre-beta1-released/',
       '/posts/jekyll-4-0-0-pre-beta1-released' ])
{
    my ($from, $to) = @$_;
    $r = $site->get($from);
    is "$r->{status} " . ($r->{headers}{location} // ''),
        "301 http://localhost:$port$to", "$from: 301 to $to";
}
is sql($db, "SELECT count(DISTINCT post_id) FROM redirects WHERE from_path LIKE '/news/%'"),
    102, 'each post\'s Jekyll URL is a redirect';

$r = $site->get('/team');
is $r->{status}, 200, 'a page with a permalink, at its slug';
like $r->{body}, qr/Core Team/, '... its Markdown rendered';

# {% highlight %} became a fenced block: highlighted code
my ($hl) = grep { read_file("$jekyll/_posts/$_->{file}") =~ /\{% highlight/ } @posts;
SKIP: {
    skip 'no {% highlight %} in the posts', 1 unless $hl;
    unlike sql($db, "SELECT body_html FROM posts WHERE slug = '$hl->{slug}'"),
        qr/\{% (end)?highlight/, "$hl->{file}: {% highlight %} is a code block";
}

# again: nothing changes, not a row, not the file
my $snapshot = sub {
    my ($file) = @_;
    return join "\n", sql($file, 'SELECT id, slug, updated_at, status, author FROM posts ORDER BY id'),
        sql($file, 'SELECT count(*) FROM revisions'),
        sql($file, 'SELECT id, from_path, post_id, to_url, updated_at FROM redirects ORDER BY id'),
        sql($file, 'SELECT post_id, tag_id FROM post_tags ORDER BY 1, 2');
};
my $before = $snapshot->($db);
my $version = data_version_watcher($db);
my $vbefore = $version->();
($rc, $out) = blogctl('-d', $db, 'import', 'jekyll', $jekyll);
is $rc, 0, 'imported again';
like $out, qr/^imported 0 new, 0 updated, 105 unchanged, 1 skipped$/m, '... all unchanged';
is $snapshot->($db), $before, '... and no row changed';
is $version->(), $vbefore, '... and PRAGMA data_version did not move';

# malformed YAML: the file and line, nothing imported
my $copy = $site->dir . '/jekyll';
system('cp', '-r', $jekyll, $copy) == 0 or die;
my $victim = "$copy/_posts/2013-05-06-jekyll-1-0-0-released.markdown";
my $text = read_file($victim);
$text =~ s/^author: parkr$/author: [parkr/m or die;
$text =~ s/^title: "Jekyll 1.0.0 Released"$/title: "Jekyll 1.0.0 Rereleased"/m or die;
write_file($victim, $text);
my $fresh = new_site();
($rc, $out) = blogctl('-d', $fresh->db, 'import', 'jekyll', $copy);
isnt $rc, 0, 'bad YAML: refused';
like $out, qr{2013-05-06-jekyll-1-0-0-released\.markdown:[3-6]: YAML: },
    '... naming the file and line';
like $out, qr/errors found, nothing imported/, '... saying nothing was imported';
is sql($fresh->db, 'SELECT count(*) FROM posts'), 0, '... and nothing was';

# -- Ghost
my $g = new_site();
$g->start;
my $gport = $g->port;
($rc, $out) = blogctl('-d', $g->db, 'import', 'ghost', $ghost);
is $rc, 0, 'the Ghost export imports' or diag $out;
like $out, qr/^imported 3 new, 0 updated, 0 unchanged$/m, '3 posts, reported';

is sql($g->db, "SELECT slug || '|' || status || '|' || published_at || '|' || author"
               . " FROM posts ORDER BY slug"),
    "post-1|published|1735689600|Alice Johnson\n"
         . "post-2|published|1735776000|Bob Smith\n"
         . "post-3-lexical|published|1735862400|",
    'slugs, statuses, published_at and authors (posts_authors -> users)';
is sql($g->db, "SELECT p.slug || ':' || t.name FROM post_tags pt JOIN posts p ON p.id = pt.post_id"
               . " JOIN tags t ON t.id = pt.tag_id ORDER BY 1"),
    "post-1:News\npost-2:Technology", 'tags (posts_tags -> tags)';

$r = $g->get('/posts/post-1');
is $r->{status}, 200, 'a Ghost post at its slug';
like $r->{body}, qr{<img src="https://example\.com/images/feature-1\.jpg"}, '... its feature image';
like $r->{body}, qr{<p>Hello world</p>\s*<p><img src="https://example\.com/images/photo-1\.jpg"},
    '... its HTML body as Markdown, rendered';
like $r->{body}, qr{<span class="author">Alice Johnson</span>}, '... its author';
like $g->get('/posts/post-3-lexical')->{body},
    qr{<img src="https://example\.com/images/lexical-image\.jpg"},
    'a Lexical body: its image card';

for ([ '/post-1/', '/posts/post-1' ], [ '/post-3-lexical/', '/posts/post-3-lexical' ],
     [ '/tag/news/', '/tags/news' ])
{
    my ($from, $to) = @$_;
    $r = $g->get($from);
    is "$r->{status} " . ($r->{headers}{location} // ''),
        "301 http://localhost:$gport$to", "Ghost's $from: 301 to $to";
}

$before = $snapshot->($g->db);
$version = data_version_watcher($g->db);
$vbefore = $version->();
($rc, $out) = blogctl('-d', $g->db, 'import', 'ghost', $ghost);
like $out, qr/^imported 0 new, 0 updated, 3 unchanged$/m, 'Ghost again: all unchanged';
is $snapshot->($g->db), $before, '... no row changed';
is $version->(), $vbefore, '... nor PRAGMA data_version';

# a truncated export: its line, nothing imported
my $json = read_file($ghost);
write_file($g->dir . '/cut.json', substr($json, 0, int(length($json) / 2)));
$fresh = new_site();
($rc, $out) = blogctl('-d', $fresh->db, 'import', 'ghost', $g->dir . '/cut.json');
isnt $rc, 0, 'a truncated export: refused';
like $out, qr{cut\.json:\d+: not a Ghost export: }, '... naming the file and line';
is sql($fresh->db, 'SELECT count(*) FROM posts'), 0, '... nothing imported';

# a post that cannot be read: the element, nothing imported
(my $bad = $json) =~ s/"published_at": "2025-01-02T00:00:00.000Z"/"published_at": "2025-02-30T00:00:00.000Z"/
    or die;
write_file($g->dir . '/bad.json', $bad);
($rc, $out) = blogctl('-d', $fresh->db, 'import', 'ghost', $g->dir . '/bad.json');
isnt $rc, 0, 'an impossible date: refused';
like $out, qr{bad\.json: posts\[1\] \(slug "post-2"\): published_at: invalid date},
    '... naming the file and the element';
is sql($fresh->db, 'SELECT count(*) FROM posts'), 0, '... nothing imported';

# a post for members (or paid) was not for every reader: a draft
(my $paid = $json) =~ s/("slug": "post-2",.*?"visibility": )"public"/$1"paid"/s or die;
write_file($g->dir . '/paid.json', $paid);
my $p = new_site();
($rc, $out) = blogctl('-d', $p->db, 'import', 'ghost', $g->dir . '/paid.json');
like $out, qr{^note \S+paid\.json: posts\[1\] \(slug "post-2"\): visibility "paid": imported as a draft$}m,
    'a paid post: said';
is sql($p->db, "SELECT status FROM posts WHERE slug = 'post-2'"), 'draft', '... and a draft';

# Mobiledoc (Ghost 1 to 4): the documents of Ghost's Admin API docs (a
# paragraph; a Markdown card), one with a heading, a list and markups,
# and one with a card not understood here, which takes Ghost's "html"
my $mob = sub {
    my ($id, $slug, $doc, $html) = @_;
    $doc =~ s/(["\\])/\\$1/g;
    return qq({"id": "$id", "title": "M $slug", "slug": "$slug", "mobiledoc": "$doc",)
         . qq( "html": ) . (defined $html ? qq("$html") : 'null')
         . qq(, "status": "published", "type": "post", "published_at": "2019-03-05T19:30:15.000Z"});
};
my $export = '{"db": [{"meta": {"version": "4.1.0"}, "data": {"posts": ['
    . join(', ',
        $mob->('m1', 'welcome', q({"version":"0.3.1","atoms":[],"cards":[],"markups":[],"sections":[[1,"p",[[0,[],0,"You're live, nice!"]]]]})),
        $mob->('m2', 'plop', q({"version":"0.3.1","markups":[],"atoms":[],"cards":[["card-markdown",{"cardName":"card-markdown","markdown":"plol *em*"}]],"sections":[[10,0]]})),
        $mob->('m3', 'marked', q({"version":"0.3.1","atoms":[["soft-return","",{}]],"cards":[["hr",{}]],"markups":[["strong"],["a",["href","https://ghost.org/"]]],"sections":[[1,"h2",[[0,[],0,"Title"]]],[3,"ul",[[[0,[0],1,"bold"]],[[0,[1],1,"link"],[1,[],0,0],[0,[],0,"next"]]]],[10,0],[1,"aside",[[0,[],0,"Aside"]]]]})),
        $mob->('m4', 'gallery', q({"version":"0.3.1","atoms":[],"cards":[["gallery",{"images":[]}]],"markups":[],"sections":[[1,"p",[[0,[],0,"Mobiledoc text"]]],[10,0]]}),
               '<p>Ghost rendered this</p>'))
    . '], "tags": [], "users": []}}]}';
write_file($g->dir . '/mobiledoc.json', $export);
my $m = new_site();
$m->start;
($rc, $out) = blogctl('-d', $m->db, 'import', 'ghost', $g->dir . '/mobiledoc.json');
is $rc, 0, 'Mobiledoc posts import' or diag $out;
like $m->get('/posts/welcome')->{body}, qr{<p>You’re live, nice!</p>}, 'a Mobiledoc paragraph';
like $m->get('/posts/plop')->{body}, qr{<p>plol <em>em</em></p>}, 'a Markdown card';
$r = $m->get('/posts/marked');
like $r->{body}, qr{<h2[^>]*>Title\b}, 'a heading section';
like $r->{body}, qr{<li><strong>bold</strong></li>\s*<li><a href="https://ghost\.org/">link</a><br />\s*next</li>},
    'a list section, its markups and a soft return';
like $r->{body}, qr{<hr />\s*<blockquote>\s*<p>Aside</p>}, 'a divider card, an aside as a quote';
like $out, qr{^note \S+mobiledoc\.json: posts\[3\] \(slug "gallery"\): the gallery card is not understood here: Ghost's HTML of the post is imported instead$}m,
    'a card not understood: reported';
like $m->get('/posts/gallery')->{body}, qr{<p>Ghost rendered this</p>}, '... and Ghost\'s HTML imported';

# Ghost 0.x: Markdown, numeric ids, one author_id, milliseconds (the post
# of Ghost's own import fixture, test/utils/fixtures/import/import-data-1.json)
write_file($g->dir . '/ghost0.json', '{"db": [{"meta": {"version": "000"}, "data": {"posts": [{"id": 1,'
    . ' "title": "Welcome to Ghost", "slug": "welcome-to-ghost", "markdown": "You\'re live! Nice.",'
    . ' "html": "<p>You\'re live! Nice.</p>", "status": "published", "page": 0, "author_id": 1,'
    . ' "published_at": 1388318310783}], "users": [{"id": 1, "name": "test user"}],'
    . ' "tags": [{"id": 1, "name": "Getting Started"}], "posts_tags": [{"id": 1, "post_id": 1, "tag_id": 1}]}}]}');
($rc, $out) = blogctl('-d', $m->db, 'import', 'ghost', $g->dir . '/ghost0.json');
is $rc, 0, 'a Ghost 0.x export' or diag $out;
is sql($m->db, "SELECT author || '|' || published_at || '|' || body_md FROM posts WHERE slug = 'welcome-to-ghost'"),
    "test user|1388318310|You're live! Nice.", '... its author_id, milliseconds and Markdown';

# -- WordPress's authors: dc:creator, by the display name of wp:author
my $w = new_site();
($rc, $out) = blogctl('-d', $w->db, 'import', "$FindBin::Bin/data/wordpress/theme-unit-test-data.xml");
is $rc, 0, 'the WordPress export imports' or diag $out;
is sql($w->db, "SELECT author FROM posts WHERE slug = 'edge-case-many-tags'"), 'Theme Buster',
    'a WordPress post\'s author: the display name of its dc:creator';

# -- --uploads DIR: the images an export links to, copied into the media
# as uploads are (by content, an "uploads" row and a "thumb" job), links
# rewritten; missing ones reported, not fatal; nothing out of DIR
my $png = read_file("$BlogTest::ROOT/conf/demo/media/alps-sunset.png");
my $png2 = read_file("$BlogTest::ROOT/conf/demo/media/latency.png");
my $media_of = sub {
    my ($s) = @_;
    return sql($s->db, 'SELECT path FROM uploads ORDER BY path');
};

# WordPress.com's uploads: https://SITE.files.wordpress.com/YYYY/MM/NAME
my $up = $w->dir . '/uploads';
system('mkdir', '-p', "$up/2008/06", "$up/2013/03") == 0 or die;
write_file("$up/2008/06/dsc04563.jpg", $png);
write_file("$up/2013/03/image-alignment-300x200.jpg", $png2);
symlink('/etc/passwd', "$up/2013/03/image-alignment-150x150.jpg") or die;
$w->start;
($rc, $out) = blogctl('-d', $w->db, 'import', "$FindBin::Bin/data/wordpress/theme-unit-test-data.xml",
                      '--uploads', $up);
is $rc, 0, 'WordPress with --uploads: imported, though files are missing' or diag $out;
like $out, qr/^media: 2 images, \d+ missing, 1 refused$/m, '... the media reported';
like $out, qr{^missing \S+theme-unit-test-data\.xml:\d+: https://wpthemetestdata\.files\.wordpress\.com/2008/06/img_0767\.jpg: no file \S+/2008/06/img_0767\.jpg$}m,
    '... a missing file named, with the item\'s line';
like $out, qr{^refused \S+: https://wpthemetestdata\.files\.wordpress\.com/2013/03/image-alignment-150x150\.jpg: leaves the uploads folder$}m,
    '... a symbolic link out of the folder refused';
my @paths = split /\n/, $media_of->($w);
is scalar(@paths), 2, '... two uploads recorded';
is sql($w->db, "SELECT count(*) FROM job_outbox WHERE kind = 'thumb'"), 2,
    '... each with its thumb job';
my ($stored) = grep { -f $w->media . "/$_" } @paths;
is scalar(grep { -f $w->media . "/$_" } @paths), 2, '... stored in the media folder';
like sql($w->db, "SELECT body_md FROM posts WHERE slug = 'markup-image-alignment'"),
    qr{\(/media/[0-9a-f]{2}/[0-9a-f]{64}\.png\)}, '... the links rewritten';
$r = $w->get("/media/$stored");
is "$r->{status} " . length($r->{body} // ''), '200 ' . (-s $w->media . "/$stored"),
    '... and served by nginx';
$r = $w->get('/posts/markup-image-alignment');
like $r->{body}, qr{<img src="/media/[0-9a-f]{2}/[0-9a-f]{64}\.png"}, '... the page shows them';

# the jobrunner makes their thumbnails, as an upload's
$w->start_jobrunner("threadpool_size = 1\nthumb_widths = 160\n");
ok wait_for(sub {
    sql($w->db, "SELECT count(DISTINCT m.path) FROM media_variants v JOIN media m"
                . " ON m.id = v.media_id WHERE m.path IN ('" . join("', '", @paths) . "')") == 2
}, 60), '... and the jobrunner made their thumbnails' or diag $w->jobrunner_log;
$w->stop_jobrunner;

$before = $snapshot->($w->db);
$version = data_version_watcher($w->db);
$vbefore = $version->();
($rc, $out) = blogctl('-d', $w->db, 'import', "$FindBin::Bin/data/wordpress/theme-unit-test-data.xml",
                      '--uploads', $up);
like $out, qr/^imported 0 new, 0 updated, \d+ unchanged/m, 'again with --uploads: unchanged';
is $snapshot->($w->db) . $media_of->($w), $before . join("\n", @paths), '... no row changed';
is $version->(), $vbefore, '... nor PRAGMA data_version';

# Jekyll: /img/NAME.png from the site's root; a ".." refused
my $jsite = $g->dir . '/jsite';
system('cp', '-r', $jekyll, $jsite) == 0 or die;
mkdir "$jsite/img" or die;
write_file("$jsite/img/jekyll-sticker.png", $png);
my $sneaky = "$jsite/_posts/2013-05-06-jekyll-1-0-0-released.markdown";
write_file($sneaky, read_file($sneaky) . "\n![x](/img/../../../etc/hostname.png)\n");
my $js = new_site();
$js->start;
($rc, $out) = blogctl('-d', $js->db, 'import', 'jekyll', $jsite, '--uploads', $jsite);
is $rc, 0, 'Jekyll with --uploads' or diag $out;
like $out, qr/^media: 1 images, 0 missing, 1 refused$/m, '... reported';
like $out, qr{^refused \S+2013-05-06-jekyll-1-0-0-released\.markdown: /img/\.\./\.\./\.\./etc/hostname\.png: leaves the uploads folder$}m,
    '... a path with ".." refused, naming the file';
$r = $js->get('/posts/jekyll-stickers-1-dollar-stickermule');
like $r->{body}, qr{<img src="/media/[0-9a-f]{2}/[0-9a-f]{64}\.png"}, '... its image link rewritten';

# Ghost 5 links its images as __GHOST_URL__/content/images/...
(my $gjson = $json) =~ s{https://example\.com/images/}{__GHOST_URL__/content/images/}g;
write_file($g->dir . '/ghost-images.json', $gjson);
my $gup = $g->dir . '/content-images';
mkdir $gup or die;
write_file("$gup/photo-1.jpg", $png);
write_file("$gup/lexical-image.jpg", $png2);
my $gs = new_site();
$gs->start;
($rc, $out) = blogctl('-d', $gs->db, 'import', 'ghost', $g->dir . '/ghost-images.json',
                      '--uploads', $gup);
is $rc, 0, 'Ghost with --uploads' or diag $out;
like $out, qr/^media: 2 images, 3 missing, 0 refused$/m, '... 2 found, the feature images missing';
like $gs->get('/posts/post-1')->{body}, qr{<p>Hello world</p>\s*<p><img src="/media/[0-9a-f]{2}/[0-9a-f]{64}\.png"},
    '... an image of its HTML';
like $gs->get('/posts/post-3-lexical')->{body}, qr{<img src="/media/[0-9a-f]{2}/[0-9a-f]{64}\.png"},
    '... of a Lexical image card';

# Hugo: a page bundle's images, beside its index.md
my $hc = $gs->dir . '/hugo';
system('cp', '-r', "$FindBin::Bin/data/hugo/content", $hc) == 0 or die;
mkdir "$hc/post/trip" or die;
write_file("$hc/post/trip/index.md", "---\ntitle: Trip\ndate: 2024-05-01\n---\n![Sunset](sunset.png)\n");
write_file("$hc/post/trip/sunset.png", $png);
($rc, $out) = blogctl('-d', $gs->db, 'import', 'hugo', $hc, '--uploads', $gs->dir);
is $rc, 0, 'Hugo with --uploads' or diag $out;
like $out, qr/^media: 1 images, 0 missing, 0 refused$/m, '... a bundle\'s image found';
like $gs->get('/posts/trip')->{body}, qr{<img src="/media/[0-9a-f]{2}/[0-9a-f]{64}\.png" alt="Sunset"},
    '... and its link rewritten';

done_testing;
