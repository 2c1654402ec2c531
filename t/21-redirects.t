#!/usr/bin/perl
# Redirects: a renamed post answers at its old URL with 301 (recorded by a
# trigger, whoever renames it), chains collapse, a new post taking an old
# slug wins, aliases in front matter, the panel's list (CRUD, CSRF, 410,
# hostile targets refused), and found pages untouched.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BlogTest;

my $site = new_site(
    posts => {
        'first.md' => <<'EOF',
---
title: First post
date: 2026-10-01
tags: [nginx]
---
The first one.
EOF
        'about.md' => <<'EOF',
---
title: About
type: page
---
Who writes here.
EOF
    },
);
$site->start;
my $db = $site->db;
my $port = $site->port;

sub location_of {
    my ($path, %h) = @_;
    my $r = $site->get($path, %h);
    return ($r->{status}, $r->{headers}{location} // '');
}

# -- a slug changed by hand (sqlite3): the trigger records it
is $site->get('/posts/first')->{status}, 200, 'the post at its first slug';
sql($db, "UPDATE posts SET slug = 'second' WHERE slug = 'first'");
is $site->get('/posts/second')->{status}, 200, 'the post at its new slug';
my ($st, $loc) = location_of('/posts/first');
is $st, 301, 'old slug: 301';
is $loc, "http://localhost:$port/posts/second",
    'Location absolute, with the request\'s host and port';
($st, $loc) = location_of('/posts/first/');
is $st, 301, 'old slug with a trailing slash: 301 as well';
($st, $loc) = location_of('/posts/first', Host => 'blog.example');
is $loc, "http://blog.example:$port/posts/second",
    'Location follows the Host the reader sent';

# -- chains collapse: first -> second -> third
sql($db, "UPDATE posts SET slug = 'third' WHERE slug = 'second'");
($st, $loc) = location_of('/posts/first');
is "$st $loc", "301 http://localhost:$port/posts/third",
    'chain a->b->c: a leads to c in one hop';
($st, $loc) = location_of('/posts/second');
is "$st $loc", "301 http://localhost:$port/posts/third", 'b leads to c';
is sql($db, "SELECT count(*) FROM redirects WHERE post_id ="
            . " (SELECT id FROM posts WHERE slug = 'third')"), 2,
    'two rows, both naming the post, not each other';

# -- renamed back: the post takes its URL back, no loop
sql($db, "UPDATE posts SET slug = 'first' WHERE slug = 'third'");
is $site->get('/posts/first')->{status}, 200, 'renamed back: served again';
($st, $loc) = location_of('/posts/third');
is "$st $loc", "301 http://localhost:$port/posts/first", 'third -> first';
is sql($db, "SELECT count(*) FROM redirects WHERE from_path = 'first'"), 0,
    'no redirect left from the slug the post has again';

# -- a page's old slug leads to the page, at the page route
sql($db, "UPDATE posts SET slug = 'who' WHERE slug = 'about'");
($st, $loc) = location_of('/about');
is "$st $loc", "301 http://localhost:$port/who", 'a renamed page: 301';
is $site->get('/posts/about')->{status}, 404,
    'a page\'s old slug under the posts\' route: 404';

# -- a new post taking an old slug wins over the redirect
write_file($site->dir . '/posts2/third.md', <<'EOF');
---
title: A new third
date: 2026-10-03
---
Another post, at an old slug.
EOF
my ($rc, $out) = blogctl('-d', $db, 'import', $site->dir . '/posts2');
is $rc, 0, 'import of a post at an old slug' or diag $out;
my $r = $site->get('/posts/third');
is $r->{status}, 200, 'the new post answers at the old slug';
like $r->{body}, qr/A new third/, 'with its own content';
is sql($db, "SELECT count(*) FROM redirects WHERE from_path = 'third'"), 0,
    'the redirect it replaced is gone';

# -- a redirect to a post that is not published leads nowhere
sql($db, "UPDATE posts SET status = 'draft' WHERE slug = 'first'");
is $site->get('/posts/second')->{status}, 404, 'to a draft: 404';
sql($db, "UPDATE posts SET status = 'published' WHERE slug = 'first'");
is $site->get('/posts/second')->{status}, 301, 'published again: 301';

# -- deleting the post deletes what led to it
my $first = sql($db, "SELECT id FROM posts WHERE slug = 'first'");
sql($db, "DELETE FROM posts WHERE id = $first");
is sql($db, "SELECT count(*) FROM redirects WHERE post_id = $first"), 0,
    'a deleted post\'s redirects go with it';
is $site->get('/posts/second')->{status}, 404, 'and its old URLs are 404';

# -- aliases in front matter lead to the post
my $moved = <<'EOF';
---
title: Moved here
date: 2026-10-04
aliases: [/2019/05/old-name/, "/old-name.html", /caf%C3%A9]
---
Once elsewhere.
EOF
write_file($site->dir . '/posts3/moved.md', $moved);
($rc, $out) = blogctl('-d', $db, 'import', $site->dir . '/posts3');
is $rc, 0, 'import with aliases' or diag $out;
for my $path ('/2019/05/old-name', '/2019/05/old-name/', '/old-name.html',
              '/caf%C3%A9', '/caf%c3%a9/')
{
    ($st, $loc) = location_of($path);
    is "$st $loc", "301 http://localhost:$port/posts/moved", "alias $path";
}
my $rows = sql($db, "SELECT id, from_path, updated_at FROM redirects"
                    . " ORDER BY id");
($rc, $out) = blogctl('-d', $db, 'import', $site->dir . '/posts3');
is $rc, 0, 'the same import again';
is sql($db, "SELECT id, from_path, updated_at FROM redirects ORDER BY id"),
    $rows, 'imported again: the redirects did not change';

$moved =~ s{aliases: .*}{aliases: /old-name.html};
write_file($site->dir . '/posts3/moved.md', $moved);
($rc, $out) = blogctl('-d', $db, 'import', $site->dir . '/posts3');
is $rc, 0, 'import with one alias left' or diag $out;
is $site->get('/2019/05/old-name')->{status}, 404, 'a dropped alias: 404';
is $site->get('/old-name.html')->{status}, 301, 'the alias kept: 301';

$moved =~ s{aliases: .*}{aliases: [/ok, /a/../b]};
write_file($site->dir . '/posts3/moved.md', $moved);
($rc, $out) = blogctl('-d', $db, 'import', $site->dir . '/posts3');
isnt $rc, 0, 'an alias with ".." refused';
like $out, qr{moved\.md:4: aliases: "/a/\.\./b" has an empty, "\." or "\.\." segment},
    'the error names the file, the line and why';
is $site->get('/old-name.html')->{status}, 301,
    'a refused import changed nothing';

# -- found pages pay nothing: no Location, no redirect asked
for my $path ('/', '/posts/third', '/who', '/feed.xml', '/sitemap.xml') {
    my $r = $site->get($path);
    is $r->{status}, 200, "$path still 200";
    ok !exists $r->{headers}{location}, "$path has no Location";
}

done_testing;
