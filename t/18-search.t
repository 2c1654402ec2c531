#!/usr/bin/perl
# Full-text search: results ranked by bm25 with the title first, snippets
# marked and escaped, only what is published, kept current by every write,
# a pager, hostile queries answered 200 or 400 (never 5xx), OpenSearch,
# a plain GET form, and posts of a database migrated from version 9.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BlogTest;

my %posts = (
    'zebra.md'  => "---\ntitle: Zebra crossings\ndate: 2026-10-01\ntags: [Roads]\n---\n"
                 . "How to cross the road safely, lorem ipsum.\n",
    'stripes.md' => "---\ntitle: Stripes\ndate: 2026-10-02\n---\n"
                 . "A long text about many animals. Among them, the zebra has stripes;"
                 . " so do some cats and fish and flags and shirts.\n",
    'xss.md'    => "---\ntitle: Escaping\ndate: 2026-10-03\n---\n"
                 . "Code like <script>alert(\"pwned\")</script> is shown & never run.\n",
    'tagged.md' => "---\ntitle: Holiday\ndate: 2026-10-04\ntags: [Photography]\n---\n"
                 . "Pictures of the sea.\n",
    'draft.md'  => "---\ntitle: Unfinished\ndraft: true\n---\nSecretword inside.\n",
    'future.md' => "---\ntitle: Later\ndate: 2099-01-01\n---\nFutureword inside.\n",
    'about.md'  => "---\ntitle: About\ntype: page\n---\nAboutword: who writes here.\n",
);
for my $i (1 .. 25) {
    $posts{"many-$i.md"} = sprintf "---\ntitle: Note %d\ndate: 2026-09-%02d\n---\n"
                                 . "A common word, number %d.\n", $i, $i, $i;
}

# a 10 KB query reaches the module, not nginx's 414
my $site = new_site(posts => \%posts, server => 'large_client_header_buffers 4 32k;');
$site->start;

