#!/usr/bin/perl
#
# Thumbnails: widths, formats, EXIF orientation, metadata, animations,
# never upscaling, corrupt, empty and huge files; the module's srcset;
# new files picked up by the media watch.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use Test::More;
use Time::HiRes qw(time);
use BlogTest;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

sub run_ok {
    my (@cmd) = @_;
    system(@cmd) == 0 or BAIL_OUT("@cmd: failed ($?)");
}

# "WxH" of a file, or of each frame of an animation
sub dims {
    my ($file) = @_;
    my $out = `identify -format '%wx%h\\n' '$file' 2>/dev/null`;
    return join ' ', split /\n/, $out;
}

sub exif {
    my ($file, $tag) = @_;
    my $out = `exiftool -s3 -$tag '$file' 2>/dev/null`;
    chomp $out;
    return $out;
}

sub pixel {
    my ($file, $x, $y) = @_;
    return `convert '$file' -format '%[pixel:p{$x,$y}]' info: 2>/dev/null`;
}

my $post = "---\ntitle: Pictures\ndate: 2026-05-01\n---\n"
    . "![A photo](/media/photo.jpg)\n\n![Upright](/media/rotated.jpg)\n\n"
    . "![Tiny](/media/small.jpg)\n\n![Broken](/media/corrupt.jpg)\n\n"
    . "![Moving](/media/anim.gif)\n\n![Remote](https://example.org/x.jpg)\n";

my $site = new_site(posts => { 'pictures.md' => $post });
my $m = $site->media;
my $db = $site->db;

# a photo with metadata that must not leak into the variants
run_ok('convert', '-size', '2000x1500', 'plasma:fractal', "$m/photo.jpg");
run_ok('exiftool', '-q', '-overwrite_original', '-Artist=Jane Doe',
       '-GPSLatitude=48.2', '-GPSLatitudeRef=N', "$m/photo.jpg");

# stored 600x300, red left, blue right; EXIF says "rotate 90 CW" to show
run_ok('convert', '-size', '300x300', 'xc:red', '-size', '300x300',
       'xc:blue', '+append', "$m/rotated.jpg");
run_ok('exiftool', '-q', '-overwrite_original', '-Orientation=6', '-n',
       "$m/rotated.jpg");

run_ok('convert', '-size', '100x80', 'xc:green', "$m/small.jpg");
run_ok('convert', '-size', '400x300', 'xc:red', 'xc:green', 'xc:blue',
       '-loop', '0', "$m/anim.gif");
mkdir "$m/art";
run_ok('convert', '-size', '800x600', 'xc:none', '-fill', 'orange',
       '-draw', 'circle 400,300 400,100', "$m/art/logo.png");

# corrupt: the first third of a JPEG; empty; text named .png
open my $fh, '<:raw', "$m/photo.jpg" or die $!;
read $fh, my $head, (-s "$m/photo.jpg") / 3;
close $fh;
write_file("$m/corrupt.jpg", $head);
write_file("$m/empty.jpg", '');
write_file("$m/notes.png", "not an image\n");

utime time - 10, time - 10, glob("$m/*.*"), "$m/art/logo.png";

$site->start;

my $page = $site->get('/posts/pictures')->{body};
like($page, qr{<img src="/media/photo\.jpg" alt="A photo" />},
     'before the jobrunner: the plain img');
unlike($page, qr{srcset}, 'before the jobrunner: no srcset');

$site->start_jobrunner("threadpool_size = 2\nthumb_widths = 160 320 640 1280\n");

ok(wait_for(sub {
    sql($db, "SELECT count(*) FROM jobs WHERE kind = 'thumb'"
             . " AND state IN ('done', 'dead')") == 8
}, 60), 'all 8 files processed') or diag $site->jobrunner_log;

my %media = map { my @f = split /\|/; ($f[0] => \@f) }
    split /\n/, sql($db, 'SELECT path, hash, width, height, format FROM media');

