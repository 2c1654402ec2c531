#!/usr/bin/perl
# Operations: nginx -t on bad directives, reload, missing, locked and
# mismatched databases.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Copy qw(copy);
use IPC::Open2;
use BlogTest;

my $post = { 'p.md' => "---\ntitle: Ops post\ndate: 2026-10-01\n---\nHello.\n" };

# --- bad configuration is refused by nginx -t, naming file and line ---

my $site = new_site(posts => $post);
my $conf_file = $site->dir . '/conf/nginx.conf';

sub refused {
    my ($location, $want, $name, $theme) = @_;
    local $site->{location} = $location;
    local $site->{theme} = $theme // $site->{theme};
    $site->write_conf;
    my ($rc, $out) = $site->nginx('-t');
    isnt $rc, 0, "nginx -t fails: $name";
    like $out, $want, "message: $name";
    like $out, qr/\Q$conf_file\E:\d+/, "names the file and line: $name";
}

refused('blog_posts_per_page abc;', qr/invalid number/, 'non-numeric per page');
refused('blog_posts_per_page 0;', qr/must be between 1 and 1000/, 'per page 0');
refused('blog_cache maybe;', qr/invalid value "maybe"/, 'blog_cache flag');
refused('blog_cache_size lots;', qr/invalid value/, 'cache size');
refused('blog_route comments c/;', qr/unknown route "comments"/, 'unknown route');
refused('blog_route post /posts/;', qr/must be relative/, 'absolute route');
refused('blog_route tag tags;', qr/must end with "\/"/, 'route without slash');
refused('blog_base_url example.com;', qr/must start with http/, 'bad base URL');
refused('', qr{/nonexistent/theme/index.html: No such file}, 'missing theme',
        '/nonexistent/theme');
refused('blog /tmp/x.db;', qr/is duplicate/, 'blog twice');
{
    local $site->{prefix} = '/blog';
    refused('', qr{"blog" needs a prefix location that ends with "/"}, 'location without slash');
    local $site->{prefix} = '= /';
    refused('', qr{"blog" needs a prefix location}, 'exact location');
    local $site->{prefix} = '~ ^/x/';
    refused('', qr{cannot be used in a regex location}, 'regex location');
}

# a template error names the template's own file and line
my $theme = $site->dir . '/theme';
mkdir $theme;
mkdir "$theme/static";
for my $f (glob "$BlogTest::ROOT/conf/theme/*.*") {
    copy($f, $theme) or die "copy $f: $!";
}
write_file("$theme/post.html", "{{> header}}\n<h1>{{title}}</h1>\n{{#tags}}\n{{/tag}}\n");
refused('', qr{\Q$theme\E/post.html:4: "\{\{/tag\}\}" closes section "tags"},
        'mismatched section', $theme);
write_file("$theme/post.html", "<h1>{{title}</h1>\n");
refused('', qr{post.html:1: unclosed "\{\{"}, 'unclosed tag', $theme);
write_file("$theme/post.html", "{{> nosuchpartial}}\n");
refused('', qr{nosuchpartial.html: No such file}, 'missing partial', $theme);

# --- reload picks up theme changes; requests keep working ---

copy("$BlogTest::ROOT/conf/theme/post.html", "$theme/post.html") or die;
$site->{theme} = $theme;
$site->write_conf;
$site->start;
like $site->get('/posts/p')->{body}, qr/Atom feed/, 'original footer';

write_file("$theme/footer.html", "<footer>Edited footer</footer></body></html>\n");
my ($rc, $out) = $site->reload;
is $rc, 0, 'reload accepted';
my $r = $site->get('/posts/p');
is $r->{status}, 200, 'serving after reload';
like $r->{body}, qr/Edited footer/, 'edited template used after reload';

# a broken template: "nginx -s reload" refuses it, and a SIGHUP that reaches
# the master anyway leaves the old configuration running
write_file("$theme/footer.html", "{{#open}}\n");
($rc, $out) = $site->nginx('-s', 'reload');
isnt $rc, 0, 'nginx -s reload refuses a broken template';
like $out, qr/footer.html:1: section "open" is not closed/, 'and says where';
kill 'HUP', $site->master_pid;
BlogTest::wait_for(sub { $site->error_log =~ /footer.html.*section "open" is not closed/ }, 5);
like $site->error_log, qr/footer.html:1: section "open" is not closed/,
    'bad reload logged with file and line';
$r = $site->get('/posts/p');
is $r->{status}, 200, 'old configuration still serves';
like $r->{body}, qr/Edited footer/, 'with the old templates';
$site->stop;

# --- a missing database: 503 with a clear log line, recovers by itself ---

my $missing = new_site(no_db => 1);
$missing->start;
$r = $missing->get('/');
is $r->{status}, 503, 'missing database gives 503';
like $missing->error_log,
    qr/blog database ".*data.db": open failed: unable to open database file.*check that it exists/,
    'error log names the database and the cause';
is $missing->get('/media/x')->{status}, 404, 'media does not need the database';

my ($brc, $bout) = blogctl('-d', $missing->db, 'init');
is $brc, 0, 'database created';
$missing->import_posts($post);
ok BlogTest::wait_for(sub { $missing->get('/posts/p')->{status} == 200 }, 5),
    'served once the database exists';

# --- a database of another schema version ---

my $old = new_site(posts => $post);
sql($old->db, 'PRAGMA user_version = 99');
$old->start;
is $old->get('/')->{status}, 503, 'wrong schema version gives 503';
like $old->error_log, qr/has schema version 99, this module needs \d+: run "blogctl/,
    'schema mismatch explained';

# --- a locked database: 503 while locked, 200 after ---
# WAL readers are never locked out, so this takes a database that was put
# back into rollback-journal mode, where a writer's exclusive lock does.

my $locked = new_site(posts => $post);
sql($locked->db, 'PRAGMA journal_mode = DELETE');
$locked->start;
is $locked->get('/posts/p')->{status}, 200, 'served before the lock';

my $pid = open2(my $lout, my $lin, 'sqlite3', '-batch', $locked->db);
print $lin "BEGIN EXCLUSIVE;\n"
    . "UPDATE posts SET title = 'Locked edit';\nSELECT 'locked';\n";
$lin->flush;
my $ack = <$lout>;
is $ack, "locked\n", 'another process holds an exclusive lock';

my $t0 = time;
$r = $locked->get('/posts/p');
is $r->{status}, 503, 'locked database gives 503';
ok time - $t0 < 3, 'the worker did not wait for the lock';
like $locked->error_log, qr/database is locked.*locked by another process/,
    'lock explained in the error log';

print $lin "COMMIT;\n.quit\n";
close $lin;
waitpid $pid, 0;
ok BlogTest::wait_for(sub { $locked->get('/posts/p')->{body} =~ /Locked edit/ }, 5),
    'served again, with the committed edit, once the lock is gone';

done_testing;
