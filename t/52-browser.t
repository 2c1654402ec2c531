#!/usr/bin/perl
# The admin panel in a real browser: headless Chromium (Debian's, driven by
# playwright-core from npm) signs in, writes a post with the live preview,
# publishes it and finds it on the site.  Then live updates: a post page
# follows its view counter and new comments through the jobrunner's hub.
# The screenshots are kept in the tests' folders and copied to
# build/screenshots/.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Copy qw(copy);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Test::More;
use BlogTest;
use BlogAdmin;

my $chromium = $ENV{CHROMIUM} // '/usr/bin/chromium';
my $profile = tempdir('chromium-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# skip only when the browser itself cannot run here
my $probe = `timeout 60 $chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir=$profile/probe --dump-dom about:blank 2>&1`;
if ($? != 0 || $probe !~ /<html/) {
    plan skip_all => "chromium cannot start here ($chromium): "
                   . (split /\n/, $probe // '')[0];
}

ok -d "$BlogTest::ROOT/node_modules/playwright-core",
    'playwright-core is installed (make test runs npm ci)'
    or BAIL_OUT('run "npm ci" in the repository first');

my $site = admin_site();
$site->start;

my $shot = $site->dir . '/publish.png';
local $ENV{BASE} = 'http://127.0.0.1:' . $site->port;
local $ENV{USER} = 'admin';
local $ENV{PASS} = 'correct horse battery';
local $ENV{SHOT} = $shot;
local $ENV{PROFILE} = "$profile/run";
local $ENV{CHROMIUM} = $chromium;
local $ENV{NODE_PATH} = "$BlogTest::ROOT/node_modules";

my $out = `timeout 120 node $FindBin::Bin/browser/publish.js 2>&1`;
my $rc = $? >> 8;
diag $out if $rc;
is $rc, 0, 'the browser script finished';
like $out, qr/^ok: the panel sends a stranger to sign in$/m, 'sent to sign in';
like $out, qr/^ok: signed in$/m, 'signed in';
like $out, qr/^ok: live preview: written in Chromium$/m, 'the live preview rendered the Markdown';
like $out, qr/^ok: published: Created\.$/m, 'saved as published';
like $out, qr/^ok: on the site: Written in a browser$/m, 'the post is on the site';

is sql($site->db, "SELECT status, title FROM posts WHERE slug = 'written-in-a-browser'"),
    'published|Written in a browser', 'the row is published';
is sql($site->db, "SELECT origin FROM revisions"), 'admin:admin', 'revision by the panel';

my $png = read_file($shot) // '';
is substr($png, 0, 8), "\x89PNG\r\n\x1a\n", 'the screenshot is a PNG';
cmp_ok length $png, '>', 5000, '... of a real page';

my $keep = "$BlogTest::ROOT/build/screenshots";
make_path($keep);
ok copy($shot, "$keep/admin-publish.png"), "copied to build/screenshots/admin-publish.png";

# --- live updates through nginx and the jobrunner's hub ---------------

my $live = admin_site(
    location => "blog_live_url /events/;\n",
    posts => { 'live.md' => "---\ntitle: Live\ndate: 2026-10-01\n---\nWatch.\n" },
);
my $ld = $live->dir;
$live->{http} = "blog_events unix:$ld/events.sock;\n";
$live->{server} .= <<"EOF";
        location /events/ {
            blog_events off;
            proxy_pass http://unix:$ld/sse.sock:;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }
EOF
$live->start;
$live->start_jobrunner("events_socket = $ld/events.sock\nbatch_interval_ms = 20\n"
                       . "sse_socket = $ld/sse.sock\n");

my $live_shot = "$ld/live.png";
local $ENV{BASE} = 'http://127.0.0.1:' . $live->port;
local $ENV{SLUG} = 'live';
local $ENV{SHOT} = $live_shot;
local $ENV{PROFILE} = "$profile/live";

$out = `timeout 120 node $FindBin::Bin/browser/live.js 2>&1`;
$rc = $? >> 8;
diag $out if $rc;
is $rc, 0, 'the live script finished'
    or diag $live->jobrunner_log, sql($live->db, 'SELECT * FROM analytics_path_totals');
like $out, qr/^ok: the page shows \d+ views$/m, 'the page shows its views';
like $out, qr/^ok: live counter: \d+$/m, "another tab's view moves the counter";
like $out, qr/^ok: live comment: without a reload$/m, 'a new comment appears without a reload';
$png = read_file($live_shot) // '';
is substr($png, 0, 8), "\x89PNG\r\n\x1a\n", 'the live screenshot is a PNG';
ok copy($live_shot, "$keep/live-post.png"), "copied to build/screenshots/live-post.png";
$live->stop_jobrunner;

done_testing;
