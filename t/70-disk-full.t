#!/usr/bin/perl
#
# Fault injection: a full disk, for real: small tmpfs mounts, filled up.
#
# The spool folder full while the jobrunner is down: requests are answered
# as ever, the batches that do not fit are counted as dropped (never
# silently), a cut write is taken back, and what was spooled is counted
# once the jobrunner is back: events counted = events spooled, exactly.
#
# data.db's file system full: pages are served; a comment and an admin
# save are refused with 503 and the editor keeps the text; the
# jobrunner's batch fails and waits; once there is room again, everything
# the workers sent is counted exactly once and the database is intact.
#
# Needs mount(2) (root): without it the file says so and skips.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Path qw(make_path);
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;
use BlogAdmin;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';

my @mounts;

# lazily: the servers using them are stopped by BlogTest's END, after ours
END {
    local $?;
    system('umount', '-l', $_) for reverse @mounts;
}

sub mount_tmpfs {
    my ($dir, $size) = @_;
    make_path($dir);
    my $out = `mount -t tmpfs -o size=$size,mode=0755 tmpfs '$dir' 2>&1`;
    return $out if $?;
    push @mounts, $dir;
    return '';
}

# Fills the file system of $dir: a file grown until write() fails.
sub fill {
    my ($dir) = @_;
    open my $fh, '>:raw', "$dir/filler" or die "filler: $!";
    my $block = "\0" x 4096;
    1 while syswrite $fh, $block;
    my $room = syswrite $fh, 'x';
    close $fh;
    return !$room;
}

{
    my $probe = File::Temp::tempdir('blogtest-mount-XXXXXX', TMPDIR => 1,
                                    CLEANUP => 1);
    my $err = mount_tmpfs("$probe/m", '64k');
    plan skip_all => "cannot mount a tmpfs to fill up ($err): needs root or "
                   . 'CAP_SYS_ADMIN' if $err;
    system('umount', "$probe/m");
    @mounts = ();
}

sub metric {
    my ($site, $outcome) = @_;
    return $site->get('/_metrics')->{body}
        =~ /^nginx_blog_events_total\{outcome="$outcome"\} (\d+)$/m ? $1 : -1;
}

sub counted {
    my ($site) = @_;
    return sql($site->db, 'SELECT coalesce(sum(requests), 0) FROM '
                          . 'analytics_daily') + 0;
}


# --- the spool on a full file system ------------------------------------

my $site = new_site(posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nBody.\n",
});
my $d = $site->dir;
is(mount_tmpfs("$d/spool", '64k'), '', 'a 64 KB tmpfs for the spool');
$site->{http} = "blog_events unix:$d/events.sock;\n"
              . "    blog_events_spool $d/spool;\n";
$site->{server} = "location = /_metrics { blog_metrics; blog_events off; }\n";
$site->start;

# the jobrunner is down: every batch goes to the spool, until it is full
my ($N, $ok, $slow) = (0, 0, 0);
for my $round (1 .. 12) {
    for (1 .. 40) {
        my $t0 = time;
        my $r = $site->get('/posts/hello', 'User-Agent' => $FIREFOX);
        $N++;
        $ok++ if $r->{status} == 200;
        $slow++ if time - $t0 > 1;
    }
    # the next requests in a batch of their own: a write each
    sleep 0.15;
}
is($ok, $N, "$N requests answered 200 while the spool filled up");
is($slow, 0, 'none waited on the disk');

my ($sent, $spooled, $dropped) = map { metric($site, $_) }
    qw(sent spooled dropped);
cmp_ok($dropped, '>', 0, "/_metrics: $dropped events dropped, counted");
cmp_ok($spooled, '>', 0, "$spooled spooled before the disk was full");
is($sent + $spooled + $dropped, $N, 'every event sent, spooled or dropped');
like($site->error_log, qr/write to the spool failed, \d+ events dropped/,
     'the error log says why');

