#!/usr/bin/perl
#
# The jobrunner's S3 client (jobrunner/s3/jr_s3*.c) against s3rver, through
# t/tools/jr_s3_tool: PUT, GET, HEAD, DELETE, copy, ListObjectsV2 page by
# page, multipart uploads, on the event loop and synchronously; retries of
# 5xx and throttling, final errors with S3's code, the server down;
# path-style and virtual-host URLs.  The server (t/lib/s3rver.js) checks
# every signature with an independent SigV4 implementation (aws4), and
# what is stored is read back from its files, not through the client.
# The [s3] section's errors are checked with "jobrunner -t".

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::MD5 qw(md5_hex);
use File::Temp qw(tempdir);
use Test::More;
use Time::HiRes qw(time);
use BlogTest;
use BlogS3;

my $tool = "$BlogTest::BUILD/t/tools/jr_s3_tool";
my $jobrunner = "$BlogTest::BUILD/jobrunner";
-x $tool or BAIL_OUT("$tool not built: run make unit");

my $s3 = start_s3rver();
my $dir = tempdir('s3test-XXXXXX', TMPDIR => 1, CLEANUP => 1);

my $nconf = 0;

sub conf {
    my (%opt) = @_;
    my $file = "$dir/jobrunner" . $nconf++ . ".conf";
    write_file($file, "[jobrunner]\ndata_db = $dir/data.db\n" . $s3->conf(%opt));
    return $file;
}

# runs the tool; returns its output line(s) and exit status
sub s3 {
    my ($conf, @args) = @_;
    my $cmd = join ' ', map { quotemeta } $tool, '-c', $conf, @args;
    my $out = `$cmd 2>&1`;
    return wantarray ? ($out, $? >> 8) : $out;
}

my $conf = conf();

# --- objects --------------------------------------------------------------

my $key = "posts/hello world+\xc3\xa9.txt";
my $body = "hello, bucket\n" x 100;
write_file("$dir/body", $body);

my ($out, $rc) = s3($conf, 'put', $key, "$dir/body");
is($rc, 0, 'PUT on the loop') or diag $out;
like($out, qr/^ok etag=${\ md5_hex($body)} attempts=1$/, 'ETag is the MD5 of the body');
is($s3->object($key), $body, 'the server stored the bytes');

like(s3($conf, '-s', 'put', 'sync/one.txt', "$dir/body"), qr/^ok etag=/,
     'PUT synchronously');
is($s3->object('sync/one.txt'), $body, 'stored too');

like(s3($conf, 'head', $key),
     qr/^ok etag=${\ md5_hex($body)} size=${\ length $body} attempts=1$/,
     'HEAD: size and ETag');
like(s3($conf, 'head', 'posts/none'), qr/^error NotFound status=404 attempts=1/,
     'HEAD of a missing key: 404, not retried');

unlink "$dir/got";
like(s3($conf, 'get', $key, "$dir/got"), qr/^ok /, 'GET into memory');
is(read_file("$dir/got"), $body, 'same bytes');
unlink "$dir/got";
like(s3($conf, '-s', 'get', $key, "$dir/got"), qr/^ok /, 'GET into a file');
is(read_file("$dir/got"), $body, 'same bytes');

like(s3($conf, 'get', 'posts/none', "$dir/x"),
     qr/^error NoSuchKey status=404 attempts=1 The specified key does not exist/,
     'GET of a missing key: NoSuchKey, not retried');

like(s3($conf, 'copy', 'sync/one.txt', 'copies/one copy.txt'), qr/^ok etag=/,
     'server-side copy');
