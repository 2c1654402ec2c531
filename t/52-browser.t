#!/usr/bin/perl
# The admin panel in a real browser: headless Chromium (Debian's, driven by
# playwright-core from npm) signs in, writes a post with the live preview,
# publishes it and finds it on the site.  The screenshot is kept in the
# test's folder and copied to build/screenshots/.

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

done_testing;
