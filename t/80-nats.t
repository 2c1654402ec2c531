#!/usr/bin/perl
#
# Access events of several nodes through NATS JetStream, with a real
# nats-server: three nginx + jobrunner nodes on this machine (separate
# folders and ports), one of them the primary that counts the stream.
# Views on all nodes sum exactly in the primary's analytics; nats-server
# killed mid-load and started again on the same store: the events waited
# in the nodes' outboxes, none lost, none counted twice.  And the [nats]
# section's configuration errors.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use BlogTest;
use BlogNats;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

# --- configuration errors -------------------------------------------------

my $conf_dir = BlogTest::new_site(no_db => 1)->dir;

sub conf_error {
    my ($text) = @_;
    my $file = "$conf_dir/conf/jobrunner.conf";
    write_file($file, "[jobrunner]\ndata_db = data.db\n$text");
    my $out = `$BlogTest::BUILD/jobrunner -t -c $file 2>&1`;
    return ($? >> 8, $out);
}

my @bad = (
    [ "[nats]\nrole = consumer\n", qr/:3: missing required key "url" in \[nats\]/ ],
    [ "[nats]\nurl = nats://127.0.0.1:4222\n", qr/:3: missing required key "role"/ ],
    [ "[nats]\nurl = nats://127.0.0.1:4222\nrole = leader\n",
      qr/:5: invalid role "leader" \(expected publisher, consumer or both\)/ ],
    [ "[nats]\nurl = nats://127.0.0.1:4222\nrole = publisher\n",
      qr/:5: a publisher keeps .* spool_dir/ ],
    [ "[nats]\nurl = nats://127.0.0.1:4222\nrole = both\nnode = edge.1\n",
      qr/:6: invalid node "edge.1"/ ],
    [ "[nats]\nurl = nats://127.0.0.1:4222\nrole = consumer\n"
      . "subject_prefix = blog.*\n", qr/:6: invalid subject_prefix/ ],
    [ "[nats]\nurl = nats://127.0.0.1:4222\nrole = consumer\nack_wait = 2h\n",
      qr/:6: invalid ack_wait "2h"/ ],
    [ "[nats]\nurl = nats://127.0.0.1:4222\nrole = consumer\nspeed = 3\n",
      qr/:6: unknown key "speed" in \[nats\]/ ],
    [ "[nats]\nurl = nats://127.0.0.1:4222\nrole = consumer\n[nats]\n",
      qr/:6: duplicate section "\[nats\]" \(first on line 3\)/ ],
);
for my $case (@bad) {
    my ($rc, $out) = conf_error($case->[0]);
    is($rc, 1, 'a bad [nats] section is refused');
    like($out, $case->[1], 'FILE:LINE and the reason') or diag $out;
}

