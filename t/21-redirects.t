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
use BlogAdmin;

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

# -- the admin panel: a rename there is recorded too; the list; CRUD
my $admin = admin_site(posts => {
    'kept.md' => "---\ntitle: Kept\ndate: 2026-10-01\n---\nStays.\n",
});
$admin->start;
my $adb = $admin->db;
my $aport = $admin->port;
my ($res, $jar) = login_as($admin, 'admin', 'correct horse battery');
is $res->{status}, 303, 'signed in to the panel';

my $kept = sql($adb, "SELECT id FROM posts WHERE slug = 'kept'");
$r = jar_get($admin, $jar, "/admin/posts/$kept");
my ($base) = $r->{body} =~ /name="base" value="([^"]+)"/;
my $csrf = csrf_of($r->{body});
$r = jar_post($admin, $jar, "/admin/posts/$kept",
              [csrf => $csrf, title => 'Kept', slug => 'kept-renamed',
               type => 'post', status => 'published',
               published => '2026-10-01T00:00', tags => '', summary => '',
               body => "Stays.\n", base => $base, action => 'save']);
is $r->{status}, 303, 'renamed in the panel';
$r = $admin->get('/posts/kept');
is "$r->{status} " . ($r->{headers}{location} // ''),
    "301 http://localhost:$aport/posts/kept-renamed",
    'the panel\'s rename answers at the old URL';

$r = jar_get($admin, $jar, '/admin/redirects');
is $r->{status}, 200, 'the redirects page';
like $r->{body}, qr{<td>/posts/kept</td>}, 'lists the old URL';
like $r->{body}, qr{\(/posts/kept-renamed\)}, '... and where it leads now';

sub add_redirect {
    my (%f) = @_;
    return jar_post($admin, $jar, '/admin/redirects',
                    [csrf => $csrf, from => '', to => '', status => '301',
                     %f]);
}

$r = add_redirect(from => '/old/feed/', to => '/feed.xml');
is $r->{status}, 303, 'a redirect added';
like $r->{headers}{location}, qr{/admin/redirects\?done=created$},
    '... back to the list';
$r = $admin->get('/old/feed');
is "$r->{status} " . ($r->{headers}{location} // ''),
    "301 http://localhost:$aport/feed.xml", 'it answers: 301 to a local path';
is $admin->get('/old/feed/')->{status}, 301, '... with a trailing slash too';

$r = add_redirect(from => '/elsewhere', to => 'https://example.org/x?y=1',
                  status => '302');
is $r->{status}, 303, 'a 302 to another site added';
$r = $admin->get('/elsewhere');
is "$r->{status} " . ($r->{headers}{location} // ''),
    '302 https://example.org/x?y=1', 'it answers: 302, absolute URL as is';

$r = add_redirect(from => '/retired', status => '410');
is $r->{status}, 303, 'a 410 added (no target)';
$r = $admin->get('/retired');
is $r->{status}, 410, 'it answers 410 Gone';
like $r->{body}, qr/not found|404/i, '... with the theme\'s page';

$r = add_redirect(from => '/permanent', to => '/posts/kept-renamed',
                  status => '308');
is $admin->get('/permanent')->{status}, 308, 'a 308';

# an old permalink with a query, on the index: WordPress's /?p=N
$r = add_redirect(from => '/?p=42', to => '/posts/kept-renamed');
is $r->{status}, 303, 'a redirect from /?p=42 added';
$r = $admin->get('/?p=42');
is "$r->{status} " . ($r->{headers}{location} // ''),
    "301 http://localhost:$aport/posts/kept-renamed", '/?p=42: 301';
$r = $admin->get('/?p=43');
is $r->{status}, 200, '/?p=43, which has none: the index';
like $r->{body}, qr/Kept/, '... with its posts';
is $admin->get('/?utm_source=x')->{status}, 200, 'any other query: the index';

# edit, then delete
my $rid = sql($adb, "SELECT id FROM redirects WHERE from_path = '/elsewhere'");
$r = jar_post($admin, $jar, "/admin/redirects/$rid",
              [csrf => $csrf, from => '/elsewhere', to => '/posts/kept-renamed',
               status => '301', action => 'save']);
is $r->{status}, 303, 'a redirect edited';
like $r->{headers}{location}, qr{done=saved$}, '... saved';
$r = $admin->get('/elsewhere');
is "$r->{status} " . ($r->{headers}{location} // ''),
    "301 http://localhost:$aport/posts/kept-renamed", 'the edit answers';
$r = jar_post($admin, $jar, "/admin/redirects/$rid",
              [csrf => $csrf, action => 'delete']);
is $r->{status}, 303, 'a redirect deleted';
is $admin->get('/elsewhere')->{status}, 404, '... and its path is 404 again';

# CSRF: without the token, or with another, nothing is written
my $count = sql($adb, 'SELECT count(*) FROM redirects');
$r = jar_post($admin, $jar, '/admin/redirects',
              [from => '/x', to => '/y', status => '301']);
is $r->{status}, 403, 'no CSRF token: 403';
$r = jar_post($admin, $jar, '/admin/redirects',
              [csrf => 'f' x 64, from => '/x', to => '/y', status => '301']);
is $r->{status}, 403, 'a wrong CSRF token: 403';
$r = jar_post($admin, $jar, "/admin/redirects/$rid",
              [from => '/x', to => '/y', status => '301', action => 'save']);
is $r->{status}, 403, 'an edit without the token: 403';
is sql($adb, 'SELECT count(*) FROM redirects'), $count, 'nothing written';

# hostile targets and paths: 400 with the reason, nothing written
for my $bad (['javascript:alert(1)', 'must be a local path'],
             ["/x\r\nSet-Cookie: a=1", 'control'],
             ["/x\nLocation: //evil", 'control'],
             ['//evil.example/', 'another host'],
             ['/\\evil.example', 'backslash'],
             ['data:text/html,<script>x</script>', 'must be a local path'],
             ['', 'is empty'])
{
    my ($to, $why) = @$bad;
    (my $shown = $to) =~ s/[\r\n]/./g;
    $r = add_redirect(from => '/hostile', to => $to);
    is $r->{status}, 400, "to \"$shown\": 400";
    like $r->{body}, qr{class="error"[^>]*>To: [^<]*\Q$why\E}, "... says why";
    unlike $r->{body}, qr{<script>x}, '... and escapes what was sent';
    ok !exists $r->{headers}{'set-cookie'}
       || $r->{headers}{'set-cookie'} !~ /\ba=1/, '... and sets no cookie';
}
for my $bad (['old', 'must start with'], ['/a/../b', 'segment'],
             ['/a%0d%0ab', 'control'], ['/a#top', 'fragment'],
             ['/a?', 'query string'])
{
    my ($from, $why) = @$bad;
    $r = add_redirect(from => $from, to => '/y');
    is $r->{status}, 400, "from \"$from\": 400";
    like $r->{body}, qr{From: the path [^<]*\Q$why\E}, "... says why";
}
$r = add_redirect(from => '/old/feed', to => '/y');
is $r->{status}, 400, 'the same from twice: 400';
like $r->{body}, qr/another redirect has this path/, '... says why';
$r = add_redirect(from => '/z', to => '/y', status => '307');
is $r->{status}, 400, 'status 307: 400';
is sql($adb, 'SELECT count(*) FROM redirects'), $count,
    'no refused redirect was written';
like $admin->error_log, qr/redirect refused: To: must be a local path/,
    'the refusals are in the error log';
is $admin->get('/hostile')->{status}, 404, '/hostile leads nowhere';

# a hand-typed row with a bad target is ignored, logged, never sent
sql($adb, "INSERT INTO redirects (kind, from_path, to_url, status, origin,"
          . " created_at, updated_at) VALUES ('path', '/typed',"
          . " 'javascript:alert(1)', 301, 'sql', 0, 0)");
$r = $admin->get('/typed');
is $r->{status}, 404, 'a hand-typed hostile target: 404, not sent';
like $admin->error_log, qr{blog redirect from "/typed": its target must be},
    '... and logged';

# with blog_base_url, Locations are built on it
$admin->stop;
$admin->{location} .= "blog_base_url https://blog.example;\n";
$admin->write_conf;
$admin->start;
$r = $admin->get('/old/feed');
is "$r->{status} " . ($r->{headers}{location} // ''),
    '301 https://blog.example/feed.xml', 'blog_base_url: Location on it';
$r = $admin->get('/posts/kept');
is $r->{headers}{location}, 'https://blog.example/posts/kept-renamed',
    '... for an old slug too';

# -- found pages pay nothing: no Location, no redirect asked
for my $path ('/', '/posts/third', '/who', '/feed.xml', '/sitemap.xml') {
    my $r = $site->get($path);
    is $r->{status}, 200, "$path still 200";
    ok !exists $r->{headers}{location}, "$path has no Location";
}

# ... and never ask for them: with the table gone, they are still served,
# while a path that finds nothing fails on the missing table
sql($db, 'ALTER TABLE redirects RENAME TO redirects_away');
for my $path ('/', '/posts/third', '/who', '/feed.xml') {
    is $site->get($path)->{status}, 200, "$path served without redirects";
}
is $site->get('/posts/nowhere')->{status}, 503,
    'a 404 asks them (so fails here)';
sql($db, 'ALTER TABLE redirects_away RENAME TO redirects');
is $site->get('/posts/nowhere')->{status}, 404, 'table back: 404 again';

# -- under a prefix location, Locations keep the prefix
my $sub = new_site(prefix => '/blog/', posts => {
    'x.md' => "---\ntitle: X\ndate: 2026-10-01\n---\nX.\n",
});
$sub->start;
sql($sub->db, "UPDATE posts SET slug = 'y' WHERE slug = 'x'");
$r = $sub->get('/blog/posts/x');
is "$r->{status} " . ($r->{headers}{location} // ''),
    "301 http://localhost:" . $sub->port . "/blog/posts/y",
    'under /blog/: the old slug leads to /blog/posts/y';

done_testing;
