package BlogS3;

# An S3 server for the tests: s3rver (npm, pinned in package.json) behind
# t/lib/s3rver.js, which checks every request's Signature Version 4 with
# the aws4 package and can inject failures.  On 127.0.0.1, an ephemeral
# port, a temporary folder; stopped at END, so a failing test leaves no
# process behind.
#
#   my $s3 = start_s3rver();
#   $s3->endpoint   # http://127.0.0.1:PORT
#   $s3->conf       # an [s3] section for jobrunner.conf
#   $s3->object(KEY)            # the stored bytes, read from s3rver's files
#   $s3->keys(PREFIX)           # stored keys, sorted
#   start_s3rver(more => ['b2']), $s3->object(KEY, 'b2'), $s3->keys(P, 'b2'),
#   $s3->object_path(KEY, 'b2') # a second bucket
#   $s3->fail(N, STATUS, CODE)  # the next N requests fail so, or misbehave:
#                               # (N, "slow", MS), (N, "garbage"), (N, "reset"),
#                               # (N, "cut"); see t/lib/s3rver.js
#   $s3->stop; $s3->start;      # down and back, same port and objects
#   $s3->requests               # every signed request so far: hashes
#                               # { op, bucket, key, agent, prefix }, in
#                               # order (prefix: a LIST's)
#   $s3->count(OP)              # how many of them were OP ("LIST", ...)

use strict;
use warnings;

use Exporter 'import';
use File::Find;
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep);

use BlogTest qw(free_port wait_for write_file read_file);

our @EXPORT = qw(start_s3rver);

my @servers;

END {
    local $?;
    $_->stop for @servers;
}

sub start_s3rver {
    my (%opt) = @_;
    my $self = bless {
        dir    => tempdir('blogs3-XXXXXX', TMPDIR => 1, CLEANUP => 1),
        port   => free_port(),
        bucket => $opt{bucket} // 'blog-backups',
        more   => $opt{more} // [],
    }, __PACKAGE__;
    push @servers, $self;
    $self->start;
    return $self;
}

sub endpoint { "http://127.0.0.1:$_[0]{port}" }
sub bucket   { $_[0]{bucket} }
sub port     { $_[0]{port} }
sub dir      { $_[0]{dir} }

# The [s3] section of a jobrunner.conf for this server.
sub conf {
    my ($self, %opt) = @_;
    my $text = "[s3]\nendpoint = " . ($opt{endpoint} // $self->endpoint)
        . "\nbucket = $self->{bucket}\nregion = us-east-1\n"
        . "access_key_id = S3RVER\n"
        . "secret_access_key = " . ($opt{secret} // 'S3RVER') . "\n";
    for my $k (sort keys %opt) {
        next if $k eq 'endpoint' || $k eq 'secret';
        $text .= "$k = $opt{$k}\n";
    }
    return $text;
}

sub start {
    my ($self) = @_;
    my $js = "$BlogTest::ROOT/t/lib/s3rver.js";
    my $log = "$self->{dir}/s3rver.log";
    unlink "$self->{dir}/fail";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>>', $log or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        # s3rver's continuation tokens are DES-encrypted, which OpenSSL 3
        # keeps in its legacy provider (Debian's libssl3 ships it)
        exec 'node', '--openssl-legacy-provider', $js, $self->{dir},
            $self->{port}, join(',', $self->{bucket}, @{ $self->{more} })
            or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    wait_for(sub {
        (read_file($log) // '') =~ /listening $self->{port}/
            || waitpid($pid, WNOHANG) == $pid
    }, 30);
    die "s3rver did not start:\n" . (read_file($log) // '')
        unless (read_file($log) // '') =~ /listening $self->{port}/
               && kill 0, $pid;
    # the log's line is there for the next start too
    write_file($log, '');
    return $self;
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    kill 'TERM', $pid;
    wait_for(sub { waitpid($pid, WNOHANG) == $pid }, 10)
        or do { kill 'KILL', $pid; waitpid $pid, 0 };
}

sub running { defined $_[0]{pid} }

# The next $n requests are answered $status with S3 error $code.
sub fail {
    my ($self, $n, $status, $code) = @_;
    # renamed into place: s3rver never reads a half-written file
    write_file("$self->{dir}/fail.new", "$n $status " . ($code // "-") . "\n");
    rename "$self->{dir}/fail.new", "$self->{dir}/fail"
        or die "rename $self->{dir}/fail: $!";
}

# The requests s3rver answered (after the signature check), in order.
sub requests {
    my ($self) = @_;
    my @r;
    for (split /\n/, read_file("$self->{dir}/requests") // '') {
        my ($op, $bucket, $key, $agent, $prefix) = split / /;
        push @r, { op => $op, bucket => $bucket, key => $key,
                   agent => $agent, prefix => $prefix };
    }
    return @r;
}

sub count {
    my ($self, $op) = @_;
    return scalar grep { $_->{op} eq $op } $self->requests;
}

# s3rver keeps KEY as store/BUCKET/KEY._S3rver_object (the key's segments
# are folders).
sub object_path {
    my ($self, $key, $bucket) = @_;
    my @parts = split m{/}, $key, -1;
    my $last = pop @parts;
    return join('/', "$self->{dir}/store/" . ($bucket // $self->{bucket}),
                @parts) . "/$last._S3rver_object";
}

sub object {
    my ($self, $key, $bucket) = @_;
    return read_file($self->object_path($key, $bucket));
}

sub keys {
    my ($self, $prefix, $bucket) = @_;
    my $root = "$self->{dir}/store/" . ($bucket // $self->{bucket});
    my @keys;
    return () unless -d $root;
    find({ no_chdir => 1, wanted => sub {
        (my $path = $_) =~ s/\._S3rver_object\z// or return;
        my $key = substr($path, length($root) + 1);
        push @keys, $key if !defined $prefix || index($key, $prefix) == 0;
    } }, $root);
    return sort @keys;
}

1;
