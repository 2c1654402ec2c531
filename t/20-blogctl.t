#!/usr/bin/perl
# blogctl: import, idempotence, revisions, rollback, drafts, escaping, tags,
# settings, listing, usage errors.  Core Perl and the sqlite3 CLI only.

use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use POSIX ();

my $BIN = ($ENV{BLOG_BUILD} // 'build') . '/blogctl';

ok(-x $BIN, "$BIN is built") or BAIL_OUT("build $BIN first");

my $tmp = tempdir(CLEANUP => 1);
my $n = 0;

# blogctl with arguments, run without a shell: (exit code, stdout, stderr).
sub ctl {
    my @args = @_;
    my $err = "$tmp/stderr";
    open my $saved, '>&', \*STDERR or die "dup: $!";
    open STDERR, '>', $err or die "$err: $!";
    my $pid = open my $fh, '-|';
    die "fork: $!" unless defined $pid;
    unless ($pid) {
        exec($BIN, @args) or print STDERR "exec $BIN: $!\n";
        POSIX::_exit(127);
    }
    open STDERR, '>&', $saved or die "dup: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    my $rc = $? >> 8;
    open my $fh2, '<', $err or die "$err: $!";
    my $stderr = do { local $/; <$fh2> } // '';
    return ($rc, $out, $stderr);
}

# The rows of a query, fields separated by '|', rows by "\n".
sub sql {
    my ($db, $query) = @_;
    open my $fh, '-|', 'sqlite3', '-batch', '-noheader', $db, $query
        or die "sqlite3: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh or die "sqlite3 failed on: $query";
    $out =~ s/\n\z//;
    return $out;
}

sub read_text {
    my ($file) = @_;
    open my $fh, '<', $file or die "$file: $!";
    local $/;
    return scalar <$fh>;
}

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh or die "$path: $!";
}

# A fresh folder of posts and a database path next to it.
sub new_site {
    my (%files) = @_;
    my $dir = "$tmp/site" . ++$n;
    mkdir $dir or die "$dir: $!";
    mkdir "$dir/posts" or die "$dir/posts: $!";
    write_file("$dir/posts/$_", $files{$_}) for keys %files;
    return ("$dir/data.db", "$dir/posts");
}