# the titles of a results page, in order
sub titles {
    my ($body) = @_;
    return [ $body =~ m{<article class="card result">\s*<h2><a href="[^"]*">([^<]*)</a>}g ];
}

sub search {
    my ($q, %opt) = @_;
    return $site->get('/search?q=' . $q . ($opt{page} ? "&page=$opt{page}" : ''));
}

# results and ranking: a title match beats a body match
my $r = search('zebra');
is $r->{status}, 200, 'search answers 200';
like $r->{headers}{'content-type'}, qr{^text/html}, 'an HTML page';
is $r->{headers}{'x-blog-cache'}, 'BYPASS', 'results are not page-cached';
is_deeply titles($r->{body}), ['Zebra crossings', 'Stripes'],
    'both posts found, the title match first';
like $r->{body}, qr{<p class="result-count">2 results for “zebra”</p>}, 'a count';
like $r->{body}, qr{<a href="/posts/zebra">Zebra crossings</a>}, 'a link to the post';
like $r->{body}, qr{the <mark>zebra</mark> has stripes}, 'the snippet marks the word';
like search('roads')->{body}, qr{Zebra crossings}, 'a tag is searched';
like search('photography')->{body}, qr{1 result for}, 'one result, singular';
like search('ZEBRA')->{body}, qr{2 results}, 'case does not matter';
like search('zeb')->{body}, qr{2 results}, 'the last word is a prefix';
like search('cross+road')->{body}, qr{1 result for “cross road”}, 'two words, both needed';
like search('cross+nothere')->{body}, qr{0 results}, 'a word missing: nothing';

# snippets are escaped, then marked
$r = search('pwned');
is_deeply titles($r->{body}), ['Escaping'], 'a word inside HTML-like text is found';
like $r->{body}, qr{&lt;script&gt;alert\(&quot;<mark>pwned</mark>&quot;\)&lt;/script&gt;},
    'the snippet is escaped text with the match marked';
unlike $r->{body}, qr{<script>}, 'no script in the page';
like search('never')->{body}, qr{shown &amp; <mark>never</mark> run}, 'ampersand escaped';

# a page is found at its own URL
like search('aboutword')->{body}, qr{<a href="/about">About</a>}, 'a page, at the top';

# drafts and scheduled posts are never found
like search('secretword')->{body}, qr{0 results}, 'a draft is not found';
# (blogctl publishes a post dated later at once; the panel schedules it)
sql($site->db, "UPDATE posts SET status = 'scheduled' WHERE slug = 'future'");
like search('futureword')->{body}, qr{0 results}, 'a scheduled post is not found';
sql($site->db, "UPDATE posts SET status = 'published' WHERE slug = 'future'");
like search('futureword')->{body}, qr{1 result}, 'once the scheduler publishes it, it is';

# an edit re-indexes: the old word gone, the new one found
$site->import_posts({ 'zebra.md' => "---\ntitle: Zebra crossings\ndate: 2026-10-01\ntags: [Roads]\n---\n"
                                  . "How to cross the street, dolor sit amet.\n" });
like search('lorem')->{body}, qr{0 results}, 'after an edit the old word is gone';
like search('dolor')->{body}, qr{Zebra crossings}, 'and the new word is found';
like search('roads')->{body}, qr{Zebra crossings}, 'the tags still are';

# unpublishing and publishing again
$site->import_posts({ 'tagged.md' => "---\ntitle: Holiday\ndate: 2026-10-04\ndraft: true\ntags: [Photography]\n---\nPictures of the sea.\n" });
like search('sea')->{body}, qr{0 results}, 'a post made a draft is gone';
$site->import_posts({ 'tagged.md' => $posts{'tagged.md'} });
like search('sea')->{body}, qr{1 result}, 'published again, it is back';

# a tag renamed is found by its new name
sql($site->db, "UPDATE tags SET name = 'Pictures' WHERE slug = 'photography'");
like search('photography')->{body}, qr{0 results}, 'a tag renamed: the old name is gone';
like search('pictures')->{body}, qr{Holiday}, 'and the new one found';

# delete removes (as blog_post_delete does, tags first)
my $id = sql($site->db, "SELECT id FROM posts WHERE slug = 'stripes'");
sql($site->db, "DELETE FROM post_tags WHERE post_id = $id; DELETE FROM revisions WHERE post_id = $id;"
             . " DELETE FROM posts WHERE id = $id");
is_deeply titles(search('zebra')->{body}), ['Zebra crossings'], 'a deleted post is gone';
is sql($site->db, "INSERT INTO search (search, rank) VALUES ('integrity-check', 1); SELECT 'ok'"), 'ok',
    'the index holds what search_source holds after all of it';

# pagination: 10 a page, newest links carry the query
$r = search('common');
like $r->{body}, qr{25 results}, '25 results';
is scalar @{ titles($r->{body}) }, 10, 'page 1 has 10';
like $r->{body}, qr{<a rel="next" href="/search\?q=common&amp;page=2">}, 'a link to page 2';
unlike $r->{body}, qr{rel="prev"}, 'none to a page before 1';
my @seen = @{ titles($r->{body}) };
$r = search('common', page => 2);
like $r->{body}, qr{<a rel="prev" href="/search\?q=common">}, 'page 2 links back to page 1';
like $r->{body}, qr{<a rel="next" href="/search\?q=common&amp;page=3">}, 'and on to page 3';
push @seen, @{ titles($r->{body}) };
$r = search('common', page => 3);
is scalar @{ titles($r->{body}) }, 5, 'page 3 has the last 5';
unlike $r->{body}, qr{rel="next"}, 'and no next';
push @seen, @{ titles($r->{body}) };
my %uniq = map { $_ => 1 } @seen;
is scalar keys %uniq, 25, 'the three pages show each result once';
like search('common', page => 4)->{body}, qr{25 results}, 'a page past the end: a count, no results';
like search('two+words+%26+%3Cmore%3E', page => 2)->{body}, qr{0 results}, 'a query with & and < pages';
$r = $site->get('/search?q=a%20%26%20b%3F&page=1');
is $r->{status}, 200, 'page=1 explicitly';

# the query is echoed escaped in the search box; a plain GET form works
$r = $site->get('/search?q=%3Cb%3E%22x%22+%26+zebra');
is $r->{status}, 200, 'a query with markup';
like $r->{body}, qr{value="&lt;b&gt;&quot;x&quot; &amp; zebra"}, 'echoed escaped in the box';
unlike $r->{body}, qr{<b>"x"}, 'never raw';
$r = $site->get('/');
like $r->{body}, qr{<form class="search" role="search" method="get" action="/search"><input type="search" name="q"},
    'the header has a GET form to the search page, no script needed';
$r = $site->get('/search');
is $r->{status}, 200, 'the search page without a query';
unlike $r->{body}, qr{result-count}, 'no count without a query';
like $r->{body}, qr{<input type="search" name="q" value=""}, 'an empty box';

# hostile queries: a results page or a 400 with a reason, never a 5xx
my $long = 'word%20' x 1500;
my @hostile = (
    [ 'NEAR(zebra%20crossings)', 200 ], [ '%22', 200 ], [ '%22zebra', 200 ],
    [ '*', 200 ], [ 'zeb*', 200 ], [ '-zebra', 200 ], [ 'zebra%20-crossings', 200 ],
    [ 'AND%20OR', 200 ], [ 'zebra%20AND%20OR%20NOT', 200 ], [ 'title:zebra', 200 ],
    [ '%7Btitle%20body%7D:zebra', 200 ], [ '^zebra', 200 ], [ 'zebra%20NEAR/2', 200 ],
    [ '(', 200 ], [ ')', 200 ], [ '%27%29%3B%20DROP%20TABLE%20posts%3B--', 200 ],
    [ $long, 400, 'search query too long' ],
    [ 'a' x 300, 400, 'search query too long' ],
    [ 'zebra%00', 400, 'search query has a NUL byte' ],
    [ '%00', 400, 'search query has a NUL byte' ],
    [ 'caf%E9', 400, 'search query is not valid UTF-8' ],
    [ '%C0%AF', 400, 'search query is not valid UTF-8' ],
    [ '%ED%A0%80', 400, 'search query is not valid UTF-8' ],
    [ join('+', 1 .. 17), 400, 'search query has too many words' ],
    [ '%', 200 ], [ '%zz', 200 ], [ '%E2%80%94', 200 ], [ 'caf%C3%A9', 200 ],
);
for my $h (@hostile) {
    my ($q, $want, $why) = @$h;
    my $label = length $q > 40 ? substr($q, 0, 40) . '...' : $q;
    $r = $site->get("/search?q=$q");
    is $r->{status}, $want, "q=$label: $want";
    like $site->error_log, qr/\Q$why\E, refused with 400/, "q=$label: the reason is logged"
        if $why;
}
is $site->get('/search?q=zebra&page=0')->{status}, 400, 'page=0: 400';
like $site->error_log, qr/search page number is not a number from 1/, 'the reason is logged';
is $site->get('/search?q=zebra&page=abc')->{status}, 400, 'page=abc: 400';
is search('zebra', page => 51)->{status}, 400, 'page=51: 400, past the pages shown';
like $site->error_log, qr/past the last one shown/, 'the reason is logged';
unlike $site->error_log, qr/\[(alert|crit|emerg)\]|exited on signal/, 'no worker crashed';
is search('zebra')->{status}, 200, 'and it still answers';

# OpenSearch: the description, linked from every page's head
$r = $site->get('/opensearch.xml');
is $r->{status}, 200, 'opensearch.xml';
like $r->{headers}{'content-type'}, qr{^application/opensearchdescription\+xml}, 'its type';
like $r->{body}, qr{<Url type="text/html" method="get" template="http://localhost/search\?q=\{searchTerms\}"/>},
    'an absolute URL template';
like $r->{body}, qr{<ShortName>ngx_blog</ShortName>}, 'named after the site';
SKIP: {
    skip 'xmllint not installed', 1 unless `which xmllint`;
    BlogTest::write_file($site->dir . '/opensearch.xml', $r->{body});
    is system('xmllint', '--noout', $site->dir . '/opensearch.xml'), 0,
        'opensearch.xml is well-formed XML';
}
for my $path ('/', '/posts/zebra', '/about', '/tags/roads', '/page/2', '/search?q=zebra', '/nope') {
    like $site->get($path)->{body},
        qr{<head>.*<link rel="search" type="application/opensearchdescription\+xml" title="ngx_blog" href="http://localhost/opensearch.xml">.*</head>}s,
        "$path links the OpenSearch description";
}

# a moved route: the form and the description follow
my $moved = new_site(posts => { 'zebra.md' => $posts{'zebra.md'} },
                     location => 'blog_route search find; blog_route opensearch os.xml;');
# (started with a MALLOC_* variable: the operator's choice of heap is kept)
{
    local $ENV{MALLOC_ARENA_MAX} = 4;
    $moved->start;
}
like $moved->get('/find?q=zebra')->{body}, qr{1 result}, 'blog_route search find';
like $moved->get('/')->{body}, qr{action="/find"}, 'the form follows';
like $moved->get('/os.xml')->{body}, qr{template="http://localhost/find\?q=\{searchTerms\}"},
    'and the description';
# (after requests: the worker has started and written its log)
like $moved->error_log, qr/blog: glibc's heap left as the environment sets it/,
    'a MALLOC_* variable: the workers leave glibc\'s heap as set';
unlike $site->error_log, qr/glibc's heap left as the environment/,
    'without one, the workers keep freed heap for FTS5 (docs/search.md)';
$moved->stop;

# more matches than the 50 pages hold: counted as "more than", the newest
# ranked (the oldest has the word in its title, and would come first)
my %plenty = map { ("plenty-$_.md" => sprintf "---\ntitle: %s %d\ndate: 2026-08-%02d\n---\nPlenty of words.\n",
                                         $_ == 1 ? 'Plenty' : 'Note', $_, 1 + $_ % 28) } 1 .. 60;
my $wide = new_site(posts => \%plenty, location => 'blog_posts_per_page 1;');
sql($wide->db, "UPDATE posts SET published_at = id");
$wide->start;
$r = $wide->get('/search?q=plenty');
like $r->{body}, qr{More than 50 results for “plenty”}, 'more matches than the pages hold: "more than"';
my ($first) = @{ titles($r->{body}) };
like $first, qr/^Note/, 'ranked among the newest only';
like $wide->get('/search?q=plenty&page=50')->{body}, qr{<article class="card result">}, 'page 50 has one';
unlike $wide->get('/search?q=plenty&page=50')->{body}, qr{rel="next"}, 'and is the last';
like $wide->get('/search?q=plenty+of')->{body}, qr{More than 50}, 'two words';
$wide->stop;

# the migration indexes the posts there are: its SQL, as lib/blog_schema.c
# has it, run again on a database whose index is gone
my ($migration) = grep { /CREATE VIRTUAL TABLE search\b/ } data_migrations();
ok $migration, 'the search migration is found in lib/blog_schema.c';
my $old = new_site(posts => { 'zebra.md' => $posts{'zebra.md'}, 'about.md' => $posts{'about.md'} });
sql($old->db, join ' ', map { "DROP TRIGGER $_;" }
    qw(posts_search_insert posts_search_update posts_search_delete post_tags_search_insert
       post_tags_search_delete tags_search_rename tags_search_delete));
sql($old->db, 'DROP TABLE search; DROP VIEW search_source;');
sql($old->db, "BEGIN; $migration; COMMIT;");
is sql($old->db, "SELECT count(*) FROM search WHERE search MATCH 'zebra'"), 1,
    'the migration indexes a database with posts';
$old->start;
like $old->get('/search?q=zebra')->{body}, qr{1 result.*Zebra crossings}s, 'its posts are found';
like $old->get('/search?q=aboutword')->{body}, qr{1 result}, 'and its pages';
$old->stop;

$site->stop;
done_testing;