sub variants {
    my ($path) = @_;
    return [ split /\n/, sql($db, "SELECT v.format || ' ' || v.width || 'x'"
        . " || v.height || ' ' || v.path FROM media_variants v JOIN media m"
        . " ON m.id = v.media_id WHERE m.path = '$path'"
        . " ORDER BY v.format, v.width") ];
}

# --- the photo: widths, formats, names, metadata ---------------------

my $hash = substr(sha256_hex(read_file("$m/photo.jpg")), 0, 16);
is($media{'photo.jpg'}[1], sha256_hex(read_file("$m/photo.jpg")),
   'media row holds the SHA-256 of the file');
is_deeply(variants('photo.jpg'), [
    "jpeg 160x120 thumbs/$hash-160.jpg",
    "jpeg 320x240 thumbs/$hash-320.jpg",
    "jpeg 640x480 thumbs/$hash-640.jpg",
    "jpeg 1280x960 thumbs/$hash-1280.jpg",
    "webp 160x120 thumbs/$hash-160.webp",
    "webp 320x240 thumbs/$hash-320.webp",
    "webp 640x480 thumbs/$hash-640.webp",
    "webp 1280x960 thumbs/$hash-1280.webp",
], 'photo: 4 widths in JPEG and WebP, named by content hash');

is(dims("$m/thumbs/$hash-640.jpg"), '640x480', 'the 640 JPEG is 640x480');
is(dims("$m/thumbs/$hash-1280.webp"), '1280x960', 'the 1280 WebP is 1280x960');
like(`file -b '$m/thumbs/$hash-320.webp'`, qr/Web\/P image/,
     'the .webp file is WebP');
is(exif("$m/photo.jpg", 'Artist'), 'Jane Doe', 'the original has an Artist');
is(exif("$m/thumbs/$hash-640.jpg", 'Artist'), '', 'the variant has none');
is(exif("$m/thumbs/$hash-640.jpg", 'GPSLatitude'), '',
   'nor a GPS position');

# --- EXIF orientation --------------------------------------------------

my $rhash = substr($media{'rotated.jpg'}[1], 0, 16);
is("$media{'rotated.jpg'}[2]x$media{'rotated.jpg'}[3]", '300x600',
   'rotated: recorded upright, 300x600');
is_deeply(variants('rotated.jpg'), [
    "jpeg 160x320 thumbs/$rhash-160.jpg",
    "webp 160x320 thumbs/$rhash-160.webp",
], 'rotated: only the width below its own, portrait');
is(dims("$m/thumbs/$rhash-160.jpg"), '160x320', 'the file is portrait');
like(pixel("$m/thumbs/$rhash-160.jpg", 80, 10), qr/srgb\((2[0-9]{2}),\d{1,2},\d{1,2}\)/,
     'rotated as EXIF says: red on top');
like(pixel("$m/thumbs/$rhash-160.jpg", 80, 310), qr/srgb\(\d{1,2},\d{1,2},2[0-9]{2}\)/,
     'and blue at the bottom');
is(exif("$m/thumbs/$rhash-160.jpg", 'Orientation'), '',
   'no orientation tag left to apply twice');

# --- PNG with alpha, animated GIF, never upscale ------------------------

my $phash = substr($media{'art/logo.png'}[1], 0, 16);
is_deeply(variants('art/logo.png'), [
    "png 160x120 thumbs/$phash-160.png",
    "png 320x240 thumbs/$phash-320.png",
    "png 640x480 thumbs/$phash-640.png",
    "webp 160x120 thumbs/$phash-160.webp",
    "webp 320x240 thumbs/$phash-320.webp",
    "webp 640x480 thumbs/$phash-640.webp",
], 'a PNG in a folder: PNG and WebP below its 800 px');
like(`identify -format '%A' '$m/thumbs/$phash-320.png'`, qr/^(True|Blend)/i,
     'the PNG variant keeps its transparency');

