#!/usr/bin/perl
# What a post page shows around its body, against a real nginx: code
# highlighted at save time (C, Python; unknown languages plain; hostile
# code escaped in posts and comments), heading ids and the table of
# contents, reading time, previous/next and related posts (drafts never
# among them), from blogctl import, the panel, and blogctl rerender.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BlogTest;
use BlogAdmin;

my $words = join ' ', ('word') x 700;    # 700 words: 4 minutes at 230

my $gamma = <<'EOF';
---
title: Gamma
date: 2026-03-01
tags: [c, nginx, sqlite]
---
Some code in three languages.

## Setup

```c
#include <stdio.h>
/* a comment */
int main(void) { return printf("hi\n"); }
```

### Build it

```python
def add(a, b):
    return a + b  # sum
```

## Setup

```nosuchlanguage
if (a < b) { x(); }
```

#### Café & <b>notes</b>

```html
</code></pre><script>alert(1)</script>
```

```c
"</code><script>alert(2)</script>"
```
EOF

my %posts = (
    'alpha.md'   => "---\ntitle: Alpha\ndate: 2026-01-01\ntags: [c, nginx]\n---\nA.\n",
    'beta.md'    => "---\ntitle: Beta\ndate: 2026-02-01\ntags: [python]\n---\nB.\n",
    'gamma.md'   => $gamma,
    'zeta.md'    => "---\ntitle: Zeta draft\ndate: 2026-03-15\ntags: [c, nginx, sqlite]\n"
                  . "draft: true\n---\nZ.\n",
    'delta.md'   => "---\ntitle: Delta\ndate: 2026-04-01\ntags: [c]\n---\nD.\n",
    'epsilon.md' => "---\ntitle: Epsilon\ndate: 2026-05-01\ntags: [nginx, sqlite]\n---\nE.\n",
    'eta.md'     => "---\ntitle: Eta\ndate: 2026-06-01\ntags: [sqlite]\n---\n$words\n",
    'about.md'   => "---\ntitle: About\ntype: page\n---\n## One\n\n## Two\n\n## Three\n",
);

my $site = admin_site(posts => \%posts);
$site->start;
my $db = $site->db;

# --- highlighting ------------------------------------------------------------

my $r = $site->get('/posts/gamma');
is $r->{status}, 200, 'the post page';
my $body = $r->{body};