ok(wait_for(sub { ($s3->object('copies/one copy.txt') // '') eq $body }, 10),
   'the copy is stored');

like(s3($conf, 'rm', 'copies/one copy.txt'), qr/^ok/, 'DELETE');
ok(!defined $s3->object('copies/one copy.txt'), 'the object is gone');
like(s3($conf, '-s', 'rm', 'copies/never'), qr/^ok/,
     'DELETE of a missing key succeeds, as in S3');

# --- listings -----------------------------------------------------------

my @keys = map { sprintf 'list/%02d-%s', $_, $_ % 2 ? 'odd' : 'even' } 1 .. 7;
write_file("$dir/$_", '') for 'empty';
$out = join '', map { scalar s3($conf, '-s', 'put', $_, "$dir/body") } @keys;
is(scalar(() = $out =~ /^ok /mg), 7, 'seven objects to list') or diag $out;

$out = s3($conf, 'ls', 'list/', 3);
my @pages = $out =~ /^page (\d+):/mg;
is("@pages", '3 3 1', 'ListObjectsV2 in pages of 3, continuation tokens followed');
is(join(' ', $out =~ m{(list/\S+) \d+}g), "@keys", 'every key once, in order');

for my $mode ([], ['-s']) {
    $out = s3($conf, @$mode, 'lsall', 'list/');
    like($out, qr/^ok objects=7$/m, "list_all @$mode: 7 objects");
    like($out, qr{^list/03-odd ${\ length $body} ${\ md5_hex($body)}$}m,
         'with size and ETag');
}

like(s3($conf, 'lsall', 'nothing/'), qr/^ok objects=0$/, 'an empty listing');

# --- multipart -------------------------------------------------------------

my $conf5 = conf(part_size => '5M');
my $big = join '', map { pack('N', $_) x 1024 } 1 .. 3000;   # 12 MB
write_file("$dir/big", $big);

($out, $rc) = s3($conf5, 'upload', 'big/twelve', "$dir/big");
like($out, qr/^ok etag=\S+ size=${\ length $big} parts=3$/,
     'upload of 12 MB with 5 MB parts: a multipart upload of 3 parts')
    or diag $out;
# s3rver answers before its file is all written: wait for it
ok(wait_for(sub { ($s3->object('big/twelve') // '') eq $big }, 10),
   'the parts are joined in order');

like(s3($conf5, 'upload', 'big/small', "$dir/body"),
     qr/^ok etag=${\ md5_hex($body)} size=${\ length $body} parts=0$/,
     'a file under part_size is one PUT');

like(s3($conf5, 'upload', 'big/none', "$dir/no-such-file"),
     qr/^error ReadFailed .*No such file/, 'a missing file is reported');

like(s3($conf, 'mpu', 'big/by-hand', "$dir/big", 5 << 20), qr/^ok etag=/,
     'create, upload parts, complete by hand');
ok(wait_for(sub { ($s3->object('big/by-hand') // '') eq $big }, 10),
   'stored whole');

# --- retries and errors ------------------------------------------------------

$s3->fail(2, 503, 'SlowDown');
like(s3($conf, 'put', 'retry/a', "$dir/body"), qr/^ok etag=\S+ attempts=3$/,
     'two 503 SlowDown, then success on the third attempt');

$s3->fail(2, 500, 'InternalError');
like(s3($conf, '-s', 'get', 'retry/a', "$dir/got"), qr/^ok .*attempts=3$/,
     'synchronous requests retry too');

my $conf2 = conf(max_attempts => 2);
$s3->fail(5, 500, 'InternalError');
my $t0 = time;
like(s3($conf2, 'put', 'retry/b', "$dir/body"),
     qr/^error InternalError status=500 attempts=2 injected by the test$/,
     'max_attempts 2: the error of the last attempt, with its S3 code');
ok(time - $t0 < 10, 'backoff is short at first');
$s3->fail(0, 0, 'none');

like(s3(conf(secret => 'wrong-secret'), 'put', 'x/y', "$dir/body"),
     qr/^error SignatureDoesNotMatch status=403 attempts=1 /,
     'a wrong secret: SignatureDoesNotMatch, not retried');

write_file("$dir/nb.conf", "[jobrunner]\ndata_db = $dir/data.db\n"
           . ($s3->conf =~ s/bucket = \S+/bucket = no-such-bucket/r));
like(s3("$dir/nb.conf", 'put', 'x/y', "$dir/body"),
     qr/^error NoSuchBucket status=404 attempts=1 /, 'NoSuchBucket');

# virtual-host URLs: BUCKET.s3.localhost, which libcurl resolves to loopback
my $vconf = conf(endpoint => 'http://s3.localhost:' . $s3->port,
                 url_style => 'virtual');
like(s3($vconf, 'put', 'vhost/a b.txt', "$dir/body"), qr/^ok/,
     'PUT with a virtual-host URL');
is($s3->object('vhost/a b.txt'), $body, 'stored in the bucket');
like(s3($vconf, 'ls', 'vhost/', 10), qr{^page 1: vhost/a b\.txt}m,
     'listing with a virtual-host URL');

# the server down: connection refused, retried, then reported
$s3->stop;
$t0 = time;
like(s3($conf2, 'put', 'down/a', "$dir/body"),
     qr/^error ConnectFailed status=0 attempts=2 /,
     'server down: ConnectFailed after max_attempts');
$s3->start;
like(s3($conf, 'put', 'down/a', "$dir/body"), qr/^ok/, 'and back');

# --- [s3] in jobrunner.conf -------------------------------------------------

sub check_conf {
    my ($text, %env) = @_;
    write_file("$dir/check.conf", "[jobrunner]\ndata_db = $dir/data.db\n$text");
    local @ENV{keys %env} = values %env;
    delete local @ENV{qw(AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY)}
        unless %env;
    my $out = `$jobrunner -t -c $dir/check.conf 2>&1`;
    return ($out, $? >> 8);
}

my $base = "[s3]\nendpoint = http://127.0.0.1:9\nbucket = b-1\n";
($out, $rc) = check_conf($base . "access_key_id = AK\nsecret_access_key = SEKRIT\n");
is($rc, 0, 'a valid [s3]') or diag $out;

($out, $rc) = check_conf($base);
like($out, qr/check\.conf:3: no S3 credentials: set access_key_id and secret_access_key in \[s3\], or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment/,
     'no credentials: an error naming both ways');
($out, $rc) = check_conf($base, AWS_ACCESS_KEY_ID => 'AK',
                         AWS_SECRET_ACCESS_KEY => 'FROMENV');
is($rc, 0, 'credentials from the environment');

for my $case (
    [ "[s3]\nbucket = b-1\n", qr/:3: missing required key "endpoint" in \[s3\]/ ],
    [ "[s3]\nendpoint = ftp://x\n", qr/:4: invalid endpoint "ftp:\/\/x"/ ],
    [ "[s3]\nendpoint = http://h/path\n", qr/:4: invalid endpoint/ ],
    [ "[s3]\nbucket = Bad_Bucket\n", qr/:4: invalid bucket "Bad_Bucket"/ ],
    [ "[s3]\nurl_style = sideways\n", qr/:4: invalid url_style "sideways"/ ],
    [ "[s3]\npart_size = 1M\n", qr/:4: invalid part_size "1M" \(expected 5M to 5G\)/ ],
    [ "[s3]\nmax_attempts = 0\n", qr/:4: invalid max_attempts "0"/ ],
    [ "[s3]\ntimeout = 2h\n", qr/:4: invalid timeout "2h"/ ],
    [ "[s3]\nregion = a b\n", qr/:4: invalid region/ ],
    [ "[s3]\nendpoint = http://h\nendpoint = http://i\n",
      qr/:5: duplicate key "endpoint" \(first set on line 4\)/ ],
    [ "[s3]\nsecrte_access_key = x\n", qr/:4: unknown key "secrte_access_key" in \[s3\]/ ],
    [ "[s3]\n[s3]\n", qr/:4: duplicate section "\[s3\]" \(first on line 3\)/ ],
    [ "[s3]\nendpoint = https://h\nbucket = a.b\nurl_style = virtual\n"
      . "access_key_id = a\nsecret_access_key = s\n",
      qr/:5: bucket "a\.b" has a dot.*url_style = path/ ],
) {
    ($out, $rc) = check_conf($case->[0]);
    is($rc, 1, "refused: " . ($case->[0] =~ s/\n/ /gr));
    like($out, $case->[1], 'with FILE:LINE and the reason') or diag $out;
}

($out) = check_conf($base . "access_key_id = AK\nsecret_access_key = SEKRIT\n"
                    . "bogus = 1\n");
unlike($out, qr/SEKRIT/, 'the secret is never in a message');

# a jobrunner with [s3] opens the client and closes it on SIGTERM
my $site = new_site();
$site->start_jobrunner($s3->conf(secret => 'SEKRIT-S3RVER'));
is($site->stop_jobrunner, 0, 'a jobrunner with [s3] stops cleanly');
unlike($site->jobrunner_log, qr/SEKRIT/, 'its log holds no secret');

done_testing();
