#!/usr/bin/perl
# blogctl import of a WordPress export (WXR): the WordPress importer's own
# test data (t/data/wordpress/, GPL-2.0 like its source, see LICENSE
# there), imported, then served with the right slugs, dates and tags; old
# permalinks redirect; a second run changes nothing; a malformed file
# names its line and imports nothing.  Then a Hugo content folder, Hugo's
# own example site (t/data/hugo/, MIT), the same way.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::Local qw(timegm);
use BlogTest;

my $data = "$FindBin::Bin/data/wordpress";
my $wxr = "$data/theme-unit-test-data.xml";

# What the export holds, read apart from blogctl: its items' fields
sub items_of {
    my ($file) = @_;
    my $xml = read_file($file);
    my @items;
    while ($xml =~ m{<item>(.*?)</item>}gs) {
        my $item = $1;
        my %f;
        for my $k (qw(post_type status post_name post_date_gmt post_id)) {
            ($f{$k}) = $item =~ m{<wp:$k>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</wp:$k>}s;
            $f{$k} //= '';
        }
        ($f{title}) = $item =~ m{<title>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</title>}s;
        ($f{link}) = $item =~ m{<link>\s*(.*?)\s*</link>}s;
        $f{categories} = [ $item =~ m{<category domain="(?:category|post_tag)"[^>]*>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</category>}g ];
        push @items, \%f;
    }
    return @items;
}

my @items = items_of($wxr);
my @published = grep { $_->{post_type} =~ /^(post|page)$/
                       && $_->{status} eq 'publish' } @items;
my @others = grep { $_->{post_type} !~ /^(post|page)$/ } @items;
ok @published > 50, scalar(@published) . ' published posts and pages in the export';

my $site = new_site();
my $db = $site->db;
$site->start;

my ($rc, $out) = blogctl('-d', $db, 'import', $wxr);
is $rc, 0, 'the export imports' or diag $out;
like $out, qr/^imported (\d+) new, 0 updated, 0 unchanged, (\d+) skipped$/m,
    'the report counts what was imported and skipped';
my ($new, $skipped) = $out =~ /imported (\d+) new.*?(\d+) skipped/;
is $skipped, scalar(@items) - $new, 'every item is imported or skipped';
my $attachments = () = $out =~ /^skipped \S+:\d+: attachment, not a post or page$/mg;
is $attachments, scalar(grep { $_->{post_type} eq 'attachment' } @items),
    'each attachment is skipped, with its line and why';

is sql($db, "SELECT count(*) FROM posts WHERE status = 'published'"),
    scalar(@published), 'every published item is published, no more';

