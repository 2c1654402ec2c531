#!/usr/bin/perl
#
# Fault injection: data.db locked by another process (the sqlite3 shell
# holding BEGIN EXCLUSIVE, in WAL mode a writer that does not finish) for
# longer than anyone waits.  Pages are served from the last committed
# snapshot; a comment is refused with 503 and a log line; the admin
# editor says the save did not happen and shows the text again; the
# jobrunner's analytics batch fails, waits, and is counted once, exactly,
# when the lock goes.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Open2;
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;
use BlogAdmin;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';

my $site = admin_site(
    posts => {
        'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nBody.\n",
    },
    location => "blog_events unix:EVENTS;\n",
);
my $d = $site->dir;
my $db = $site->db;
mkdir "$d/spool" or die "mkdir: $!";
$site->{location} =~ s{EVENTS}{$d/events.sock};
$site->{http} = "blog_events_spool $d/spool;\n";
$site->start;
$site->start_jobrunner("events_socket = $d/events.sock\n"
                       . "spool_dir = $d/spool\nspool_scan_ms = 200\n"
                       . "batch_interval_ms = 50\n");

my $pages = 0;      # requests to the blog location: each one an event

sub page {
    my ($path) = @_;
    $pages++;
    return $site->get($path, 'User-Agent' => $FIREFOX);
}

sub counted {
    return sql($db, 'SELECT coalesce(sum(requests), 0) FROM analytics_daily')
           + 0;
}

my ($res, $jar) = login_as($site, 'admin', 'correct horse battery');
is($res->{status}, 303, 'signed in');
my $id = sql($db, "SELECT id FROM posts WHERE slug = 'hello'");
my $editor = jar_get($site, $jar, "/admin/posts/$id");
my $csrf = csrf_of($editor->{body});
my ($base) = $editor->{body} =~ /name="base" value="([^"]+)"/;
ok($csrf && $base, 'the editor of "hello"');

is(page('/posts/hello')->{status}, 200, 'the post, before the lock');
ok(wait_for(sub { counted() == $pages }, 10), 'its event counted');


# --- another process holds the write lock ------------------------------

my $shell = open2(my $from, my $to, 'sqlite3', $db) or die "sqlite3: $!";
print $to "BEGIN EXCLUSIVE;\n"
        . "UPDATE posts SET title = 'Uncommitted' WHERE slug = 'hello';\n"
        . "SELECT 'locked';\n";
$to->flush;
is(scalar <$from>, "locked\n", 'sqlite3 holds BEGIN EXCLUSIVE on data.db');
my $locked_at = time;

my $r = page('/posts/hello');
is($r->{status}, 200, 'a post is served under the lock');
like($r->{body}, qr/<h1[^>]*>Hello</, 'from the last committed snapshot');
unlike($r->{body}, qr/Uncommitted/, "not the writer's uncommitted change");
is(page('/')->{status}, 200, 'the index too');

my $t0 = time;
$r = $site->request('POST', '/posts/hello/comments',
                    'Content-Type' => 'application/x-www-form-urlencoded',
                    'User-Agent' => $FIREFOX,
                    _body => 'name=Ann&email=&body=Hello+there');
$pages++;
is($r->{status}, 503, 'a comment needs a write: 503');
cmp_ok(time - $t0, '<', 3, 'after a short wait, not a hung worker');
like($site->error_log, qr/\[warn\].*comment failed: database is locked/,
     'and a log line saying why');

my @form = (csrf => $csrf, title => 'Hello', slug => 'hello', type => 'post',
            status => 'published', published => '', tags => '',
            summary => '', body => "Written while the database was locked.\n",
            base => $base, action => 'save');
$r = jar_post($site, $jar, "/admin/posts/$id", [@form]);
is($r->{status}, 503, 'an admin save under the lock: 503');
like($r->{body}, qr/Not saved: the database did not take the change/,
     'the editor says it was not saved');
like($r->{body}, qr/Written while the database was locked\./,
     'and shows the text again: nothing typed is lost');
like($site->error_log, qr/save failed: database is locked/, 'logged');

# events keep coming while the jobrunner cannot commit them
page('/posts/hello') for 1 .. 20;

# the jobrunner waits 5 s for a lock, then rolls its batch back
ok(wait_for(sub { $site->jobrunner_log =~ /analytics: .*database is locked/ },
            30), "the jobrunner's batch fails on the lock")
    or diag $site->jobrunner_log;
cmp_ok(counted(), '<', $pages, 'nothing counted meanwhile');
is(page('/posts/hello')->{status}, 200, 'pages are still served');
diag sprintf 'lock held %.1f s', time - $locked_at;

print $to "ROLLBACK;\n.quit\n";
close $to;
waitpid $shell, 0;


# --- the lock is gone ----------------------------------------------------

ok(wait_for(sub { counted() >= $pages }, 15),
   'the held batch is committed once the lock is gone')
    or diag counted() . " of $pages\n" . $site->jobrunner_log;
sleep 0.5;
is(counted(), $pages, "exactly $pages requests counted: none lost, none "
   . 'twice');

is(sql($db, 'SELECT count(*) FROM comments'), 0,
   'the refused comment was not stored');
is(sql($db, "SELECT body_md FROM posts WHERE id = $id"), "Body.\n",
   'the post is as it was');
$r = jar_post($site, $jar, "/admin/posts/$id", [@form]);
is($r->{status}, 303, 'the same form saved again: saved');
is(sql($db, "SELECT body_md FROM posts WHERE id = $id"),
   "Written while the database was locked.\n", 'with the text');
like(page('/posts/hello')->{body}, qr/Written while the database was locked/,
     'and on the site');

$site->stop_jobrunner;


# --- a worker starts while another process holds the file ---------------
# The first reader of a WAL file rebuilds its index, and the last
# connection to close checkpoints it, each under a lock that turns other
# readers away at once.  Workers started together (or by a reload) beside
# the jobrunner or blogctl meet it: a starting worker waits for the lock
# instead of answering 503 for a second (blog_busy_timeout is 0 here).

$site->stop;
$shell = open2($from, $to, 'sqlite3', $db) or die "sqlite3: $!";
print $to "PRAGMA locking_mode = EXCLUSIVE;\nBEGIN EXCLUSIVE;\n"
        . "SELECT 'held ' || count(*) FROM posts;\n";
$to->flush;
is(scalar <$from>, "exclusive\n", 'sqlite3: locking_mode exclusive');
is(scalar <$from>, "held 1\n", 'sqlite3 holds data.db, readers and all');
my $log_before = length $site->error_log;
$site->start;
sleep 0.3;
print $to "COMMIT;\n.quit\n";
close $to;
waitpid $shell, 0;
$r = $site->get('/posts/hello');
is($r->{status}, 200, 'the lock gone, the new workers serve at once');
unlike(substr($site->error_log, $log_before), qr/database is locked/,
       'a starting worker waited for the lock instead of failing');

done_testing();
