#!/usr/bin/perl
#
# [mirror] against s3rver, to a second bucket: the first run sends every
# file of media_root (a multipart one, a name with a space; no .tmp-*
# file, no ttl.db, no symlink); a run after no change sends nothing and
# rewrites nothing; a changed file sends exactly one, a new file one; a
# deleted file stays with delete = off and goes with delete = on; the
# backup's objects are copied; the daily, 1-week and 2-week tiers become
# images of the tier below, deletions included; S3 failing makes the run
# fail with the alert and the next run catch up; [mirror] errors name
# file:line.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Path qw(make_path);
use Test::More;
use Time::HiRes ();
use BlogTest;
use BlogS3;

my $bin = "$BlogTest::BUILD/jobrunner";
-x $bin or BAIL_OUT('jobrunner not built: run make');

my $s3 = start_s3rver(more => ['blog-mirror']);
my $site = new_site();
my $d = $site->dir;
my $m = $site->media;
my $mport = free_port();
my $live = 'site/m/live/media/';

END { $site->stop_jobrunner if $site }

sub conf {
    my (%opt) = @_;
    return "metrics_listen = 127.0.0.1:$mport\nqueue_backoff = 1s\n"
        . $s3->conf(max_attempts => 2, timeout => '5s', part_size => '5M')
        . "[backup]\nprefix = blog/data.db\ninterval_ms = 50\n"
        . "[mirror]\nbucket = blog-mirror\nprefix = site/m\n"
        . "schedule = every 1s\n"
        . "delete = " . ($opt{delete} // 'off') . "\n"
        . ($opt{tiers} // "daily = off\nweekly = off\nbiweekly = off\n");
}

sub metrics {
    my $r = eval { http_request($mport, 'GET', '/metrics') } or return '';
    return $r->{body} // '';
}

sub metric {
    my ($name) = @_;
    return metrics() =~ /^\Q$name\E (\S+)$/m ? $1 : undef;
}

sub runs { metric('jobrunner_mirror_runs_total{tier="live",result="ok"}') // 0 }
sub sent { metric('jobrunner_mirror_sent_total') // 0 }

# two more runs end: the second began after anything done before this call
sub two_runs {
    my $n = runs();
    ok(wait_for(sub { runs() >= $n + 2 }, 30), 'two more mirror runs')
        or diag $site->jobrunner_log;
}

sub mtime { (Time::HiRes::stat($s3->object_path($_[0], 'blog-mirror')))[9] }

sub mkeys {
    my ($prefix) = @_;
    return [ map { substr($_, length $prefix) } $s3->keys($prefix, 'blog-mirror') ];
}

# --- the first run sends every file ------------------------------------------

make_path("$m/sub");
write_file("$m/a.txt", "alpha\n");
write_file("$m/sub/b.bin", join('', map { chr(($_ * 7) % 256) } 1 .. 10000));
write_file("$m/my photo.txt", "a name with a space\n");
my $big = join('', map { pack('N', $_ * 2654435761 % 4294967296) } 1 .. 1_600_000);
write_file("$m/big.bin", $big);                  # 6.4 MB: two parts of 5M
write_file("$m/.tmp-123-4-x", "half written\n");
symlink('/etc/passwd', "$m/passwd") or die "symlink: $!";
# ttl.db is never mirrored, even through a name in media_root
write_file("$d/ttl.db", '');
link("$d/ttl.db", "$m/ttl.db") or die "link: $!";

$site->start_jobrunner(conf());

ok(wait_for(sub { runs() >= 1 }, 60), 'a first mirror run')
    or diag $site->jobrunner_log;
is_deeply(mkeys($live), ['a.txt', 'big.bin', 'my photo.txt', 'sub/b.bin'],
          'every file sent; no .tmp-*, no symlink, no ttl.db');
is(sent(), 4, 'four files sent');
is(metric('jobrunner_mirror_sent_bytes_total'), 6 + 10000 + 20 + length $big,
   'their bytes counted');
ok(($s3->object("${live}sub/b.bin", 'blog-mirror') // '') eq read_file("$m/sub/b.bin"),
   'the stored bytes are the file');
ok(wait_for(sub { ($s3->object("${live}big.bin", 'blog-mirror') // '') eq $big }, 10),
   'the multipart file stored whole');
is($s3->object("${live}my photo.txt", 'blog-mirror'), "a name with a space\n",
   'the name with a space');
is_deeply([ grep { /ttl\.db/ } $s3->keys('', 'blog-mirror'), $s3->keys('') ], [],
          'no ttl.db in either bucket');

# --- no change: nothing sent, nothing rewritten ------------------------------

my %before = map { $_ => mtime("$live$_") } @{ mkeys($live) };
two_runs();
is(sent(), 4, 'no change: no file sent');
is_deeply({ map { $_ => mtime("$live$_") } @{ mkeys($live) } }, \%before,
          'no object rewritten (the multipart one included)');
like($site->jobrunner_log, qr/mirror live: 0 sent \(0 bytes\), \d+ copied, \d+ unchanged, 0 deleted, 0 hashed/,
     'the run logs 0 sent, and reads no file again');

# --- one change, one new file --------------------------------------------------

write_file("$m/a.txt", "alpha, changed\n");
two_runs();
is(sent(), 5, 'a changed file: exactly one sent');
is($s3->object("${live}a.txt", 'blog-mirror'), "alpha, changed\n", 'its new bytes');
is(mtime("${live}sub/b.bin"), $before{'sub/b.bin'}, 'the others untouched');

write_file("$m/sub/c.txt", "new\n");
two_runs();
is(sent(), 6, 'a new file: one sent');
is($s3->object("${live}sub/c.txt", 'blog-mirror'), "new\n", 'stored');

# --- deletions follow only with delete = on ----------------------------------

unlink "$m/sub/b.bin";
two_runs();
ok(defined $s3->object("${live}sub/b.bin", 'blog-mirror'),
   'delete = off: the object of a deleted file stays');

# --- the backup's objects --------------------------------------------------

my @backup = map { substr($_, length 'blog/data.db/') } $s3->keys('blog/data.db/');
ok(scalar @backup, 'the backup stored objects');
ok(wait_for(sub {
    my %have = map { $_ => 1 } @{ mkeys('site/m/live/replica/') };
    !grep { !$have{$_} } @backup
}, 30), 'every backup object copied to live/replica/');
my $one = $backup[0];
ok(($s3->object("site/m/live/replica/$one", 'blog-mirror') // '')
   eq $s3->object("blog/data.db/$one"), 'with its bytes');

$site->stop_jobrunner;

# --- delete = on, and the tiers --------------------------------------------------
#
# The jobrunner writes data.db every second (its queue), so new backup
# segments come all the time: the tiers are compared on media/.

$site->start_jobrunner(conf(delete => 'on', tiers =>
    "daily = every 2s\nweekly = every 3s\nbiweekly = every 4s\n"));

ok(wait_for(sub { !defined $s3->object("${live}sub/b.bin", 'blog-mirror') }, 30),
   'delete = on: the object of the deleted file is deleted');

sub tiers_equal {
    my $want = join ',', @{ mkeys($live) };
    return wait_for(sub {
        join(',', @{ mkeys('site/m/daily/media/') }) eq $want
            && join(',', @{ mkeys('site/m/1-week/media/') }) eq $want
            && join(',', @{ mkeys('site/m/2-week/media/') }) eq $want
    }, 60);
}

ok(tiers_equal(), 'daily/, 1-week/ and 2-week/ hold what live/ holds')
    or diag explain [ mkeys($live), mkeys('site/m/2-week/media/') ];
# a tier copies media/ before replica/: the second may come a moment later
ok(wait_for(sub { scalar @{ mkeys('site/m/2-week/replica/') } }, 30),
   'the backup\'s copies in the tiers too');
is($s3->object('site/m/2-week/media/my photo.txt', 'blog-mirror'),
   "a name with a space\n", 'copied server side, the space in the name too');
ok(wait_for(sub { ($s3->object('site/m/1-week/media/big.bin', 'blog-mirror') // '') eq $big }, 10),
   'the multipart object copied whole');

unlink "$m/sub/c.txt";
ok(wait_for(sub {
    !grep { defined $s3->object("site/m/$_/media/sub/c.txt", 'blog-mirror') }
        qw(live daily 1-week 2-week)
}, 60), 'a deleted file leaves every tier');
ok(tiers_equal(), 'the tiers are still images of live/');
my %tier = map { $_ => mtime("site/m/2-week/media/$_") } @{ mkeys('site/m/2-week/media/') };
my $runs2 = metric('jobrunner_mirror_runs_total{tier="2-week",result="ok"}');
ok(wait_for(sub {
    metric('jobrunner_mirror_runs_total{tier="2-week",result="ok"}') >= $runs2 + 2
}, 30), 'two more 2-week runs');
is_deeply({ map { $_ => mtime("site/m/2-week/media/$_") } @{ mkeys('site/m/2-week/media/') } },
          \%tier, 'a tier run with no change copies nothing again');
ok(metric('jobrunner_mirror_last_success_timestamp_seconds{tier="2-week"}') > 0,
   'last success of the 2-week tier');

# --- S3 failing: the run fails with an alert, the next one catches up ----------

write_file("$m/a.txt", "alpha, while S3 fails\n");
$s3->fail(1000, 500, 'InternalError');
ok(wait_for(sub {
    (metric('jobrunner_alerts_total{kind="mirror.failed"}') // 0) >= 1
}, 30), 'the alert mirror.failed is raised');
like($site->jobrunner_log, qr/alert mirror\.failed: mirror \w[-\w]*: run failed/,
     'the alert is logged');
ok(wait_for(sub {
    (metric('jobrunner_mirror_runs_total{tier="live",result="failed"}') // 0) >= 1
}, 30), 'the failed run counted');
$s3->fail(0, 500, 'InternalError');
ok(wait_for(sub {
    ($s3->object("${live}a.txt", 'blog-mirror') // '') eq "alpha, while S3 fails\n"
}, 60), 'S3 back: the change is sent')
    or diag $site->jobrunner_log;

$site->stop_jobrunner;

# --- configuration ---------------------------------------------------------------

sub check_conf {
    my ($text) = @_;
    write_file("$d/conf/check.conf",
               "[jobrunner]\ndata_db = $d/data.db\nmedia_root = $m\n$text");
    my $o = `$bin -t -c $d/conf/check.conf 2>&1`;
    return ($? >> 8, $o);
}

my $s3c = $s3->conf;
my $n = 5 + ($s3c =~ tr/\n//);      # the line after "[mirror]"
for my $case (
    [ "[mirror]\n", qr/check\.conf:4: \[mirror\] needs an \[s3\] section/ ],
    [ "$s3c\[mirror]\nbucket = Bad_Bucket\n", qr/check\.conf:$n: invalid bucket "Bad_Bucket"/ ],
    [ "$s3c\[mirror]\ndelete = maybe\n", qr/check\.conf:$n: invalid delete "maybe" \(expected on or off\)/ ],
    [ "$s3c\[mirror]\ndaily = sometimes\n", qr/check\.conf:$n: invalid schedule "sometimes" for "daily"/ ],
    [ "$s3c\[mirror]\nreplica = on\n", qr/check\.conf:$n: \[mirror\] replica = on needs a \[backup\] section/ ],
    [ "$s3c\[mirror]\nprefix = a//b\n", qr/check\.conf:$n: invalid prefix "a\/\/b"/ ],
    [ "$s3c\[mirror]\nmedia = off\n", qr/check\.conf:\d+: \[mirror\] has nothing to mirror/ ],
    [ "$s3c\[mirror]\ninterval = 1h\n", qr/check\.conf:$n: unknown key "interval" in \[mirror\]/ ],
) {
    my ($crc, $o) = check_conf($case->[0]);
    is($crc, 1, 'refused: ' . (split /\n/, $case->[0])[-1]);
    like($o, $case->[1], 'with file:line and the reason') or diag $o;
}

my ($crc, $o) = check_conf("$s3c\[mirror]\nbiweekly = biweekly sun 02:30\n");
is($crc, 0, 'a biweekly schedule is taken') or diag $o;

done_testing();
