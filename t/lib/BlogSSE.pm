package BlogSSE;

# An SSE subscriber for the tests of the realtime hub: a raw socket that
# asks as a browser's EventSource does and parses the stream (chunked
# through nginx, plain from the hub's own sockets).
#
#   my $sub = subscribe($port_or_socket_path, [topics], headers...);
#   $sub->{status};                      # once the response head is in
#   my $ev = $sub->next_event('comment', 15);   # { id, event, data, json }
#   $sub->read_until(sub { ... $_[0]{events} ... }, 10);
#   $sub->close_sub;

use strict;
use warnings;

use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use JSON::PP ();
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time);
use BlogAdmin qw(urlencode);

our @EXPORT = qw(subscribe topic_query);

sub topic_query {
    return join '&', map { 'topic=' . urlencode($_) } @_;
}

# --- a subscriber: a raw socket reading an event stream ------------------

# subscribe(port or socket path, [topics], headers...): sends the request
# as a browser's EventSource does and returns the subscriber; its {status}
# is set once the response head is in.  _from => '127.0.0.2' connects
# from another loopback address, as another client would.
sub subscribe {
    my ($to, $topics, %h) = @_;
    my $rcvbuf = delete $h{_rcvbuf};
    my $from = delete $h{_from};
    my $path = delete $h{_path} // '/events/?' . topic_query(@$topics);
    my $s;
    if ($to =~ m{^/}) {
        $s = IO::Socket::UNIX->new(Peer => $to) or die "connect $to: $!";
    } else {
        $s = IO::Socket::INET->new(Proto => 'tcp',
                                   $from ? (LocalAddr => $from) : ())
            or die "socket from " . ($from // 'any') . ": $!";
        setsockopt($s, SOL_SOCKET, SO_RCVBUF, $rcvbuf) if $rcvbuf;
        $s->connect(Socket::pack_sockaddr_in($to, Socket::inet_aton('127.0.0.1')))
            or die "connect $to: $!";
    }
    $h{Host} //= 'localhost';
    $h{Accept} //= 'text/event-stream';
    $h{'Cache-Control'} //= 'no-cache';
    print $s "GET $path HTTP/1.1\r\n"
        . join('', map { "$_: $h{$_}\r\n" } sort keys %h) . "\r\n";
    my $sub = bless { s => $s, raw => '', body => '', events => [], eof => 0 },
        __PACKAGE__;
    $sub->read_until(sub { defined $_[0]{status} }, 10);
    return $sub;
}

sub read_more {
    my ($self, $wait) = @_;
    return 0 if $self->{eof};
    return 0 unless IO::Select->new($self->{s})->can_read($wait);
    my $n = sysread $self->{s}, my $buf, 65536;
    if (!$n) {
        $self->{eof} = 1;
        return 0;
    }
    $self->{raw} .= $buf;
    $self->parse;
    return 1;
}

sub parse {
    my ($self) = @_;
    if (!defined $self->{status}) {
        my $i = index $self->{raw}, "\r\n\r\n";
        return if $i < 0;
        my $head = substr $self->{raw}, 0, $i + 4, '';
        ($self->{status}) = $head =~ m{^HTTP/1\.\d (\d{3})};
        $self->{head} = $head;
        $self->{chunked} = $head =~ /^Transfer-Encoding: chunked/mi;
    }
    if ($self->{chunked}) {
        while ($self->{raw} =~ /^([0-9a-fA-F]+)\r\n/) {
            my ($len, $hl) = (hex $1, length($1) + 2);
            # the last chunk: the response is over (the connection may stay)
            $self->{end} = 1 if $len == 0;
            last if length($self->{raw}) < $hl + $len + 2;
            $self->{body} .= substr $self->{raw}, $hl, $len;
            substr($self->{raw}, 0, $hl + $len + 2, '');
        }
    } else {
        $self->{body} .= $self->{raw};
        $self->{raw} = '';
    }
    while ((my $i = index $self->{body}, "\n\n") >= 0) {
        my $block = substr $self->{body}, 0, $i + 2, '';
        my %ev = (data => undef);
        for my $line (split /\n/, $block) {
            if ($line =~ /^:/) { $ev{comment} = 1; next }
            my ($k, $v) = $line =~ /^([^:]+): ?(.*)$/ or next;
            if ($k eq 'data') {
                $ev{data} = defined $ev{data} ? "$ev{data}\n$v" : $v;
            } else {
                $ev{$k} = $v;
            }
        }
        push @{ $self->{events} }, \%ev;
    }
}

sub read_until {
    my ($self, $cond, $seconds) = @_;
    my $until = time + ($seconds // 15);
    while (time < $until) {
        return 1 if $cond->($self);
        last if $self->{eof};
        $self->read_more(0.2);
    }
    return $cond->($self);
}

# the next event named $name (with decoded JSON data) within $seconds
sub next_event {
    my ($self, $name, $seconds) = @_;
    my $found;
    $self->read_until(sub {
        my $evs = $_[0]{events};
        for my $i (0 .. $#$evs) {
            next unless ($evs->[$i]{event} // '') eq $name;
            $found = splice @$evs, $i, 1;
            $found->{json} = JSON::PP::decode_json($found->{data});
            return 1;
        }
        return 0;
    }, $seconds);
    return $found;
}

sub close_sub {
    my ($self) = @_;
    close $self->{s};
}

1;