# the url may hold a password: a message about it never quotes it
my ($rc, $out) = conf_error("[nats]\nurl = http://user:s3cret\@h:4222\n");
like($out, qr/:4: invalid url \(expected nats:/, 'a bad url');
unlike($out, qr/s3cret/, 'its password is not quoted');

($rc, $out) = conf_error("spool_dir = spool\n[nats]\n"
                         . "url = nats://u:p\@127.0.0.1:1,tls://10.0.0.1:4222\n"
                         . "role = both\nnode = edge-1\nmax_age = 2d\n");
is($rc, 0, 'a good [nats] section') or diag $out;

# --- three nodes, one count -----------------------------------------------

my $nats = start_nats();
my $primary = nats_site($nats, role => 'both', node => 'primary');
my $edge1 = nats_site($nats, role => 'publisher', node => 'edge1');
my $edge2 = nats_site($nats, role => 'publisher', node => 'edge2');
my @nodes = ($primary, $edge1, $edge2);

sub metric {
    my ($site, $name) = @_;
    my $r = http_request($site->{metrics_port}, 'GET', '/metrics');
    return $r->{body} =~ /^\Q$name\E (\d+)$/m ? $1 : -1;
}

my $N = load(300, 0, @nodes)->wait;
is($N, 300, '300 page views answered on three nodes');

ok(wait_for(sub { requests($primary) >= $N }, 30), 'the events reach the primary')
    or diag $primary->jobrunner_log;
sleep 0.5;
is(requests($primary), $N, "exactly $N requests in the primary's analytics");
is(sql($primary->db, "SELECT n FROM analytics_counts WHERE dim = 'status'"
                     . " AND key = '200'"), $N, 'all of them answered 200');
is(sql($primary->db, "SELECT n FROM analytics_counts WHERE dim = 'path'"
                     . " AND key = '/posts/hello'"), 1,
   "one reader's page on three nodes within 30 minutes: one view");

for my $edge ($edge1, $edge2) {
    is(requests($edge), 0, 'a publisher counts nothing itself');
}

is(sql($primary->db, 'SELECT group_concat(node) FROM (SELECT node FROM '
                     . 'analytics_nodes ORDER BY node)'),
   'edge1,edge2,primary', "each node's position is recorded");
is(sql($primary->db, 'SELECT stream FROM analytics_nats'), 'BLOG_EVENTS',
   "and the stream's sequence");
is(metric($edge1, 'jobrunner_nats_connected'), 1, '/metrics: connected');
ok(metric($edge1, 'jobrunner_nats_published_total') > 0,
   '/metrics: messages published');
is(metric($primary, 'jobrunner_nats_consumed_total'),
   sql($primary->db, 'SELECT seq FROM analytics_nats'),
   '/metrics: every message of the stream consumed');

# --- nats-server killed mid-load, started again ----------------------------

my $before = requests($primary);
my $load = load(600, 0.004, @nodes);

wait_for(sub { $load->done >= 150 }, 30) or die 'the load does not start';
$nats->kill;
my $killed_at = $load->done;

# the nodes keep answering; their events wait in their outboxes
wait_for(sub { $load->done >= $killed_at + 200 }, 30);
ok(wait_for(sub { metric($edge1, 'jobrunner_outbox_files') > 0 }, 10),
   'NATS down: the events wait in an outbox file')
    or diag $edge1->jobrunner_log;
like($edge1->jobrunner_log, qr/nats: disconnected/, 'the node logs it');

# a jobrunner stopped and started while NATS is away: its outbox is kept,
# and it starts all the same
is($edge2->stop_jobrunner, 0, 'a node stops cleanly while NATS is away');
$edge2->start_jobrunner($edge2->{jr_conf});
like($edge2->jobrunner_log, qr/outbox: \d+ files from an earlier run/,
     'and starts again with its outbox');
ok(wait_for(sub { $edge2->jobrunner_log =~ /nats: no server answers yet/ },
            10), 'though no server answers');

$nats->start;
my $M = $load->wait;
is($M, 600, 'every request answered during the outage');

ok(wait_for(sub { requests($primary) >= $before + $M }, 60),
   'after the outage the events arrive')
    or diag requests($primary) . ' of ' . ($before + $M) . "
" . $primary->jobrunner_log;
ok(wait_for(sub { metric($_, 'jobrunner_outbox_files') == 0
                  && metric($_, 'jobrunner_outbox_bytes') == 0 }, 20),
   'and the outbox empties') for @nodes;
sleep 1;
is(requests($primary), $before + $M,
   'exactly the requests served: none lost, none counted twice');
is(metric($_, 'jobrunner_outbox_dropped_total'), 0, 'nothing dropped')
    for @nodes;
like($edge1->jobrunner_log, qr/nats: connected to .* as node "edge1"(?s:.*)nats: connected to/,
     'the node reconnected');

# --- a clean stop ---------------------------------------------------------

for my $site (@nodes) {
    is($site->stop_jobrunner, 0, 'the jobrunner exits 0 on SIGTERM');
    unlike($site->jobrunner_log, qr/\[error\]/, 'with no error logged')
        or diag $site->jobrunner_log;
}

done_testing();