# frames end to end, a 2-byte length and a record each: a write cut by the
# full disk must have been taken back, or the rest would be misread
my ($spool) = glob "$d/spool/events.*.spool";
my $data = read_file($spool // '') // '';
my ($pos, $frames) = (0, 0);
while ($pos + 2 <= length $data) {
    $pos += 2 + unpack 'v', substr($data, $pos, 2);
    $frames++;
}
is($pos, length $data, 'the spool file is whole frames, none cut');
is($frames, $spooled, 'one for each spooled event');

# a fresh tmpfs would be empty: free the space the way an admin would
$site->start_jobrunner("events_socket = $d/events.sock\n"
                       . "spool_dir = $d/spool\nspool_scan_ms = 200\n"
                       . "batch_interval_ms = 50\n");
ok(wait_for(sub { counted($site) >= $spooled }, 20),
   'the jobrunner replays the spool')
    or diag $site->jobrunner_log . $site->error_log;
sleep 0.5;
is(counted($site), $spooled, "exactly the $spooled spooled events counted");
unlike($site->jobrunner_log, qr/cut record/,
       'no cut record: a short write was taken back');
ok(wait_for(sub { !glob "$d/spool/events.*" }, 10), 'the spool is emptied');

# and with the jobrunner up, nothing more is dropped
my $before = counted($site);
$site->get('/posts/hello', 'User-Agent' => $FIREFOX) for 1 .. 10;
ok(wait_for(sub { counted($site) == $before + 10 }, 10),
   'events flow again');
is(metric($site, 'dropped'), $dropped, 'no more dropped');
$site->stop_jobrunner;
$site->stop;


# --- data.db on a full file system -------------------------------------

my $full = admin_site(posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nBody.\n",
});
my $fd = $full->dir;
is(mount_tmpfs("$fd/db", '4m'), '', 'a 4 MB tmpfs for data.db');
sql($full->db, "VACUUM INTO '$fd/db/data.db'");
$full->{db} = "$fd/db/data.db";
$full->{server} =~ s{\Q$fd/data.db\E}{$fd/db/data.db}g;
$full->{location} .= "blog_events unix:$fd/events.sock;\n";
$full->start;
$full->start_jobrunner("events_socket = $fd/events.sock\n"
                       . "batch_interval_ms = 50\n");
my $db = $full->db;

my ($res, $jar) = login_as($full, 'admin', 'correct horse battery');
is($res->{status}, 303, 'signed in');
my $id = sql($db, "SELECT id FROM posts WHERE slug = 'hello'");
my $editor = jar_get($full, $jar, "/admin/posts/$id");
my ($base) = $editor->{body} =~ /name="base" value="([^"]+)"/;
my @form = (csrf => csrf_of($editor->{body}), title => 'Hello',
            slug => 'hello', type => 'post', status => 'published',
            published => '', tags => '', summary => '',
            body => "Typed while the disk was full.\n", base => $base,
            action => 'save');

my $pages = 0;
sub page {
    $pages++;
    return $full->get($_[0], 'User-Agent' => $FIREFOX);
}

is(page('/posts/hello')->{status}, 200, 'the post, before the disk fills');
ok(wait_for(sub { counted($full) == $pages }, 10), 'its event counted');

ok(fill("$fd/db"), "data.db's file system is full");

is(page('/posts/hello')->{status}, 200, 'a post is served on a full disk');
is(page('/')->{status}, 200, 'the index too');

my $r = $full->request('POST', '/posts/hello/comments',
                       'Content-Type' => 'application/x-www-form-urlencoded',
                       'User-Agent' => $FIREFOX,
                       _body => 'name=Ann&email=&body=Hello+there');
$pages++;
is($r->{status}, 503, 'a comment: 503');

$r = jar_post($full, $jar, "/admin/posts/$id", [@form]);
is($r->{status}, 503, 'an admin save: 503');
like($r->{body}, qr/Not saved/, 'the editor says it was not saved')
    or diag $r->{raw} . $full->error_log;
like($r->{body}, qr/Typed while the disk was full\./, 'and keeps the text');
like($full->error_log, qr/database or disk is full/, 'logged: disk full');

page('/posts/hello') for 1 .. 10;
ok(wait_for(sub { $full->jobrunner_log =~ /analytics: .*disk is full/ }, 10),
   "the jobrunner's batch fails on the full disk")
    or diag $full->jobrunner_log;
cmp_ok(counted($full), '<', $pages, 'nothing counted meanwhile');

unlink "$fd/db/filler" or die "filler: $!";

ok(wait_for(sub { counted($full) >= $pages }, 15),
   'room again: the batch is committed')
    or diag counted($full) . " of $pages\n" . $full->jobrunner_log;
sleep 0.5;
is(counted($full), $pages, "exactly $pages requests counted");
is(sql($db, 'PRAGMA integrity_check'), 'ok', 'data.db is intact');
is(sql($db, 'SELECT count(*) FROM comments'), 0, 'no half-stored comment');
is(sql($db, "SELECT body_md FROM posts WHERE id = $id"), "Body.\n",
   'the post as it was');

$r = jar_post($full, $jar, "/admin/posts/$id", [@form]);
is($r->{status}, 303, 'the same form saved again: saved');
is(sql($db, "SELECT body_md FROM posts WHERE id = $id"),
   "Typed while the disk was full.\n", 'with the text');

$full->stop_jobrunner;
$full->stop;

done_testing();
