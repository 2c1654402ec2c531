#!/usr/bin/perl
# Media and theme files: types, validators, Range, 304, and confinement.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BlogTest;

my $site = new_site();
my $media = $site->media;
my $dir = $site->dir;

my $png = "\x89PNG\r\n\x1a\n" . join('', map { chr($_ % 256) } 0 .. 4999);
write_file("$media/photo.png", $png);
write_file("$media/2026/notes.txt", "plain text notes\n");
write_file("$media/inner.txt", "inside the root\n");
write_file("$dir/secret.txt", "TOP SECRET outside the media root\n");
write_file("$media/.hidden", "dot file\n");
mkdir "$dir/outside";
write_file("$dir/outside/secret.txt", "TOP SECRET in another folder\n");
symlink("$dir/secret.txt", "$media/escape.txt") or die "symlink: $!";
symlink("$dir/outside", "$media/linkdir") or die "symlink: $!";
symlink("$media/inner.txt", "$media/alias.txt") or die "symlink: $!";
symlink("/etc/passwd", "$media/passwd") or die "symlink: $!";

$site->start;

my $r = $site->get('/media/photo.png');
is $r->{status}, 200, 'media file';
is $r->{headers}{'content-type'}, 'image/png', 'type from mime.types';
is $r->{headers}{'content-length'}, length $png, 'Content-Length';
is $r->{body}, $png, 'exact bytes';
like $r->{headers}{etag}, qr/^"[0-9a-f]+-[0-9a-f]+"$/, 'ETag';
ok $r->{headers}{'last-modified'}, 'Last-Modified';
is $r->{headers}{'accept-ranges'}, 'bytes', 'Accept-Ranges';

my $etag = $r->{headers}{etag};
my $lm = $r->{headers}{'last-modified'};

$r = $site->get('/media/photo.png', 'If-None-Match' => $etag);
is $r->{status}, 304, 'If-None-Match gives 304';
is $r->{body}, '', '304 has no body';
$r = $site->get('/media/photo.png', 'If-Modified-Since' => $lm);
is $r->{status}, 304, 'If-Modified-Since gives 304';
$r = $site->get('/media/photo.png', 'If-None-Match' => '"other"');
is $r->{status}, 200, 'other ETag gives 200';

$r = $site->get('/media/photo.png', Range => 'bytes=10-19');
is $r->{status}, 206, 'Range gives 206';
is $r->{headers}{'content-range'}, 'bytes 10-19/' . length($png), 'Content-Range';
is $r->{body}, substr($png, 10, 10), 'the range bytes';
$r = $site->get('/media/photo.png', Range => 'bytes=-5');
is $r->{body}, substr($png, -5), 'suffix range';
$r = $site->get('/media/photo.png', Range => 'bytes=99999-');
is $r->{status}, 416, 'unsatisfiable range';

$r = $site->get('/media/2026/notes.txt');
is $r->{status}, 200, 'file in a subfolder';
is $r->{headers}{'content-type'}, 'text/plain', 'text type';

$r = $site->get('/media/alias.txt');
is $r->{status}, 200, 'a symlink that stays inside the root is served';
is $r->{body}, "inside the root\n", 'through the symlink';

$r = $site->request('HEAD', '/media/photo.png');
is $r->{status}, 200, 'HEAD';
is $r->{body}, '', 'HEAD without body';

is $site->get('/media/missing.png')->{status}, 404, 'missing file';
is $site->get('/media/2026')->{status}, 404, 'folder is not served';
is $site->get('/media/2026/')->{status}, 404, 'folder with slash is not served';
is $site->get('/media/')->{status}, 404, 'media root itself';

$r = $site->get('/static/style.css');
is $r->{status}, 200, 'theme static file';
is $r->{headers}{'content-type'}, 'text/css', 'css type';

# Traversal: each must be refused, and none may leak a secret.
my @attacks = (
    '/media/../secret.txt',
    '/media/%2e%2e/secret.txt',
    '/media/%2E%2E/%2E%2E/etc/passwd',
    '/media/..%2fsecret.txt',
    '/media/%2e%2e%2fsecret.txt',
    '/media/.%2e/secret.txt',
    '/media/%252e%252e/secret.txt',
    '/media/..\\secret.txt',
    '/media/%5c..%5csecret.txt',
    '/media/photo.png%00.txt',
    '/media/inner.txt%00/../../secret.txt',
    '/media/escape.txt',
    '/media/linkdir/secret.txt',
    '/media/passwd',
    '/media//etc/passwd',
    '/media/../../../../etc/passwd',
    '/media/.hidden',
    '/media/....//secret.txt',
    '/media/2026/../../secret.txt',
    '/static/../../../data.db',
    '/static/%2e%2e/%2e%2e/secret.txt',
    '/media/%c0%ae%c0%ae/secret.txt',
);

for my $path (@attacks) {
    my $x = $site->get($path);
    isnt $x->{status}, 200, "refused: $path ($x->{status})";
    ok $x->{status} >= 400 && $x->{status} < 500, "client error for $path";
    unlike $x->{raw}, qr/TOP SECRET|root:x:0|SQLite format/, "nothing leaked for $path";
}

my $log = $site->error_log;
like $log, qr/refused file path .*"\.\." segment|refused file path .*dot-file/,
    'refusals are logged with a reason';
like $log, qr/resolves to .*outside of/, 'symlink escape is logged';

done_testing;