my $ghash = substr($media{'anim.gif'}[1], 0, 16);
is_deeply(variants('anim.gif'), [
    "gif 160x120 thumbs/$ghash-160.gif",
    "gif 320x240 thumbs/$ghash-320.gif",
    "webp 160x120 thumbs/$ghash-160.webp",
    "webp 320x240 thumbs/$ghash-320.webp",
], 'animated GIF: GIF and WebP variants');
is(dims("$m/thumbs/$ghash-320.gif"), '320x240 320x240 320x240',
   'the GIF variant keeps its 3 frames');
is(dims("$m/thumbs/$ghash-160.webp"), '160x120 160x120 160x120',
   'so does the WebP one');

is_deeply(variants('small.jpg'), [], 'a 100 px image: no variants');
is("$media{'small.jpg'}[2]x$media{'small.jpg'}[3]", '100x80',
   'but its size is recorded');

# --- failures: dead at once, with a reason ------------------------------

my %dead = map { my ($k, $e) = split /\|/, $_, 2; ($k =~ /^thumb:([^:]+)/)[0] => $e }
    split /\n/, sql($db, "SELECT dedupe_key, last_error FROM jobs"
                         . " WHERE state = 'dead'");

is_deeply([ sort keys %dead ], [ 'corrupt.jpg', 'empty.jpg', 'notes.png' ],
          'corrupt, empty and non-image files are dead jobs');
like($dead{'corrupt.jpg'}, qr/corrupt\.jpg: .*(Premature end|truncated)/i,
     'corrupt: libvips says why');
is($dead{'empty.jpg'}, 'empty.jpg is empty (0 bytes)', 'empty: says so');
like($dead{'notes.png'}, qr/notes\.png: not a JPEG, PNG, GIF or WebP image/,
     'not an image: says so');
is(sql($db, "SELECT max(attempts) FROM jobs WHERE state = 'dead'"), 1,
   'a bad file is not retried');
like($site->jobrunner_log, qr/\[error\] job \d+ \(thumb thumb:corrupt\.jpg:[^)]*\) dead after 1 attempt/,
     'and the log says so');
ok(kill(0, $site->{jobrunner}), 'the jobrunner is still running');

# --- srcset in the module ------------------------------------------------

$page = $site->get('/posts/pictures')->{body};
my $sizes = '(max-width: 42rem) 100vw, 42rem';
my $webp = join ', ', map { "/media/thumbs/$hash-$_.webp ${_}w" } 160, 320, 640, 1280;
my $jpeg = join ', ', (map { "/media/thumbs/$hash-$_.jpg ${_}w" } 160, 320, 640, 1280),
    '/media/photo.jpg 2000w';

like($page, qr{\Q<picture><source type="image/webp" srcset="$webp" sizes="$sizes"><img src="/media/photo.jpg" alt="A photo" srcset="$jpeg" sizes="$sizes" width="2000" height="1500" /></picture>\E},
     'the photo: picture, WebP source, srcset with the original, size')
    or diag $page;
like($page, qr{<img src="/media/rotated\.jpg" alt="Upright" srcset="[^"]*-160\.jpg 160w, /media/rotated\.jpg 300w" sizes="[^"]*" width="300" height="600" />},
     'the rotated photo: upright width and height');
like($page, qr{<img src="/media/small\.jpg" alt="Tiny" width="100" height="80" />},
     'the small one: width and height only');
like($page, qr{<img src="/media/corrupt\.jpg" alt="Broken" />},
     'the corrupt one: as it was');
like($page, qr{<img src="https://example\.org/x\.jpg" alt="Remote" />},
     'a remote image: as it was');

my $r = $site->get("/media/thumbs/$hash-320.webp");
is($r->{status}, 200, 'a variant is served');
is($r->{headers}{'content-type'}, 'image/webp', 'as image/webp');

# --- a new file: the watch picks it up ----------------------------------