my %posts = (
    'nginx-tuning.md' => <<'EOF',
---
title: Tuning nginx
date: 2026-10-03 08:30
tags: [nginx, Performance Tuning]
---
Raise `worker_connections` and *measure*.

<script>alert("x")</script>

[click me](javascript:alert(1)) and [docs](https://nginx.org/).
EOF
    'sqlite-wal.md' => <<'EOF',
---
title: "SQLite: WAL mode"
date: 2026-10-05T10:00:00+02:00
tags: sqlite, Performance Tuning
summary: Readers do not block writers.
---
Body of the WAL post.
EOF
    'Backups.md' => <<'EOF',
---
title: Backups that restore
date: 2026-09-20
tags: [backups, "Old Tag"]
---
# Backups

The first paragraph
spans two lines.

Second paragraph.
EOF
    'wip.md' => <<'EOF',
---
title: Work in progress
draft: true
tags: [nginx]
---
Not yet.
EOF
    'about.md' => <<'EOF',
---
title: About
type: page
---
A sysadmin's notes.
EOF
);


subtest 'usage and errors' => sub {
    my ($db) = new_site();
    my ($rc, $out, $err) = ctl();
    is($rc, 2, 'no command: exit 2');
    like($err, qr/^usage: blogctl/m, 'no command: usage');

    ($rc, $out, $err) = ctl('-d', $db, 'frobnicate');
    is($rc, 2, 'unknown command: exit 2');
    like($err, qr/^blogctl: unknown command "frobnicate"/, 'unknown command named');

    ($rc, $out, $err) = ctl('-d', $db, 'import');
    is($rc, 2, 'missing argument: exit 2');
    ($rc, $out, $err) = ctl('-d', $db, 'rollback', 'x');
    is($rc, 2, 'rollback with one argument: exit 2');
    ($rc, $out, $err) = ctl('-x');
    is($rc, 2, 'unknown option: exit 2');
    like($err, qr/^blogctl: unknown option -x/, 'unknown option named');

    ($rc, $out, $err) = ctl('-h');
    is($rc, 0, '-h: exit 0');
    like($out, qr/^usage: blogctl/, '-h: usage on stdout');

    ($rc, $out, $err) = ctl('-d', $db, 'list');
    is($rc, 1, 'list of a missing database: exit 1');
    like($err, qr/^blogctl: .*data\.db: /, 'list of a missing database: error');
    ok(!-e $db, 'a reading command does not create the database');

    ($rc, $out, $err) = ctl('-d', $db, 'import', "$tmp/no-such-dir");
    is($rc, 1, 'import of a missing folder: exit 1');
    like($err, qr/^blogctl: .*no-such-dir: No such file/, 'missing folder named');
};


subtest 'init' => sub {
    my ($db) = new_site();
    my ($rc, $out, $err) = ctl('-d', $db, 'init');
    is($rc, 0, 'init: exit 0') or diag $err;
    my ($schema) = (read_text('lib/blog_schema.h')
                    =~ /^#define\s+BLOG_SCHEMA_VERSION\s+(\d+)/m);
    is(sql($db, 'PRAGMA user_version'), $schema, "schema version $schema");
    is(sql($db, 'PRAGMA journal_mode'), 'wal', 'WAL mode');
    is(sql($db, "SELECT value FROM settings WHERE key = 'title'"), 'ngx_blog',
       'default settings');
    ($rc) = ctl('-d', $db, 'init');
    is($rc, 0, 'init again: exit 0');
    ($rc, $out) = ctl('-d', $db, 'list');
    is($rc, 0, 'list of an empty database: exit 0');
    is($out, '', 'list of an empty database: nothing');
};


my ($db, $dir) = new_site(%posts);

subtest 'import' => sub {
    my $before = time;
    my ($rc, $out, $err) = ctl('-d', $db, 'import', $dir);
    my $after = time;
    is($rc, 0, 'import: exit 0') or diag $err;
    is($out, "imported 5 new, 0 updated, 0 unchanged\n", 'import: summary');
    is($err, '', 'import: nothing on stderr');

    is(sql($db, 'SELECT slug, type, status, title FROM posts ORDER BY slug'),
       join("\n",
            'about|page|published|About',
            'backups|post|published|Backups that restore',
            'nginx-tuning|post|published|Tuning nginx',
            'sqlite-wal|post|published|SQLite: WAL mode',
            'wip|post|draft|Work in progress'),
       'posts: slugs from file names (lowercased), types, status, titles');

    is(sql($db, "SELECT published_at FROM posts WHERE slug = 'nginx-tuning'"),
       1791016200, 'date without zone is UTC');
    is(sql($db, "SELECT published_at FROM posts WHERE slug = 'sqlite-wal'"),
       1791187200, 'date with an offset');
    is(sql($db, "SELECT published_at IS NULL FROM posts WHERE slug = 'wip'"),
       1, 'draft without date: no published_at');
    my $page = sql($db, "SELECT published_at FROM posts WHERE slug = 'about'");
    ok($page >= $before && $page <= $after, 'page without date: import time');

    my $times = sql($db, 'SELECT DISTINCT created_at, updated_at FROM posts');
    my ($c, $u) = split /\|/, $times;
    ok($c == $u && $c >= $before && $c <= $after,
       'created_at = updated_at = import time');
    is(sql($db, "SELECT source FROM posts WHERE slug = 'backups'"),
       'Backups.md', 'source: the file name');

    is(sql($db, "SELECT summary FROM posts WHERE slug = 'sqlite-wal'"),
       'Readers do not block writers.', 'summary from the front matter');
    is(sql($db, "SELECT summary FROM posts WHERE slug = 'backups'"),
       'The first paragraph spans two lines.',
       'summary: first paragraph, as plain text');

    is(sql($db, 'SELECT slug, name FROM tags ORDER BY slug'),
       join("\n", 'backups|backups', 'nginx|nginx', 'old-tag|Old Tag',
            'performance-tuning|Performance Tuning', 'sqlite|sqlite'),
       'tags: slugs lowercased and dashed, names as written');
    is(sql($db, "SELECT group_concat(t.slug, ',') FROM"
                . " (SELECT t.slug FROM post_tags pt"
                . "  JOIN tags t ON t.id = pt.tag_id"
                . "  JOIN posts p ON p.id = pt.post_id"
                . "  WHERE p.slug = 'nginx-tuning' ORDER BY t.slug) t"),
       'nginx,performance-tuning', 'post_tags of a post');

    is(sql($db, 'SELECT count(*), min(rev), max(rev) FROM revisions'),
       '5|1|1', 'one revision 1 per post');
    is(sql($db, "SELECT r.origin, r.tags, r.status FROM revisions r"
                . " JOIN posts p ON p.id = r.post_id"
                . " WHERE p.slug = 'backups'"),
       'import:Backups.md|backups,Old Tag|published',
       'revision: origin, tag names, status');
};


subtest 'rendering is safe' => sub {
    my $html = sql($db, "SELECT body_html FROM posts"
                        . " WHERE slug = 'nginx-tuning'");
    like($html, qr{<code>worker_connections</code>}, 'Markdown rendered');
    unlike($html, qr/<script/i, 'no <script> in body_html');
    unlike($html, qr/javascript:/i, 'no javascript: link in body_html');
    like($html, qr{<a href="https://nginx.org/">docs</a>}, 'real link kept');
    is(sql($db, "SELECT body_md LIKE '%<script>%' FROM posts"
                . " WHERE slug = 'nginx-tuning'"),
       1, 'body_md keeps the source as written');
};


subtest 'idempotent import' => sub {
    # a sentinel that any write would replace
    sql($db, 'UPDATE posts SET updated_at = 12345');
    my ($rc, $out, $err) = ctl('-d', $db, 'import', $dir);
    is($rc, 0, 're-import: exit 0') or diag $err;
    is($out, "imported 0 new, 0 updated, 5 unchanged\n", 're-import: summary');
    is(sql($db, 'SELECT count(*) FROM posts WHERE updated_at != 12345'), 0,
       're-import: updated_at unchanged');
    is(sql($db, 'SELECT count(*) FROM revisions'), 5,
       're-import: no new revision');
    is(sql($db, 'SELECT count(*) FROM tags'), 5, 're-import: same tags');
};


subtest 'changed file' => sub {
    write_file("$dir/Backups.md", <<'EOF');
---
title: Backups that really restore
date: 2026-09-20
tags: [backups, Restore Tests]
---
# Backups

Now with restore tests.
EOF
    my ($rc, $out, $err) = ctl('-d', $db, 'import', $dir);
    is($rc, 0, 'import: exit 0') or diag $err;
    is($out, "imported 0 new, 1 updated, 4 unchanged\n", 'one updated');
    is(sql($db, 'SELECT count(*) FROM revisions'), 6,
       'exactly one new revision');
    is(sql($db, "SELECT r.rev, r.title, r.origin, r.tags FROM revisions r"
                . " JOIN posts p ON p.id = r.post_id"
                . " WHERE p.slug = 'backups' ORDER BY r.rev"),
       "1|Backups that restore|import:Backups.md|backups,Old Tag\n"
       . "2|Backups that really restore|import:Backups.md|"
       . "backups,Restore Tests",
       'revision 2 appended');
    is(sql($db, 'SELECT slug FROM posts WHERE updated_at != 12345'),
       'backups', 'only the changed post has a new updated_at');
    ok(sql($db, "SELECT updated_at > created_at - 1 AND updated_at > 12345"
                . " FROM posts WHERE slug = 'backups'"),
       'updated_at is now');
    like(sql($db, "SELECT body_html FROM posts WHERE slug = 'backups'"),
         qr/Now with restore tests/, 'body_html rendered again');
    is(sql($db, 'SELECT group_concat(slug) FROM'
                . ' (SELECT slug FROM tags ORDER BY slug)'),
       'backups,nginx,performance-tuning,restore-tests,sqlite',
       'new tag added, unused tag deleted');
};


subtest 'revisions' => sub {
    my ($rc, $out, $err) = ctl('-d', $db, 'revisions', 'backups');
    is($rc, 0, 'revisions: exit 0') or diag $err;
    my @lines = split /\n/, $out;
    is(scalar @lines, 2, 'two revisions');
    like($lines[0],
         qr/^2\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\tpublished\t
            Backups\ that\ really\ restore\timport:Backups\.md$/x,
         'newest first: rev, ISO-8601 UTC time, status, title, origin');
    like($lines[1], qr/^1\t\S+Z\tpublished\tBackups that restore\t/,
         'then revision 1');

    my $t = sql($db, "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', created_at,"
                     . " 'unixepoch') FROM revisions WHERE rev = 2");
    like($lines[0], qr/\t\Q$t\E\t/, 'the time is created_at in UTC');

    ($rc, $out, $err) = ctl('-d', $db, 'revisions', 'nope');
    is($rc, 1, 'unknown slug: exit 1');
    like($err, qr/^blogctl: no post with slug "nope"$/m, 'unknown slug: error');
};


subtest 'rollback' => sub {
    my ($rc, $out, $err) = ctl('-d', $db, 'rollback', 'backups', '1');
    is($rc, 0, 'rollback: exit 0') or diag $err;
    like($out, qr/revision 1 restored as revision 3/, 'rollback: reported');

    is(sql($db, "SELECT title, summary FROM posts WHERE slug = 'backups'"),
       'Backups that restore|The first paragraph spans two lines.',
       'title and summary restored');
    my $html = sql($db, "SELECT body_html FROM posts WHERE slug = 'backups'");
    like($html, qr/<p>Second paragraph.<\/p>/, 'body_html restored');
    unlike($html, qr/restore tests/, 'new body gone');
    is(sql($db, "SELECT group_concat(slug) FROM (SELECT t.slug FROM tags t"
                . " JOIN post_tags pt ON pt.tag_id = t.id"
                . " JOIN posts p ON p.id = pt.post_id"
                . " WHERE p.slug = 'backups' ORDER BY t.slug)"),
       'backups,old-tag', 'tags restored');
    is(sql($db, "SELECT name FROM tags WHERE slug = 'old-tag'"), 'Old Tag',
       'tag name restored');
    is(sql($db, "SELECT count(*) FROM tags WHERE slug = 'restore-tests'"), 0,
       'tag no longer used deleted');
    is(sql($db, "SELECT r.rev, r.origin, r.title, r.tags FROM revisions r"
                . " JOIN posts p ON p.id = r.post_id"
                . " WHERE p.slug = 'backups' ORDER BY r.rev DESC LIMIT 1"),
       '3|rollback:1|Backups that restore|backups,Old Tag',
       'rollback recorded as a new revision');

    ($rc, $out, $err) = ctl('-d', $db, 'revisions', 'backups');
    like((split /\n/, $out)[0], qr/^3\t.*\trollback:1$/,
         'revisions lists the rollback first');

    ($rc, $out, $err) = ctl('-d', $db, 'rollback', 'backups', '99');
    is($rc, 1, 'unknown revision: exit 1');
    like($err, qr/^blogctl: post "backups" has no revision 99$/m,
         'unknown revision: error');
    ($rc, $out, $err) = ctl('-d', $db, 'rollback', 'nope', '1');
    is($rc, 1, 'unknown slug: exit 1');
    like($err, qr/^blogctl: no post with slug "nope"/, 'unknown slug: error');
    for my $bad ('0', '-1', 'x', '1x', '') {
        ($rc, $out, $err) = ctl('-d', $db, 'rollback', 'backups', $bad);
        is($rc, 1, "revision \"$bad\": exit 1");
    }
    is(sql($db, 'SELECT count(*) FROM revisions'), 7,
       'failed rollbacks write nothing');

    # the rollback of a rollback: back to the file's content
    ($rc) = ctl('-d', $db, 'rollback', 'backups', '2');
    is($rc, 0, 'rollback to revision 2');
    is(sql($db, "SELECT title FROM posts WHERE slug = 'backups'"),
       'Backups that really restore', 'revision 2 is current again');
    ($rc, $out) = ctl('-d', $db, 'import', $dir);
    is($out, "imported 0 new, 0 updated, 5 unchanged\n",
       'files equal to the latest revisions: unchanged');
};


subtest 'drafts and list' => sub {
    my ($rc, $out, $err) = ctl('-d', $db, 'list');
    is($rc, 0, 'list: exit 0') or diag $err;
    is($out, join('', map { "$_\n" }
                  "post\tpublished\tsqlite-wal\tSQLite: WAL mode",
                  "post\tpublished\tnginx-tuning\tTuning nginx",
                  "post\tpublished\tbackups\tBackups that really restore",
                  "post\tdraft\twip\tWork in progress",
                  "page\tpublished\tabout\tAbout"),
       'list: type, status, slug, title; posts newest first, then pages');

    # publish the draft
    write_file("$dir/wip.md", <<'EOF');
---
title: Work in progress
draft: false
date: 2026-11-01
tags: [nginx]
---
Now done.
EOF
    ($rc, $out) = ctl('-d', $db, 'import', $dir);
    is($out, "imported 0 new, 1 updated, 4 unchanged\n", 'draft published');
    is(sql($db, "SELECT status, published_at FROM posts WHERE slug = 'wip'"),
       'published|1793491200', 'status and date of the published draft');
};


subtest 'page keeps its publication time' => sub {
    my $t = sql($db, "SELECT published_at FROM posts WHERE slug = 'about'");
    sql($db, "UPDATE posts SET published_at = 1000 WHERE slug = 'about';"
             . " UPDATE revisions SET published_at = 1000 WHERE post_id ="
             . " (SELECT id FROM posts WHERE slug = 'about')");
    write_file("$dir/about.md", "---\ntitle: About me\ntype: page\n---\nHi.\n");
    my ($rc, $out) = ctl('-d', $db, 'import', $dir);
    is($out, "imported 0 new, 1 updated, 4 unchanged\n", 'page updated');
    is(sql($db, "SELECT title, published_at FROM posts WHERE slug = 'about'"),
       'About me|1000', 'a page without date keeps its first publication');
    ok($t > 1000, 'it had been the import time');
};


subtest 'a bad file stops the whole import' => sub {
    my ($bdb, $bdir) = new_site(
        'a.md' => "---\ntitle: A\ndate: 2026-10-01\ntags: x\n---\nA\n",
        'b.md' => "---\ntitle: B\ndate: 2026-10-02\n---\nB\n",
        'c.md' => "---\ntitle: C\ndate: 2026-10-03\ncolour: blue\n---\nC\n",
    );
    my ($rc, $out, $err) = ctl('-d', $bdb, 'import', $bdir);
    is($rc, 1, 'bad file: exit 1');
    like($err, qr{^blogctl: \Q$bdir\E/c\.md:4: unknown key "colour"$}m,
         'error names file and line');
    unlike($err, qr/[ab]\.md/, 'the good files are not blamed');
    is($out, '', 'no summary');
    is(sql($bdb, 'SELECT count(*) FROM posts'), 0, 'zero posts');
    is(sql($bdb, 'SELECT count(*) FROM tags'), 0, 'zero tags');
    is(sql($bdb, 'SELECT count(*) FROM revisions'), 0, 'zero revisions');

    # with a database that has content: the good change is not written either
    write_file("$bdir/c.md", "---\ntitle: C\ndate: 2026-10-03\n---\nC\n");
    ($rc, $out) = ctl('-d', $bdb, 'import', $bdir);
    is($out, "imported 3 new, 0 updated, 0 unchanged\n", 'fixed: imported');
    write_file("$bdir/a.md", "---\ntitle: A2\ndate: 2026-10-01\n---\nA\n");
    write_file("$bdir/c.md", "---\ntitle: C\ndate: 2026-10-33\n---\nC\n");
    write_file("$bdir/d.md", "no front matter\n");
    ($rc, $out, $err) = ctl('-d', $bdb, 'import', $bdir);
    is($rc, 1, 'second bad import: exit 1');
    like($err, qr{c\.md:3: invalid date "2026-10-33"}, 'bad date reported');
    like($err, qr{d\.md:1: missing title}, 'every bad file reported');
    is(sql($bdb, "SELECT title FROM posts WHERE slug = 'a'"), 'A',
       'the good change in a.md is not written');
    is(sql($bdb, 'SELECT count(*) FROM revisions'), 3, 'no new revision');
    is(sql($bdb, 'SELECT count(*) FROM tags'), 1, 'tags untouched');
};


subtest 'two files, one slug' => sub {
    my ($ddb, $ddir) = new_site(
        'one.md' => "---\ntitle: One\ndraft: true\nslug: same\n---\n",
        'same.md' => "---\ntitle: Same\ndraft: true\n---\n",
    );
    my ($rc, $out, $err) = ctl('-d', $ddb, 'import', $ddir);
    is($rc, 1, 'duplicate slug: exit 1');
    like($err, qr{same\.md:1: slug "same" is also the slug of one\.md},
         'duplicate slug: both files named');
    is(sql($ddb, 'SELECT count(*) FROM posts'), 0, 'nothing written');
};


subtest 'set' => sub {
    my ($rc, $out, $err) = ctl('-d', $db, 'set', 'title', "Ops & Notes");
    is($rc, 0, 'set title: exit 0') or diag $err;
    ($rc) = ctl('-d', $db, 'set', 'base_url', 'https://blog.example.org');
    is($rc, 0, 'set base_url: exit 0');
    ($rc) = ctl('-d', $db, 'set', 'description', '');
    is($rc, 0, 'set an empty description: exit 0');
    is(sql($db, "SELECT key, value FROM settings"
                . " WHERE key IN ('title', 'base_url') ORDER BY key"),
       "base_url|https://blog.example.org\ntitle|Ops & Notes",
       'settings stored, inserted or updated');

    ($rc, $out, $err) = ctl('-d', $db, 'set', 'colour', 'blue');
    is($rc, 1, 'unknown key: exit 1');
    like($err, qr/^blogctl: unknown setting "colour"/, 'unknown key: error');
    ($rc, $out, $err) = ctl('-d', $db, 'set', 'base_url', 'blog.example.org');
    is($rc, 1, 'base_url without scheme: exit 1');
    is(sql($db, "SELECT count(*) FROM settings WHERE key = 'colour'"), 0,
       'unknown key not stored');
    is(sql($db, "SELECT value FROM settings WHERE key = 'base_url'"),
       'https://blog.example.org', 'bad base_url not stored');

    ($rc) = ctl('-d', $db, 'set', 'post_route', 'blog/posts/');
    is($rc, 0, 'set post_route: exit 0');
    for my $bad ('/posts/', 'a/../b/', '', 'a b/', 'http://x/') {
        ($rc, $out, $err) = ctl('-d', $db, 'set', 'post_route', $bad);
        is($rc, 1, "post_route \"$bad\": exit 1");
        like($err, qr/post_route must be a relative path/, '... and says what it must be');
    }
    is(sql($db, "SELECT value FROM settings WHERE key = 'post_route'"),
       'blog/posts/', 'bad post_route not stored');
};

done_testing();