like $body, qr{<pre><code class="language-c"><span class="hl-preproc">#include</span> <span class="hl-string">&lt;stdio.h&gt;</span>},
    'C: highlighted, its text escaped';
like $body, qr{<span class="hl-comment">/\* a comment \*/</span>}, 'C: a comment';
like $body, qr{<span class="hl-type">int</span> <span class="hl-function">main</span>}, 'C: type and function';
like $body, qr{<pre><code class="language-python"><span class="hl-keyword">def</span> <span class="hl-function">add</span>},
    'Python: keyword and function';
like $body, qr{<span class="hl-comment"># sum</span>}, 'Python: a comment';
like $body, qr{<pre><code class="language-nosuchlanguage">if \(a &lt; b\) \{ x\(\); \}\n</code></pre>},
    'an unknown language: plain, escaped';
unlike $body, qr{<script>alert}, 'no script of the code gets out';
(my $text = $body) =~ s/<span class="hl-\w+">|<\/span>//g;
like $text, qr{<code class="language-html">&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert\(1\)&lt;/script&gt;\n</code>},
    'a fence of HTML: highlighted, every tag in it escaped';
like $body, qr{<span class="hl-string">&quot;&lt;/code&gt;&lt;script&gt;alert\(2\)&lt;/script&gt;&quot;</span>},
    'a C string closing the code: escaped inside its span';
like $r->{headers}{'content-type'}, qr{^text/html}, 'still a page';

# the theme styles the tokens, light and dark
my $css = $site->get('/static/style.css');
is $css->{status}, 200, 'the theme\'s stylesheet';
like $css->{body}, qr{\.hl-keyword}, 'the theme styles the tokens';
like $css->{body}, qr{prefers-color-scheme: dark\)[^\n]*\n(?:[^\n]*\n)*?\s*\.hl-keyword}, '... in dark mode too';

# --- heading ids and the table of contents ---------------------------------

my @ids = $body =~ /<h[2-4] id="([^"]+)"/g;
is "@ids", 'setup build-it setup-2 caf-notes', 'h2-h4 get ids, unique, ASCII (raw HTML left out)';
my %seen;
ok !(grep { $seen{$_}++ } $body =~ /\sid="([^"]+)"/g), 'no id twice in the page';
like $body, qr{<h2 id="setup">Setup <a class="anchor" href="#setup" aria-label="Link to this section">#</a></h2>},
    'a heading links to itself';
my ($toc) = $body =~ m{(<nav class="toc".*?</nav>)}s;
ok $toc, 'a table of contents (4 headings)';
my @links = ($toc // '') =~ /href="#([^"]+)"/g;
is "@links", "@ids", 'the table of contents links every heading, in order';
ok !(grep { my $id = $_; $body !~ /\sid="\Q$id\E"/ } @links), 'every link resolves to an id in the page';
like $toc, qr{Caf\x{c3}\x{a9} &amp; notes}, 'entries are the headings\' text, escaped';
ok index($body, $toc) < index($body, '<div class="body">'), 'the table of contents comes before the body';

unlike $site->get('/posts/alpha')->{body}, qr{class="toc"}, 'no table of contents without headings';
unlike $site->get('/about')->{body}, qr{class="toc"}, 'pages show none either';

# --- reading time ------------------------------------------------------------

is sql($db, "SELECT slug || ':' || reading_minutes FROM posts WHERE slug IN ('eta', 'alpha') ORDER BY slug"),
    "alpha:1\neta:4", 'reading time stored: 700 words, 4 minutes; a short post, 1';
like $site->get('/posts/eta')->{body}, qr{<span class="reading">4 min read</span>}, 'shown on the post page';
like $site->get('/')->{body}, qr{<a href="/posts/eta">Eta</a></h2>\s*<p class="meta">.*?4 min read}s,
    'and on its card';

# --- previous / next ---------------------------------------------------------

sub nav_of {
    my ($slug) = @_;
    my $b = $site->get("/posts/$slug")->{body};
    my ($nav) = $b =~ m{<nav class="post-nav"[^>]*>(.*?)</nav>}s;
    $nav //= '';
    my ($prev) = $nav =~ m{rel="prev" href="/posts/([^"]+)"};
    my ($next) = $nav =~ m{rel="next" href="/posts/([^"]+)"};
    return ($prev // '-') . ' ' . ($next // '-');
}

is nav_of('gamma'), 'beta delta', 'gamma: previous beta, next delta (the draft between is skipped)';
is nav_of('alpha'), '- beta', 'the oldest: no previous';
is nav_of('eta'), 'epsilon -', 'the newest: no next';
like $site->get('/posts/gamma')->{body}, qr{rel="prev" href="/posts/beta">← Beta</a>}, 'links carry the titles';

# --- related -----------------------------------------------------------------

sub related_of {
    my ($slug) = @_;
    my $b = $site->get("/posts/$slug")->{body};
    my ($sec) = $b =~ m{<section class="related"[^>]*>(.*?)</section>}s;
    return join ' ', ($sec // '') =~ m{<a href="/posts/([^"]+)"}g;
}

# gamma (c, nginx, sqlite; March 1st): alpha and epsilon share 2 (alpha
# 59 days away, epsilon 61), delta and eta 1 (delta 31 days, eta 92);
# beta none; the draft zeta shares 3
is related_of('gamma'), 'alpha epsilon delta', 'related: most shared tags, then the nearest in time';
is related_of('beta'), '', 'no shared tag: no related posts';
unlike $site->get('/posts/beta')->{body}, qr{Related posts}, '... and no empty section';
my $all = join ' ', map { nav_of($_) . ' ' . related_of($_) } qw(alpha beta gamma delta epsilon eta);
unlike $all, qr/zeta/, 'the draft is never previous, next or related';

# publishing the draft puts it in (the page cache follows the database)
sql($db, "UPDATE posts SET status = 'published' WHERE slug = 'zeta'");
is nav_of('gamma'), 'beta zeta', 'published, it is gamma\'s next';
is related_of('gamma'), 'zeta alpha epsilon', 'and first among related (3 shared)';
sql($db, "UPDATE posts SET status = 'draft' WHERE slug = 'zeta'");
is nav_of('gamma'), 'beta delta', 'a draft again: gone';

# --- comments: highlighted, hostile code escaped, no heading ids -----------

sub comment {
    my ($slug, %f) = @_;
    my $b = join '&', map { urlencode($_) . '=' . urlencode($f{$_}) } sort keys %f;
    return $site->request('POST', "/posts/$slug/comments",
                          'Content-Type' => 'application/x-www-form-urlencoded', _body => $b);
}

$r = comment('alpha', name => 'Mallory',
             body => "## Comments\n\n```c\n</code><script>alert(3)</script>\nint x;\n```\n\n"
                   . "```python\n'''</code></pre><script>alert(4)</script>'''\n```\n");
is $r->{status}, 303, 'a comment with code';
sql($db, "UPDATE comments SET status = 'approved' WHERE author_name = 'Mallory'");
$body = $site->get('/posts/alpha')->{body};
my ($c) = $body =~ m{(<article class="comment".*?</article>)}s;
ok $c, 'the comment is shown';
unlike $c // '', qr{<script}, 'no script gets out of a comment\'s code';
like $c // '', qr{<pre><code class="language-c"><span class="hl-symbol">&lt;/</span>code}, 'a comment\'s code is highlighted, escaped';
like $c // '', qr{&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;}, '... in a Python string too';
like $c // '', qr{<h2>Comments</h2>}, 'a comment\'s heading gets no id';

# --- the panel saves the same ---------------------------------------------

my (undef, $jar) = login_as($site, 'admin', 'correct horse battery');
my $csrf = csrf_of(jar_get($site, $jar, '/admin/posts')->{body});
$r = jar_post($site, $jar, '/admin/posts/new',
              [csrf => $csrf, title => 'Panel', slug => 'panel', type => 'post',
               status => 'published', published => '2026-07-01T10:00', tags => 'python',
               summary => '', body => "## A\n\n## B\n\n## B\n\n```python\nimport os\n```\n\n$words $words\n",
               base => '', action => 'save'],
              Origin => 'http://localhost');
is $r->{status}, 303, 'a post saved in the panel';
$body = $site->get('/posts/panel')->{body};
like $body, qr{<nav class="toc".*href="#b-2"}s, 'its table of contents';
like $body, qr{<span class="hl-preproc">import</span> os}, 'its code highlighted';
like $body, qr{7 min read}, 'its reading time (1406 words)';
is related_of('panel'), 'beta', 'related by its tag';
is nav_of('panel'), 'eta -', 'the newest now';

# --- blogctl rerender: posts saved by an older renderer --------------------

my $before = sql($db, "SELECT updated_at FROM posts WHERE slug = 'delta'");
sql($db, "UPDATE posts SET body_html = '<p>old</p>', toc_html = '', reading_minutes = 1,"
       . " updated_at = 1 WHERE slug = 'gamma'");
unlike $site->get('/posts/gamma')->{body}, qr{class="toc"}, 'an old post: no table of contents';
my ($rc, $out) = blogctl('-d', $db, 'rerender');
is $rc, 0, 'blogctl rerender';
like $out, qr{^1 of 9 posts rendered anew$}m, 'only the old one changed';
$body = $site->get('/posts/gamma')->{body};
like $body, qr{<nav class="toc"}, 'rendered anew: the table of contents';
like $body, qr{<h2 id="setup">}, 'heading ids';
like $body, qr{<span class="hl-preproc">#include</span>}, 'highlighted code';
isnt sql($db, "SELECT updated_at FROM posts WHERE slug = 'gamma'"), 1, 'its updated_at moved';
is sql($db, "SELECT updated_at FROM posts WHERE slug = 'delta'"), $before, 'the others\' did not';
is sql($db, "SELECT count(*) FROM revisions WHERE post_id = (SELECT id FROM posts WHERE slug = 'gamma')"),
    1, 'no revision added: the text is the same';

# --- related posts on a site with many posts: a post's own neighbourhood ---
#
# Related posts are chosen among the 3 posts just before and after a post
# in each of its tags' listings (BLOG_RELATED_NEAR), ranked by the tags
# they share, then by nearness in time, the newer first at an equal
# distance.  "ops" has ops-1 .. ops-40, a day apart in 2020, then ops-41
# .. ops-43 in 2025; ops-3 is a draft.  ops-2, ops-6 and ops-20 also have
# "deep", and ops-20 is far from ops-2 in "ops" (16 published posts
# between) but its neighbour in "deep".

sql($db, <<'SQL');
BEGIN;
INSERT INTO tags (slug, name) VALUES ('ops', 'Ops'), ('deep', 'Deep');
INSERT INTO posts (type, slug, title, body_md, body_html, status, published_at,
                   created_at, updated_at)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 43)
  SELECT 'post', 'ops-' || i, 'Ops ' || i, 'O.', '<p>O.</p>',
         CASE i WHEN 3 THEN 'draft' ELSE 'published' END,
         CASE WHEN i <= 40 THEN 1577836800 + i * 86400
              ELSE 1735689600 + i * 86400 END, 1, 1
  FROM n;
INSERT INTO post_tags (post_id, tag_id)
  SELECT p.id, t.id FROM posts p, tags t
   WHERE p.slug LIKE 'ops-%' AND t.slug = 'ops'
  UNION ALL
  SELECT p.id, t.id FROM posts p, tags t
   WHERE p.slug IN ('ops-2', 'ops-6', 'ops-20') AND t.slug = 'deep';
COMMIT;
SQL

is related_of('ops-15'), 'ops-16 ops-14 ops-17',
    'an old post: its nearest posts of the tag, the newer first at an equal distance';
is related_of('ops-2'), 'ops-6 ops-20 ops-1',
    'the most shared tags first, counted even when the post is not near under each tag; '
  . 'then the nearest; the draft between them never';
is related_of('ops-40'), 'ops-39 ops-38 ops-37', 'the last of 2020: its own time, not the tag\'s newest';
is related_of('ops-43'), 'ops-42 ops-41 ops-40', 'the newest: the posts just before it';
my $old = join ' ', map { related_of("ops-$_") } 1, 2, 4 .. 10;
unlike $old, qr/\bops-4[1-3]\b/, 'no old post shows the tag\'s newest posts';
unlike join(' ', map { related_of("ops-$_") } 1 .. 43), qr/\bops-3\b/, 'nor the draft, anywhere';
ok !(grep { related_of("ops-$_") =~ /\bops-$_\b/ } 1 .. 43), 'no post is its own related post';
is $site->get('/posts/ops-3')->{status}, 404, 'the draft has no page';

# publishing the draft puts it in its neighbours' related posts
sql($db, "UPDATE posts SET status = 'published' WHERE slug = 'ops-3'");
is related_of('ops-2'), 'ops-6 ops-20 ops-3', 'published, it is ops-2\'s nearest';
is related_of('ops-3'), 'ops-4 ops-2 ops-5', 'and it has its own, the newer first at an equal distance';

# --- related lists follow every kind of write (data.db migration 17) -----
#
# The lists are kept in related_posts by triggers.  After each write, every
# published post's page shows what the ranking gives from posts and
# post_tags alone (the reference below, as t/unit/reader_plans has it).

sub related_want {
    my %want = map { $_ => '' } split /\n/, sql($db,
        "SELECT slug FROM posts WHERE type = 'post' AND status = 'published'");
    my $rows = sql($db, <<'SQL');
WITH listed AS (
  SELECT pt.tag_id, row_number() OVER (PARTITION BY pt.tag_id
           ORDER BY ifnull(p.published_at, 0), p.id) AS n,
         p.id, ifnull(p.published_at, 0) AS at
    FROM post_tags pt JOIN posts p ON p.id = pt.post_id
   WHERE p.type = 'post' AND p.status = 'published'),
near AS (
  SELECT DISTINCT me.id AS post, o.id AS other, o.at AS at,
         abs(o.at - me.at) AS far
    FROM listed me JOIN listed o ON o.tag_id = me.tag_id AND o.id <> me.id
     AND o.n BETWEEN me.n - 3 AND me.n + 3),
ranked AS (
  SELECT post, other, row_number() OVER (PARTITION BY post ORDER BY
           (SELECT count(*) FROM post_tags a JOIN post_tags b
             ON b.tag_id = a.tag_id AND b.post_id = other
            WHERE a.post_id = post) DESC, far, at DESC, other DESC) AS r
    FROM near)
SELECT p.slug, group_concat(o.slug, ' ')
  FROM (SELECT * FROM ranked WHERE r <= 3 ORDER BY post, r) k
  JOIN posts p ON p.id = k.post JOIN posts o ON o.id = k.other
 GROUP BY k.post;
SQL
    for (split /\n/, $rows) {
        my ($slug, $list) = split /\|/;
        $want{$slug} = $list;
    }
    return %want;
}

sub lists_follow {
    my ($what) = @_;
    my %want = related_want();
    my @wrong = grep { related_of($_) ne $want{$_} } sort keys %want;
    ok !@wrong, "$what: each of the " . scalar(keys %want)
              . ' posts shows its neighbours sharing the most tags'
        or diag join "\n", map { "$_: '" . related_of($_) . "', want '$want{$_}'" } @wrong;
}

lists_follow('written by SQL, one draft published');

# an import: theta, of ops and deep, in 2020 between ops-20 and ops-21
my $more = "$site->{dir}/more";
mkdir $more;
sub import_theta {
    my ($tags, $draft) = @_;
    BlogTest::write_file("$more/theta.md",
        "---\ntitle: Theta\ndate: 2020-01-21T12:00:00Z\ntags: [$tags]\n"
      . ($draft ? "draft: true\n" : '') . "---\nT.\n");
    my ($rc, $out) = blogctl('-d', $db, 'import', $more);
    is $rc, 0, "blogctl import: theta, tags $tags" . ($draft ? ', a draft' : '') or diag $out;
}
import_theta('ops, deep');
is related_of('theta'), 'ops-20 ops-6 ops-2', 'imported: its own list, deep\'s first';
like related_of('ops-20'), qr/^theta\b/, '... and first in ops-20\'s (2 tags shared, the nearest)';
lists_follow('an import');

# retagged by a second import: out of deep's listing
import_theta('ops');
unlike related_of('ops-6'), qr/theta/, 'retagged: gone from ops-6\'s list (deep)';
lists_follow('a retag');

# a title edited shows where the lists show the post
sql($db, "UPDATE posts SET title = 'Theta edited' WHERE slug = 'theta'");
like $site->get('/posts/ops-20')->{body}, qr{<section class="related".*Theta edited}s,
    'a title edited: the lists show the new title';
lists_follow('a title edit');

# unpublished by an import as a draft: in no list
import_theta('ops', 1);
unlike join(' ', map { related_of($_) } 'ops-19', 'ops-20', 'ops-21', 'ops-22'), qr/theta/,
    'a draft again: in no list';
is sql($db, "SELECT count(*) FROM related_posts r JOIN posts p"
          . " ON p.id IN (r.post_id, r.related_id) WHERE p.slug = 'theta'"), 0,
    '... no row of related_posts names it';
lists_follow('unpublished');

# a tag taken from a post (the panel's way, blog_tags), then a tag deleted
sql($db, "DELETE FROM post_tags WHERE post_id = (SELECT id FROM posts WHERE slug = 'ops-6')"
       . " AND tag_id = (SELECT id FROM tags WHERE slug = 'deep')");
is related_of('ops-2'), 'ops-20 ops-3 ops-1', 'a tag taken: ops-6 no longer shares deep with ops-2';
lists_follow('a tag taken from a post');
sql($db, "PRAGMA foreign_keys = ON; DELETE FROM tags WHERE slug = 'deep'");
is related_of('ops-2'), 'ops-3 ops-1 ops-4', 'a tag deleted: ops-2 has its ops neighbours only';
lists_follow('a tag deleted');

# deleted: out of every list, its own list gone
sql($db, "PRAGMA foreign_keys = ON; DELETE FROM posts WHERE slug = 'ops-16'");
unlike join(' ', map { related_of("ops-$_") } 12 .. 20), qr/\bops-16\b/, 'deleted: in no list';
is sql($db, "SELECT count(*) FROM related_posts WHERE post_id NOT IN (SELECT id FROM posts)"
          . " OR related_id NOT IN (SELECT id FROM posts)"), 0, '... no row names it';
lists_follow('a post deleted');

# scheduled: out of the lists until the panel's timer publishes it, then the newest
sql($db, "UPDATE posts SET status = 'scheduled',"
       . " published_at = CAST(strftime('%s', 'now') AS INTEGER) + 2 WHERE slug = 'ops-10'");
unlike join(' ', map { related_of("ops-$_") } 7 .. 13), qr/\bops-10\b/, 'scheduled: in no list';
lists_follow('a post scheduled');
ok wait_for(sub { sql($db, "SELECT status FROM posts WHERE slug = 'ops-10'") eq 'published' }, 10),
    'the panel\'s timer publishes it';
is related_of('ops-10'), 'ops-43 ops-42 ops-41', 'published: the newest, next to the newest';
lists_follow('a scheduled post published');

unlike $site->error_log, qr/\[(?:alert|emerg|crit)\]/, 'no alert in the error log';

# --- related posts' tags: read only for a theme that shows them ----------
# The default theme's related list has no tags, so a post page does not
# read them; a theme that shows them gets each related post's own, not
# the page's (the scope the list's items would otherwise fall back to).

my $tagged = $site->dir . '/theme-related-tags';
system('cp', '-r', "$FindBin::Bin/../conf/theme", $tagged) == 0 or die 'cp theme';
my $nav = BlogTest::read_file("$tagged/post-nav.html");
$nav =~ s{(\{\{title\}\}</a>)}{$1 <span class="rtags">{{#tags}}[{{name}}]{{/tags}}</span>}
    or die 'post-nav.html: no related title';
BlogTest::write_file("$tagged/post-nav.html", $nav);
my $shown = new_site(theme => $tagged, posts => \%posts, location => 'blog_cache off;');
$shown->start;
$body = $shown->get('/posts/gamma')->{body};
my @rtags = $body =~ m{<span class="rtags">([^<]*)</span>}g;
is_deeply \@rtags, ['[c][nginx]', '[nginx][sqlite]', '[c]'],
    'a theme showing related posts\' tags: each its own (alpha, epsilon, delta)';
$shown->stop;

done_testing;
