#!/usr/bin/perl
#
# What JetStream's duplicate window does not catch, the consumer does.
# The stream is made by hand with a window of 100 ms, so a message
# published again later is stored again (as after a node's crash longer
# than the window): the consumer counts it once, by the node's position.
# A message that is no node's is skipped; a stream deleted and made anew
# is counted from its start.  Messages here are published with NATS's own
# protocol (BlogNats::request), as a node would.  The primary is a
# "consumer": its own nginx's events are counted straight, not through
# NATS.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP ();
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest;
use BlogNats;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $JSON = JSON::PP->new->canonical;
my $nats = start_nats();

sub make_stream {
    my $r = $nats->request('$JS.API.STREAM.CREATE.BLOG_EVENTS',
        $JSON->encode({ name => 'BLOG_EVENTS', subjects => ['blog.events.>'],
                        storage => 'file',
                        duplicate_window => 100_000_000 }));
    return $JSON->decode($r || '{}');
}

is(make_stream()->{config}{duplicate_window}, 100_000_000,
   'the stream, made by hand: a duplicate window of 100 ms');

my $primary = nats_site($nats, role => 'consumer', node => 'primary');
my $edge = nats_site($nats, role => 'publisher', node => 'edge');

sub metric {
    my ($name) = @_;
    my $r = http_request($primary->{metrics_port}, 'GET', '/metrics');
    return $r->{body} =~ /^\Q$name\E (\d+)$/m ? $1 : -1;
}

# $n framed records of page views, in the wire format of blog_event.h
sub views_payload {
    my ($n) = @_;
    my $rec = 'BE' . pack('CC', 2, 2)
        . pack('Q<Q<V v', int(time * 1000), 100, 1000, 200)
        . pack('CC', 4, 5) . pack('C4', 192, 0, 2, 7) . ("\0" x 12);
    $rec .= pack('v/a*', $_)
        for 'GET', '/posts/hello', '', $BlogNats::FIREFOX, 'hello';
    return pack('v/a*', $rec) x $n;
}

# publishes as node would; returns JetStream's acknowledgment
sub publish {
    my ($subject, $payload, %headers) = @_;
    return $JSON->decode($nats->request($subject, $payload, %headers)
                         || '{}');
}

my $N = load(60, 0, $primary, $edge)->wait;
ok(wait_for(sub { requests($primary) == $N }, 30), "$N requests, half of them "
   . 'through NATS') or diag requests($primary);
is(sql($primary->db, 'SELECT node FROM analytics_nodes'), 'edge',
   "a consumer's own views do not go through NATS");

# --- a copy, past the duplicate window --------------------------------------

my ($file, $off) = split /\|/,
    sql($primary->db, "SELECT file, offset FROM analytics_nodes");
sleep 0.2;
my $skipped = metric('jobrunner_nats_skipped_total');
my $ack = publish('blog.events.edge', views_payload(5),
                  'Nats-Msg-Id' => "edge.$file.$off");
ok($ack->{seq} && !$ack->{duplicate},
   "edge's last message published again: JetStream stores it");
ok(wait_for(sub { metric('jobrunner_nats_sequence') >= $ack->{seq} }, 20),
   'the consumer has read it');
is(metric('jobrunner_nats_skipped_total'), $skipped + 1, 'and skipped it');
is(requests($primary), $N, 'no request counted twice');

# --- a message of no node ---------------------------------------------------

my $corrupt = metric('jobrunner_events_corrupt_total');
$ack = publish('blog.events.edge', views_payload(3));
ok(wait_for(sub { metric('jobrunner_nats_sequence') >= $ack->{seq} }, 20),
   'a message without an id is read');
is(metric('jobrunner_events_corrupt_total'), $corrupt + 1,
   'and counted as corrupt');
is(requests($primary), $N, 'its records are not counted');

# --- a new node, and its copies ---------------------------------------------

# the copy goes at once, before the first is consumed: within the 100 ms
# window even on a loaded machine
$ack = publish('blog.events.tester', views_payload(5),
               'Nats-Msg-Id' => 'tester.7.0');
my $copy = publish('blog.events.tester', views_payload(5),
                   'Nats-Msg-Id' => 'tester.7.0');
ok(wait_for(sub { requests($primary) == $N + 5 }, 20),
   "a new node's message: 5 requests") or diag requests($primary);
ok($copy->{duplicate}, 'the same id at once: JetStream drops it');

sleep 0.2;
$ack = publish('blog.events.tester', views_payload(5),
               'Nats-Msg-Id' => 'tester.6.900');
ok(wait_for(sub { metric('jobrunner_nats_sequence') >= $ack->{seq} }, 20),
   'an older position of the node, later');
is(requests($primary), $N + 5, 'is skipped too');
is(sql($primary->db, "SELECT file || '.' || offset FROM analytics_nodes"
                     . " WHERE node = 'tester'"), '7.0',
   "the node's position stays");

# --- the stream deleted and made anew ---------------------------------------

my $del = $JSON->decode($nats->request('$JS.API.STREAM.DELETE.BLOG_EVENTS',
                                       ''));
ok($del->{success}, 'the stream deleted');
ok(make_stream()->{created}, 'and made anew: its sequences start over');

my $M = load(30, 0, $edge)->wait;
ok(wait_for(sub { requests($primary) == $N + 5 + $M }, 60),
   "the new stream's events are counted from its start")
    or diag requests($primary) . "\n" . $primary->jobrunner_log;
like($primary->jobrunner_log, qr/stream "BLOG_EVENTS" was made anew/,
     'the primary logs it');

is($_->stop_jobrunner, 0, 'a clean stop') for $primary, $edge;

done_testing();
