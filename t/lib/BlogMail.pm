package BlogMail;

# A real SMTP server for the tests of mailed sign-in codes: Debian's
# aiosmtpd (t/lib/smtpd.py) on a loopback port, writing a Maildir.
#
#   smtp_setup($dir);            # the Maildir and the log in $dir
#   start_smtp(@opt);            # smtpd.py's --tls CERT KEY, --auth U P
#   my @mails = wait_mails(2);   # the mails so far, oldest first
#   my $code = code_of($mails[-1]);
#   stop_smtp();                 # also at the end of the test

use strict;
use warnings;

use Exporter 'import';
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes ();
use BlogTest;

our @EXPORT = qw(smtp_setup smtp_port start_smtp stop_smtp mails wait_mails
                 code_of);

# Debian's python3 (scripts/deps.sh installs python3-aiosmtpd for it)
my $PYTHON = '/usr/bin/python3';

my ($dir, $maildir, $port, $pid);

END { local $?; stop_smtp() }

sub smtp_setup {
    ($dir) = @_;
    system($PYTHON, '-c', 'import aiosmtpd') == 0
        or die "python3-aiosmtpd is missing: run scripts/deps.sh test\n";
    $maildir = "$dir/mail";
    $port = free_port();
}

sub smtp_port { $port }

sub start_smtp {
    my (@opt) = @_;
    $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>>', "$dir/logs/smtpd.log" or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        exec $PYTHON, "$BlogTest::ROOT/t/lib/smtpd.py", '127.0.0.1', $port,
            $maildir, @opt
            or POSIX::_exit(127);
    }
    wait_for(sub {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                              Proto => 'tcp', Timeout => 1)
    }, 30) or die "aiosmtpd did not listen:\n"
                  . (read_file("$dir/logs/smtpd.log") // '');
}

sub stop_smtp {
    my $p = $pid or return;
    undef $pid;
    kill 'TERM', $p;
    wait_for(sub { waitpid($p, WNOHANG) == $p }, 10)
        or do { kill 'KILL', $p; waitpid $p, 0 };
}

# The mails in the Maildir, oldest first (by the nanoseconds of their
# files' times: several may come within a second).
sub mails {
    opendir my $dh, "$maildir/new" or return ();
    my %mtime = map { $_ => (Time::HiRes::stat("$maildir/new/$_"))[9] // 0 }
                grep { !/^\./ } readdir $dh;
    my @files = sort { $mtime{$a} <=> $mtime{$b} || $a cmp $b } keys %mtime;
    return map { read_file("$maildir/new/$_") } @files;
}

# The mails, once there are $n of them (or after a minute).
sub wait_mails {
    my ($n) = @_;
    wait_for(sub { mails() >= $n }, 60);
    return mails();
}

# The sign-in code in a mail's text.
sub code_of {
    my ($text) = @_;
    my ($code) = ($text // '') =~ /^    ([0-9A-Z]{5}-[0-9A-Z]{5})\r?$/m;
    return $code;
}

1;
