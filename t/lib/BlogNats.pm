package BlogNats;

# A private nats-server with JetStream for the tests: 127.0.0.1, an
# ephemeral port, its store in a temporary folder.  It can be killed and
# started again on the same port and store, as an outage would.  Every
# server started is stopped at exit, whatever the test did.
#
#   my $nats = start_nats();
#   $nats->url;             # nats://127.0.0.1:PORT
#   $nats->kill;            # SIGKILL, no goodbye to the clients
#   $nats->start;           # again, same port, same store

use strict;
use warnings;

use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use BlogTest qw(new_site free_port wait_for read_file write_file sql
                http_request);

our @EXPORT = qw(start_nats nats_site requests load);

our $SERVER = $ENV{NATS_SERVER} // '/usr/sbin/nats-server';

my @servers;

END {
    local $?;
    $_->stop for @servers;
}

sub start_nats {
    -x $SERVER or die "nats-server not installed (make deps-test)\n";
    my $dir = tempdir('blognats-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $self = bless { dir => $dir, port => free_port() }, __PACKAGE__;
    push @servers, $self;
    return $self->start;
}

sub url  { "nats://127.0.0.1:$_[0]{port}" }
sub port { $_[0]{port} }
sub dir  { $_[0]{dir} }
sub log  { read_file("$_[0]{dir}/nats.log") // '' }

sub start {
    my ($self) = @_;
    die "nats-server already running\n" if $self->{pid};
    my $from = length $self->log;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>>', "$self->{dir}/nats.log" or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        exec $SERVER, '-js', '-sd', "$self->{dir}/store", '-a', '127.0.0.1',
            '-p', $self->{port} or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    # JetStream answers once the server says it is ready for connections
    wait_for(sub {
        return 1 if waitpid($pid, WNOHANG) == $pid;
        substr($self->log, $from) =~ /Server is ready/
            && IO::Socket::INET->new(
            PeerAddr => '127.0.0.1', PeerPort => $self->{port},
            Proto => 'tcp', Timeout => 1);
    }, 20) or die "nats-server did not start:\n" . $self->log;
    die "nats-server exited:\n" . $self->log unless CORE::kill 0, $pid;
    return $self;
}

# SIGKILL: the clients see the connection drop, the store is as it was.
sub kill {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    CORE::kill 'KILL', $pid;
    waitpid $pid, 0;
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    CORE::kill 'TERM', $pid;
    wait_for(sub { waitpid($pid, WNOHANG) == $pid }, 10)
        or do { CORE::kill 'KILL', $pid; waitpid $pid, 0 };
}

# A request in NATS's own protocol, on a connection of its own: publishes
# $payload on $subject with the headers given, and returns the reply's
# payload ("" after 5 s without one).  Enough for JetStream's API and
# publishes with a message id; no client library needed.
sub request {
    my ($self, $subject, $payload, %headers) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $self->{port}, Proto => 'tcp',
                                  Timeout => 5) or die "nats: connect: $!";
    my $sel = IO::Select->new($s);
    my $deadline = time + 5;
    my $buf = '';
    my $more = sub {
        return 0 unless $sel->can_read($deadline - time);
        return sysread $s, $buf, 65536, length $buf;
    };
    my $line = sub {
        while ($buf !~ /\r\n/) {
            $more->() or return undef;
        }
        $buf =~ s/^(.*?)\r\n//s;
        return $1;
    };
    my $bytes = sub {
        my ($n) = @_;
        while (length $buf < $n + 2) {
            $more->() or return undef;
        }
        return substr($buf, 0, $n + 2, '');
    };
    $line->() =~ /^INFO / or die "nats: no INFO\n";
    my $inbox = "_INBOX.blogtest.$$";
    my $msg = 'CONNECT {"verbose":false,"pedantic":false,"headers":true,'
            . '"no_responders":true,"protocol":1}' . "\r\nSUB $inbox 1\r\n";
    if (%headers) {
        my $h = "NATS/1.0\r\n"
              . join('', map { "$_: $headers{$_}\r\n" } sort keys %headers)
              . "\r\n";
        $msg .= "HPUB $subject $inbox " . length($h) . ' '
              . (length($h) + length $payload) . "\r\n$h$payload\r\n";
    } else {
        $msg .= "PUB $subject $inbox " . length($payload) . "\r\n$payload\r\n";
    }
    print $s $msg;
    while (defined(my $l = $line->())) {
        if ($l eq 'PING') {
            print $s "PONG\r\n";
        } elsif ($l =~ /^HMSG .* (\d+) (\d+)$/) {
            my $all = $bytes->($2) // last;
            close $s;
            return substr($all, $1, $2 - $1);
        } elsif ($l =~ /^MSG .* (\d+)$/) {
            my $all = $bytes->($1) // last;
            close $s;
            return substr($all, 0, $1);
        } elsif ($l =~ /^-ERR/) {
            die "nats: $l\n";
        }
    }
    close $s;
    return '';
}

# --- nodes ----------------------------------------------------------------

our $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
             . 'Firefox/120.0';

# A node: its own nginx (events to its socket, spooled when the jobrunner
# is away) and its own jobrunner in [nats] role $opt{role} as node
# $opt{node}.  $site->{jr_conf} restarts the jobrunner as it was.
sub nats_site {
    my ($nats, %opt) = @_;
    my $site = new_site(posts => {
        'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
    });
    my $d = $site->dir;
    mkdir "$d/spool" or die "mkdir: $!";
    $site->{http} = "blog_events unix:$d/events.sock;\n"
                  . "    blog_events_spool $d/spool max=16m;\n";
    $site->start;
    $site->{metrics_port} = free_port();
    $site->{jr_conf} = "events_socket = $d/events.sock\n"
        . "spool_dir = $d/spool\nbatch_interval_ms = 20\n"
        . "spool_scan_ms = 100\n"
        . "metrics_listen = 127.0.0.1:$site->{metrics_port}\n"
        . "[nats]\nurl = " . $nats->url . "\nrole = $opt{role}\n"
        . "node = $opt{node}\n" . ($opt{nats} // '');
    $site->start_jobrunner($site->{jr_conf});
    return $site;
}

# Requests counted in a site's data.db: every event that arrived once
# (views are fewer: a visitor's repeats of a page within 30 minutes are
# one view).
sub requests {
    my ($site) = @_;
    return sql($site->db,
               'SELECT coalesce(sum(requests), 0) FROM analytics_daily') + 0;
}

# A reader in a child process: $n page views spread over the sites in
# turn, $pace seconds apart.  Returns a handle: ->done (how many answered
# 200 so far), ->wait (the number that did, once all are done).
sub load {
    my ($n, $pace, @sites) = @_;
    my $file = File::Temp->new(TMPDIR => 1);
    my $path = $file->filename;
    my @ports = map { $_->port } @sites;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my $ok = 0;
        for my $i (0 .. $n - 1) {
            my $r = eval { http_request($ports[$i % @ports], 'GET',
                                        '/posts/hello',
                                        'User-Agent' => $FIREFOX) };
            $ok++ if $r && $r->{status} == 200;
            write_file($path, "$ok\n") if $i % 10 == 9;
            sleep $pace if $pace;
        }
        write_file($path, "$ok done\n");
        POSIX::_exit(0);
    }
    return bless { pid => $pid, path => $path, file => $file },
        'BlogNats::Load';
}

package BlogNats::Load;

sub done {
    my ($self) = @_;
    my ($n) = (BlogTest::read_file($self->{path}) // '0') =~ /(\d+)/;
    return $n // 0;
}

sub wait {
    my ($self) = @_;
    waitpid $self->{pid}, 0;
    my ($n) = BlogTest::read_file($self->{path}) =~ /^(\d+) done/
        or die "the load ended early\n";
    return $n;
}

1;