# each published item: its slug, its date, its type
# (a post_name that is no slug here, percent-encoded Greek, is given one
# made of the title, and its old URL leads to it)
my @renamed = grep { $_->{post_name} !~ /^[a-z0-9][a-z0-9-]*$/ } @published;
my ($slugs_ok, $dates_ok, $types_ok) = (0, 0, 0);
for my $it (@published) {
    my ($y, $mo, $d, $h, $mi, $s) = $it->{post_date_gmt} =~ /(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)/;
    my $where = "slug = '$it->{post_name}'";
    if (grep { $_ == $it } @renamed) {
        (my $path = $it->{link}) =~ s{^https?://[^/]+}{};
        my $r = $site->get($path);
        my ($slug) = ($r->{headers}{location} // '') =~ m{/([a-z0-9-]+)$};
        $where = "slug = '" . ($slug // '') . "'";
    }
    my $row = sql($db, "SELECT type || '|' || published_at FROM posts WHERE $where");
    $slugs_ok++ if $row ne '';
    $types_ok++ if $row =~ /^\Q$it->{post_type}\E\|/;
    $dates_ok++ if $row =~ /\|(\d+)$/ && $1 == timegm($s, $mi, $h, $d, $mo - 1, $y);
}
is scalar(@renamed), 2, 'two have a post_name that is no slug here';
is $slugs_ok, scalar(@published),
    'each keeps its slug, or its old URL leads to the one it was given';
is $types_ok, scalar(@published), '... its type (post or page)';
is $dates_ok, scalar(@published), '... and its date (wp:post_date_gmt)';

# the scheduled and the draft ones are drafts: not shown
is sql($db, "SELECT status FROM posts WHERE slug = 'scheduled'"), 'draft',
    'a scheduled (future) post is a draft';
is $site->get('/posts/scheduled')->{status}, 404, '... not on the site';
is sql($db, "SELECT count(*) FROM posts WHERE title = 'Draft' AND status = 'draft'"), 1,
    'a draft without a post_name gets a slug of its title, and stays a draft';

# pages served with their slug, title, date and tags
my ($many) = grep { $_->{post_name} eq 'edge-case-many-tags' } @published;
my $r = $site->get('/posts/edge-case-many-tags');
is $r->{status}, 200, 'a post served at its WordPress slug';
like $r->{body}, qr/Edge Case: Many Tags/, '... with its title';
like $r->{body}, qr/June 1, 2009/, '... and its date';
my %distinct = map { (my $k = lc $_) =~ s/[^a-z0-9]+/-/g; $k =~ s/^-|-$//g; ($k => 1) }
               @{ $many->{categories} };
is sql($db, "SELECT count(*) FROM post_tags pt JOIN posts p ON p.id = pt.post_id"
            . " WHERE p.slug = 'edge-case-many-tags'"),
    scalar(keys %distinct), 'its categories and tags, as tags';
like $r->{body}, qr{href="/tags/codex"}, '... linked from the post';
is $site->get('/tags/codex')->{status}, 200, 'a tag page lists it';
like $site->get('/tags/codex')->{body}, qr/Edge Case: Many Tags/, '... by title';

# the search finds an imported post by a tag ("Mothership" is in no text,
# only in the post's tags): its tags were indexed with it
$r = $site->get('/search?q=mothership');
like $r->{body}, qr{<p class="result-count">1 result for}, 'a tag is searched';
like $r->{body}, qr{<a href="/posts/edge-case-many-tags">},
    '... and finds the imported post that has it';

# a tag the export spells "Markup" and "markup": one tag, whose page lists
# its posts newest first
my @markup = map { $_->{post_name} }
             sort { $b->{post_date_gmt} cmp $a->{post_date_gmt} }
             grep { $_->{post_type} eq 'post'
                    && grep { lc eq 'markup' } @{ $_->{categories} } }
             @published;
is sql($db, "SELECT count(*) FROM tags WHERE slug = 'markup'"), 1,
    'a tag spelled two ways is one tag';
my %is_markup = map { $_ => 1 } @markup;
my %seen;
my @listed = grep { $is_markup{$_} && !$seen{$_}++ }
             $site->get('/tags/markup')->{body} =~ m{href="/posts/([a-z0-9-]+)"}g;
is "@listed", "@markup", "its page lists its @{[ scalar @markup ]} posts, newest first";

$r = $site->get('/posts/markup-html-tags-and-formatting');
is $r->{status}, 200, 'the markup test post';
like $r->{body}, qr{<h2[^>]*>Blockquotes\b}, 'its HTML headings are headings';
like $r->{body}, qr{<blockquote>\s*<p>Stay hungry\. Stay foolish\.</p>\s*</blockquote>},
    'its quotes are quotes';
like $r->{body}, qr{<strong>HTML <code>&lt;blockquote&gt;</code> Element</strong>},
    'emphasis and code inside them';
unlike $r->{body}, qr{<script>|\\\*}, 'no script, no stray escapes';

$r = $site->get('/level-3');
is $r->{status}, 200, 'a page at its slug';

# old permalinks: the item's link, WordPress's /YYYY/MM/DD/slug/
for my $old ('/2009/06/01/edge-case-many-tags/', '/2009/06/01/edge-case-many-tags',
             '/2013/01/11/markup-html-tags-and-formatting/')
{
    (my $slug = $old) =~ s{.*/(\S+?)/?$}{$1};
    $r = $site->get($old);
    is "$r->{status} " . ($r->{headers}{location} // ''),
        "301 http://localhost:" . $site->port . "/posts/$slug", "$old: 301";
}
$r = $site->get('/level-1/level-2/level-3/');
is "$r->{status} " . ($r->{headers}{location} // ''),
    "301 http://localhost:" . $site->port . "/level-3",
    'a child page\'s old path: 301 to the page';

# a second run changes nothing
my $snapshot = sub {
    return join "\n", sql($db, "SELECT id, slug, updated_at, status FROM posts ORDER BY id"),
        sql($db, 'SELECT count(*) FROM revisions'),
        sql($db, 'SELECT id, from_path, post_id, updated_at FROM redirects ORDER BY id'),
        sql($db, 'SELECT post_id, tag_id FROM post_tags ORDER BY 1, 2');
};
my $before = $snapshot->();
($rc, $out) = blogctl('-d', $db, 'import', $wxr);
is $rc, 0, 'imported again';
like $out, qr/^imported 0 new, 0 updated, $new unchanged, $skipped skipped$/m,
    '... all unchanged';
is $snapshot->(), $before, '... and no row changed';

# WordPress's default permalinks, /?p=N, on the index
($rc, $out) = blogctl('-d', $db, 'import', "$data/wxr-simple.xml");
is $rc, 0, 'an export with /?p=N links' or diag $out;
$r = $site->get('/path/?p=1');
is $r->{status}, 404, '/path/?p=1 is not the index here';
is sql($db, "SELECT from_path FROM redirects r JOIN posts p ON p.id = r.post_id"
            . " WHERE p.slug = 'hello-world' AND from_path LIKE '%?%'"),
    '/path?p=1', 'its link is kept as an alias with its query';
sql($db, "UPDATE redirects SET from_path = '/?p=1' WHERE from_path = '/path?p=1'");
$r = $site->get('/?p=1');
is "$r->{status} " . ($r->{headers}{location} // ''),
    "301 http://localhost:" . $site->port . "/posts/hello-world",
    'the blog at the old site\'s root: /?p=1 leads to the post';

# WXR 1.1, and UTF-8 that tries to fool readers
my $other = new_site();
$other->start;
($rc, $out) = blogctl('-d', $other->db, 'import', "$data/valid-wxr-1.1.xml");
is $rc, 0, 'a WXR 1.1 export' or diag $out;
like $other->get('/posts/hello-world')->{body}, qr/Hello world!/,
    'its post at its slug';
like $other->get('/about')->{body}, qr/This is an example of a WordPress page/,
    'its page at its slug';
($rc, $out) = blogctl('-d', $other->db, 'import', "$data/wxr-utf-8-challenges.xml");
is $rc, 0, 'an export with bidirectional controls and emoji' or diag $out;
my $slug = sql($other->db, "SELECT slug FROM posts WHERE title LIKE '%Taken%by%'");
like $slug, qr/^[a-z0-9-]+$/, "a post_name that is no slug gives one: $slug";
$r = $other->get("/posts/$slug");
is $r->{status}, 200, '... served there';
like $r->{body}, qr/&quot;The Road/, '... with its title, escaped';

# a malformed file: its line, and nothing imported
$before = $snapshot->();
($rc, $out) = blogctl('-d', $db, 'import', "$data/malformed-simple.xml");
isnt $rc, 0, 'a malformed export is refused';
# (libxml2's stream reader, which reads the export item by item, says
# "Extra content at the end of the document" where its tree parser said
# "Premature end of data in tag item")
like $out, qr{malformed-simple\.xml:1[34]: not a WordPress export: (Premature end of data|Extra content at the end)},
    '... naming the file, the line and what is wrong';
is $snapshot->(), $before, '... and nothing is imported';

# a well-formed export with one bad item: all or nothing
my $bad = read_file($wxr);
$bad =~ s{<wp:post_date_gmt>2009-06-01 08:00:34</wp:post_date_gmt>}
         {<wp:post_date_gmt>2009-13-45 08:00:34</wp:post_date_gmt>};
write_file($site->dir . '/bad.xml', $bad);
my $fresh = new_site();
($rc, $out) = blogctl('-d', $fresh->db, 'import', $site->dir . '/bad.xml');
isnt $rc, 0, 'an item with an impossible date is refused';
like $out, qr{bad\.xml:\d+: <wp:post_date_gmt>: invalid date "2009-13-45 08:00:34"},
    '... naming the file, the item\'s line and the element';
like $out, qr/nothing imported/, '... saying nothing was imported';
is sql($fresh->db, 'SELECT count(*) FROM posts'), 0, '... and nothing was';

# -- a Hugo content folder: gohugoio/hugoBasicExample's (t/data/hugo,
# MIT), TOML ("+++") and YAML ("---") front matter
my $hugo = new_site();
$hugo->start;
my $content = "$FindBin::Bin/data/hugo/content";
($rc, $out) = blogctl('-d', $hugo->db, 'import', 'hugo', $content);
is $rc, 0, 'a Hugo content folder imports' or diag $out;
like $out, qr/^imported 6 new, 0 updated, 0 unchanged, 6 skipped$/m,
    '6 posts and pages, 6 files skipped';
like $out, qr{^skipped \S+/content/post/_index\.md: a section's list page, not content$}m,
    'a section\'s _index.md skipped, saying why';
like $out, qr{^skipped \S+/content/archives\.md: no title$}m,
    'a file without a title skipped, saying why';
like $out, qr{^skipped \S+/content/homepage/work\.md: a post without a date$}m,
    'a post without a date skipped, saying why';

$r = $hugo->get('/posts/markdown-syntax');
is $r->{status}, 200, 'a TOML post at its slug';
like $r->{body}, qr/Markdown Syntax Guide/, '... its title';
like $r->{body}, qr/March 11, 2019/, '... its date';
like $r->{body}, qr{<h2[^>]*>Headings\b}, '... its Markdown rendered';
is sql($hugo->db, "SELECT group_concat(t.slug) FROM (SELECT t.slug FROM post_tags pt"
                  . " JOIN tags t ON t.id = pt.tag_id JOIN posts p ON p.id = pt.post_id"
                  . " WHERE p.slug = 'markdown-syntax' ORDER BY t.slug) t"),
    'css,html,markdown,syntax,themes', '... its tags and categories, as tags';
like sql($hugo->db, "SELECT summary FROM posts WHERE slug = 'markdown-syntax'"),
    qr/^Sample article showcasing/, '... its description as summary';

$r = $hugo->get('/posts/math-typesetting');
is $r->{status}, 200, 'a YAML post at its slug';
like $r->{body}, qr/Math Typesetting/, '... its title';
like $r->{body}, qr/March 8, 2019/, '... its date';

$r = $hugo->get('/about');
is $r->{status}, 200, 'a file at the top is a page';
my $hport = $hugo->port;
for ([ '/post/markdown-syntax/', '/posts/markdown-syntax', 'its Hugo URL' ],
     [ '/post/migrate-from-jekyl', '/posts/markdown-syntax',
       'a relative alias, under its section' ],
     [ '/about-us', '/about', 'a page\'s alias' ],
     [ '/contact/', '/about', 'another' ])
{
    my ($from, $to, $what) = @$_;
    $r = $hugo->get($from);
    is "$r->{status} " . ($r->{headers}{location} // ''),
        "301 http://localhost:$hport$to", "$what: $from -> $to";
}

my $hsnap = sub {
    return join "\n", sql($hugo->db, 'SELECT id, slug, updated_at FROM posts ORDER BY id'),
        sql($hugo->db, 'SELECT id, from_path, updated_at FROM redirects ORDER BY id'),
        sql($hugo->db, 'SELECT count(*) FROM revisions');
};
$before = $hsnap->();
($rc, $out) = blogctl('-d', $hugo->db, 'import', 'hugo', $content);
like $out, qr/^imported 0 new, 0 updated, 6 unchanged, 6 skipped$/m,
    'imported again: all unchanged';
is $hsnap->(), $before, '... and no row changed';

# malformed front matter: the file and line, nothing imported
for my $case (['post/markdown-syntax.md', qr/^tags = \[\n/m, "tags = [\n    \"markdown\"\n    \"css\" \"x\n",
               qr{markdown-syntax\.md:\d+: TOML: a malformed array}, 'TOML'],
              ['post/math-typesetting.md', qr/^title: Math Typesetting$/m,
               "title: [Math Typesetting\n", qr{math-typesetting\.md:[345]: YAML: did not find expected}, 'YAML'],
              ['post/placeholder-text.md', qr/^date = "2019-03-09"$/m,
               'date = "2019-02-30"', qr{placeholder-text\.md:4: date: invalid date "2019-02-30"},
               'an impossible date'])
{
    my ($file, $re, $with, $want, $what) = @$case;
    my $copy = $hugo->dir . '/content';
    system('rm', '-rf', $copy);
    system('cp', '-r', $content, $copy);
    my $text = read_file("$copy/$file");
    $text =~ s/$re/$with/ or die "no $re in $file";
    write_file("$copy/$file", $text);
    $before = $hsnap->();
    ($rc, $out) = blogctl('-d', $hugo->db, 'import', 'hugo', $copy);
    isnt $rc, 0, "$what: refused";
    like $out, $want, "$what: names the file and line";
    like $out, qr/errors found, nothing imported/, "$what: nothing imported";
    is $hsnap->(), $before, "$what: no row changed";
}

done_testing;
