#!/usr/bin/perl
#
# A sysadmin's look at analytics.db with the sqlite3 shell.  The views are
# packs (analytics.db migration 10) that only the build's SQLite
# extension reads: after real traffic through nginx and the jobrunner,
# `sqlite3 -cmd '.load build/blog_sqlite' analytics.db` counts them and
# shows their pages and referrers, and so does Python's sqlite3 when it
# can load extensions; without the extension the shell says which
# function is missing, and a corrupt pack is an SQL error, not a crash.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Open3;
use Symbol qw(gensym);
use Test::More;
use Time::HiRes qw(sleep);
use BlogTest;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $EXT = "$BlogTest::BUILD/blog_sqlite";
ok(-e "$EXT.so", 'make all built the extension, blog_sqlite.so');

my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';

my $site = new_site(posts => {
    'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
});
my $d = $site->dir;
my $adb = "$d/analytics.db";
my $sock = "$d/events.sock";

mkdir "$d/spool" or die "mkdir: $!";
$site->{http} = "blog_events unix:$sock;\n"
              . "    blog_events_spool $d/spool max=1m;\n"
              . "    set_real_ip_from 127.0.0.1;\n"
              . "    real_ip_header X-Forwarded-For;\n";
$site->start;
$site->start_jobrunner("events_socket = $sock\nspool_dir = $d/spool\n"
                       . "batch_interval_ms = 20\nspool_scan_ms = 100\n");

# sqlite3 as a sysadmin runs it: (exit status, stdout, stderr)
sub shell {
    my (@args) = @_;
    my $pid = open3(my $in, my $out, my $err = gensym, sqlite3_command(),
                    '-batch', @args);
    close $in;
    local $/;
    my $o = <$out> // '';
    my $e = <$err> // '';
    waitpid $pid, 0;
    s/\n\z// for $o, $e;
    return ($?, $o, $e);
}

# --- real traffic: 3 readers, 2 pages each, one from a link ------------

my $ok = 0;
for my $i (1 .. 3) {
    my %h = ('User-Agent' => $FIREFOX, 'X-Forwarded-For' => "8.8.8.$i");
    $ok++ if $site->get('/', %h, $i == 1
                        ? (Referer => 'https://news.example.org/item?id=7')
                        : ())->{status} == 200;
    $ok++ if $site->get('/posts/hello', %h)->{status} == 200;
}
is($ok, 6, '6 pages of 3 readers answered 200');
ok(wait_for(sub {
    sql($adb, 'SELECT coalesce(sum(views), 0) FROM analytics_daily') == 6
}, 20), 'the jobrunner counted 6 views')
    or diag $site->jobrunner_log;

# --- the sysadmin's look, with the extension -----------------------------

my ($rc, $out, $err) = shell('-cmd', ".load $EXT", $adb,
                             'SELECT count(*) FROM analytics_views');
is($rc, 0, "sqlite3 -cmd '.load build/blog_sqlite' succeeds") or diag $err;
is($out, 6, '... and counts the 6 views in analytics_views');
is($err, '', '... with nothing on stderr');

($rc, $out) = shell('-cmd', ".load $EXT", $adb,
                    'SELECT path, count(DISTINCT visit), count(*)'
                    . ' FROM analytics_views GROUP BY path ORDER BY path');
is($out, "/|3|3\n/posts/hello|3|3", 'per page: 3 visits, 3 views each');
($rc, $out) = shell('-cmd', ".load $EXT", $adb,
                    "SELECT ref_host || ref_path FROM analytics_views"
                    . " WHERE ref_host <> ''");
is($out, 'news.example.org/item', "the link's referrer, as a string");
($rc, $out) = shell('-cmd', ".load $EXT", $adb,
                    'SELECT (SELECT sum(views) FROM analytics_hit_packs),'
                    . ' (SELECT count(*) FROM analytics_hit_packs AS p,'
                    . ' blog_hits(p.hits)),'
                    . ' (SELECT count(*) FROM analytics_hits)');
is($out, '6|6|6', 'the packs hold 6 views, blog_hits() reads them all, and'
                  . ' analytics_hits too');
($rc, $out) = shell('-readonly', '-cmd', ".load $EXT", $adb,
                    'SELECT count(*) FROM analytics_views');
is("$rc $out", '0 6', 'read-only too');

# --- without it: the missing function is named, nothing crashes --------

($rc, $out, $err) = shell($adb, 'SELECT count(*) FROM analytics_views');
is($rc & 127, 0, 'without the extension sqlite3 is not killed by a signal');
isnt($rc >> 8, 0, '... it fails');
like($err, qr/blog_hits/, '... naming the missing function, blog_hits')
    or diag $err;
($rc, $out, $err) = shell($adb, 'SELECT count(*), sum(views)'
                                . ' FROM analytics_hit_packs');
is("$rc $out", '0 ' . sql($adb, 'SELECT count(*), sum(views)'
                                 . ' FROM analytics_hit_packs'),
   '... while the packs are a table any sqlite3 reads');

# --- a corrupt pack: an SQL error that says why ---------------------------

for my $bad (["x'02'", 'another version'], ["x'0105'", 'views cut short'],
             ["x'01010102030405060700'", 'a byte after the last view']) {
    ($rc, $out, $err) = shell('-cmd', ".load $EXT", ':memory:',
                              "SELECT count(*) FROM blog_hits($bad->[0])");
    ok(($rc & 127) == 0 && $rc >> 8 != 0 && $err =~ /\S/,
       "a pack of $bad->[1]: an SQL error, no crash") or diag "$rc: $err";
}

# --- Python's sqlite3, when it can load an extension ---------------------

my ($python) = grep {
    `$_ -c 'import sqlite3; sqlite3.connect(":memory:").enable_load_extension' 2>/dev/null`;
    $? == 0
} grep { -x } map { ("$_/python3") } split /:/, $ENV{PATH} // '';
SKIP: {
    skip 'no python3 here whose sqlite3 loads extensions', 1 unless $python;
    my $env = join ' ', map { quotemeta } sanitizer_env('python3');
    my $n = `$env $python -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.enable_load_extension(True)
db.load_extension(sys.argv[2])
print(db.execute("SELECT count(*) FROM analytics_views").fetchone()[0])' $adb $EXT`;
    chomp $n;
    is($n, 6, "Python ($python): enable_load_extension, load_extension,"
              . ' the 6 views');
}

$site->stop_jobrunner;
unlike($site->jobrunner_log, qr/ \[error\] /, 'no error logged');
$site->stop;

done_testing();