run_ok('convert', '-size', '700x500', 'gradient:white-black', "$m/art/new.jpg");
my $t0 = time;
ok(wait_for(sub {
    sql($db, "SELECT count(*) FROM media_variants v JOIN media m"
             . " ON m.id = v.media_id WHERE m.path = 'art/new.jpg'") == 6
}, 20), 'a file added to a folder gets its variants') or diag $site->jobrunner_log;
cmp_ok(time - $t0, '<', 15, sprintf('without waiting for the hourly scan '
       . '(%.1f s)', time - $t0));

$site->stop_jobrunner;
$site->stop;


# --- a 20000x20000 JPEG within the memory cap ---------------------------

my $big = new_site();
my $bm = $big->media;
run_ok('vips', 'black', "$bm/huge.jpg", 20000, 20000, '--bands', '3');
utime time - 10, time - 10, "$bm/huge.jpg";

$big->start_jobrunner("thumb_memory_mb = 256\n");
ok(wait_for(sub {
    sql($big->db, "SELECT state FROM jobs WHERE kind = 'thumb'") eq 'done'
}, 60), '20000x20000 JPEG: done') or diag $big->jobrunner_log;

my ($rss) = $big->jobrunner_log =~ /thumb huge\.jpg: jpeg 20000x20000, 6 variants in \d+ ms, peak RSS (\d+) MB/;
ok(defined $rss, '20000x20000 JPEG: 3 widths x 2 formats, peak RSS logged');
cmp_ok($rss // 1e9, '<', 256, "peak RSS $rss MB, under thumb_memory_mb 256 "
       . '(a full decode would be 1144 MB)');
$big->stop_jobrunner;

# over thumb_max_pixels: refused before any decoding
# other bytes than huge.jpg (data after the JPEG's end marker), so it is
# a new content hash that no earlier variant can stand in for
write_file("$bm/huge2.jpg", read_file("$bm/huge.jpg") . "\0");
$big->start_jobrunner("thumb_max_pixels = 100M\n");
ok(wait_for(sub {
    sql($big->db, "SELECT count(*) FROM jobs WHERE state = 'dead'") == 1
}, 30), 'over thumb_max_pixels: dead') or diag $big->jobrunner_log;
like(sql($big->db, "SELECT last_error FROM jobs WHERE state = 'dead'"),
     qr/^huge2\.jpg: 20000x20000 is 400000000 pixels, more than thumb_max_pixels \(100000000\)$/,
     'with the reason');
$big->stop_jobrunner;


# --- a restart within the second still scans at start ---------------------
# Regression: the start-up scan's dedupe key was "thumb_scan:event-SECOND-0"
# in every run, so a jobrunner restarted within the second found it taken
# by the last run's and scanned nothing (a CI flake of the test above).
# The rows the last run would have left, for the coming seconds:

my $re = new_site();
run_ok('vips', 'black', $re->media . '/first.jpg', 64, 64);
utime time - 10, time - 10, $re->media . '/first.jpg';
$re->start_jobrunner;
ok(wait_for(sub {
    sql($re->db, "SELECT count(*) FROM jobs WHERE kind = 'thumb'"
        . " AND state = 'done'") == 1
}, 30), 'restart: the first run thumbnails its file') or diag $re->jobrunner_log;
$re->stop_jobrunner;

my $now = int time;
sql($re->db, join ';', map {
    "INSERT INTO jobs (kind, dedupe_key, state, run_after, created_at,"
    . " updated_at) VALUES ('thumb_scan', 'thumb_scan:event-$_-0', 'done',"
    . " $_, $_, $_)"
} $now .. $now + 60);

run_ok('vips', 'black', $re->media . '/second.jpg', 64, 64);
utime time - 10, time - 10, $re->media . '/second.jpg';
$re->start_jobrunner;
ok(wait_for(sub {
    sql($re->db, "SELECT count(*) FROM jobs WHERE kind = 'thumb'"
        . " AND state = 'done'") == 2
}, 30), 'restart: the next run scans at start and finds the file added '
   . 'meanwhile') or diag $re->jobrunner_log;
$re->stop_jobrunner;

done_testing();
