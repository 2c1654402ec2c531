#!/usr/bin/perl
#
# The realtime hubs of two nodes share their messages over a real
# nats-server: two nginx + jobrunner pairs on this machine (their own
# folders, ports and data.db), node A the primary that counts the events
# of both.  A comment published on A reaches subscribers on both nodes,
# each once; a view on B, counted on A, comes back to B's readers; A's
# alerts reach B's admins and still need an admin session on B; ids of
# messages from the other node are the receiving hub's own, so
# Last-Event-ID works there; nats-server killed: each hub goes on alone,
# and started again: messages cross again.  And the two new keys' errors.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use BlogTest;
use BlogAdmin;
use BlogNats;
use BlogSSE;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

# --- configuration errors -------------------------------------------------

my $conf_dir = BlogTest::new_site(no_db => 1)->dir;

sub conf_check {
    my ($text) = @_;
    my $file = "$conf_dir/conf/jobrunner.conf";
    write_file($file, "[jobrunner]\ndata_db = data.db\n[nats]\n"
                      . "url = nats://127.0.0.1:4222\nrole = consumer\n$text");
    my $out = `$BlogTest::BUILD/jobrunner -t -c $file 2>&1`;
    return ($? >> 8, $out);
}

my ($rc, $out) = conf_check("sse = yes\n");
like $out, qr/:6: invalid sse "yes" \(expected on or off\)/, 'sse: on or off';
($rc, $out) = conf_check("sse_subject_prefix = blog.>\n");
like $out, qr/:6: invalid sse_subject_prefix "blog\.>"/, 'sse_subject_prefix: no wildcard';
($rc, $out) = conf_check("sse_subject_prefix = blog.events.live\n");
like $out, qr/:6: sse_subject_prefix "blog\.events\.live" and subject_prefix "blog\.events" overlap/,
    '... and not under the events stream\'s subjects';
($rc, $out) = conf_check("subject_prefix = blog\n");
like $out, qr/:6: sse_subject_prefix "blog\.sse" and subject_prefix "blog" overlap/,
    '... nor above them';
($rc, $out) = conf_check("sse = off\nsse_subject_prefix = site1.live\n");
is $rc, 0, 'good keys' or diag $out;

# --- two nodes --------------------------------------------------------------

my $nats = start_nats();

# A node: nginx with comments, the admin panel and /events/ proxied to its
# hub; its jobrunner in [nats] role $role as node $name.
sub sse_node {
    my ($role, $name) = @_;
    my $site = admin_site(
        extra => "blog_comment_limit 1000 10m;\n",
        location => "blog_live_url /events/;\n",
        posts => {
            'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nHi.\n",
        },
    );
    my $d = $site->dir;
    mkdir "$d/spool" or die "mkdir: $!";
    $site->{server} .= <<"EOF";
        location /events/ {
            blog_events off;
            blog_admin_session $d/data.db;
            proxy_pass http://unix:$d/sse.sock:;
            proxy_buffering off;
            proxy_read_timeout 1h;
            proxy_set_header X-Blog-Admin \$blog_admin_user;
        }
EOF
    $site->{http} = "blog_events unix:$d/events.sock;\n"
                  . "    blog_events_spool $d/spool max=16m;\n";
    $site->start;
    $site->{metrics_port} = free_port();
    $site->{jr_conf} = "events_socket = $d/events.sock\n"
        . "spool_dir = $d/spool\nbatch_interval_ms = 20\n"
        . "spool_scan_ms = 100\nsse_socket = $d/sse.sock\n"
        . "sse_heartbeat_ms = 1000\n"
        . "metrics_listen = 127.0.0.1:$site->{metrics_port}\n"
        . "[nats]\nurl = " . $nats->url . "\nrole = $role\nnode = $name\n";
    $site->start_jobrunner($site->{jr_conf});
    my ($res, $jar) = login_as($site, 'admin', 'correct horse battery');
    $res->{status} == 303 or die "no admin session on $name\n";
    $site->{cookie} = "blog_session=$jar->{blog_session}";
    return $site;
}

my $a = sse_node('both', 'node-a');
my $b = sse_node('publisher', 'node-b');

sub metric {
    my ($site, $name) = @_;
    my $r = http_request($site->{metrics_port}, 'GET', '/metrics');
    return $r->{body} =~ /^\Q$name\E (\d+)$/m ? $1 : -1;
}

# the owner's comment: published at once, by a job of that node's jobrunner
sub comment {
    my ($site, $name) = @_;
    my $body = 'name=' . urlencode($name) . '&body=' . urlencode("Hi from $name\n");
    my $r = $site->request('POST', '/posts/hello/comments',
                           'Content-Type' => 'application/x-www-form-urlencoded',
                           Cookie => $site->{cookie}, _body => $body);
    $r->{status} == 303 or die "comment: $r->{status}\n";
}

# the epoch of a subscriber's hub: the id of its stream's first, empty event
sub epoch_of {
    my ($sub) = @_;
    $sub->read_until(sub { grep { ($_->{id} // '') =~ /^\d+\.\d+$/ } @{ $_[0]{events} } }, 10);
    my ($id) = map { $_->{id} // () } @{ $sub->{events} };
    return ($id // '') =~ /^(\d+)\./ ? $1 : undef;
}

sub subscribed {
    my ($site) = @_;
    return $site->jobrunner_log =~ /sse: subscribed to "blog\.sse\.>"/;
}

ok wait_for(sub { subscribed($a) && subscribed($b) }, 20),
    'both hubs subscribe to blog.sse.>'
    or diag $a->jobrunner_log . $b->jobrunner_log;

# --- a comment on A: on both nodes, once each --------------------------------

my $sa = subscribe($a->port, ['comments.hello']);
my $sb = subscribe($b->port, ['comments.hello']);
is $sa->{status}, 200, 'a reader on A';
is $sb->{status}, 200, 'a reader on B';
my $epoch_b = epoch_of($sb);
my ($before_b) = map { $_->{id} // () } @{ $sb->{events} };

comment($a, 'Ann');
my $ev = $sb->next_event('comment', 15);
is $ev && $ev->{json}{name}, 'Ann', "a comment published on A reaches B's reader"
    or diag $a->jobrunner_log;
like $ev && $ev->{id}, qr/^\Q$epoch_b\E\.\d+$/, "... under an id of B's hub";
my $ann_b = $ev && $ev->{id};
$ev = $sa->next_event('comment', 15);
is $ev && $ev->{json}{name}, 'Ann', "... and A's reader";
ok !defined $sa->next_event('comment', 2), "... once: A's hub skips its own message from NATS";
ok !defined $sb->next_event('comment', 0.5), "... and once on B";

is metric($a, 'jobrunner_sse_nats_published_total') >= 1 ? 1 : 0, 1,
    "A's metric counts what it published";
is metric($b, 'jobrunner_sse_nats_received_total'), 1, "B's, what it received";

# B's history keeps it: a reader of B resuming from before gets it
$sb->close_sub;
$sb = subscribe($b->port, ['comments.hello'], 'Last-Event-ID' => $before_b);
$ev = $sb->next_event('comment', 5);
is $ev && $ev->{id}, $ann_b, "Last-Event-ID on B: the message from A, from B's history";

# and the other way: B's comment reaches A
comment($b, 'Bob');
$ev = $sa->next_event('comment', 15);
is $ev && $ev->{json}{name}, 'Bob', 'a comment published on B reaches A';
$ev = $sb->next_event('comment', 15);
is $ev && $ev->{json}{name}, 'Bob', "... and B's own reader, once";
ok !defined $sb->next_event('comment', 1), '... not twice';

# --- views: a view on B, counted on A, shown to B's readers -------------------

my $sv = subscribe($b->port, ['metrics.views./posts/hello']);
$b->get('/posts/hello', 'User-Agent' => $BlogNats::FIREFOX);
$ev = $sv->next_event('views', 20);
is $ev && $ev->{json}{views}, 1,
    "a view on B goes to A through JetStream, and A's count back to B's reader"
    or diag $a->jobrunner_log;
$sv->close_sub;

# --- alerts: still for admins only, on every node ------------------------------

my $adm = subscribe($b->port, ['alerts.*']);
is $adm->{status}, 403, "alerts on B without an admin session: 403";
$adm->close_sub;
$adm = subscribe($b->port, ['alerts.*'], 'X-Blog-Admin' => 'admin');
is $adm->{status}, 403, '... and with a forged X-Blog-Admin header';
$adm->close_sub;
$adm = subscribe($b->port, ['alerts.*'], Cookie => $b->{cookie});
is $adm->{status}, 200, "B's admin follows alerts.*";
# a job that cannot succeed goes dead on A: an alert on alerts.jobs
sql($a->db, "INSERT INTO jobs (kind, payload, run_after, created_at, updated_at)"
          . " VALUES ('no-such-kind', '{}', 0, 0, 0)");
my $dead;
while (!$dead && (my $e = $adm->next_event('alert', 15))) {
    $dead = $e->{json} if $e->{json}{kind};
}
is $dead && $dead->{kind}, 'no-such-kind', "... and gets A's alert about a dead job";
$adm->close_sub;

# --- nats-server away: each hub alone; back: together again --------------------

$nats->kill;
ok wait_for(sub { metric($a, 'jobrunner_nats_connected') == 0
                  && metric($b, 'jobrunner_nats_connected') == 0 }, 20),
    'nats-server killed: both nodes see it';
my $dropped = metric($a, 'jobrunner_sse_nats_dropped_total{direction="out"}');
comment($a, 'Alone');
$ev = $sa->next_event('comment', 15);
is $ev && $ev->{json}{name}, 'Alone', "A's readers still get A's comments";
ok !defined $sb->next_event('comment', 2), "... B's do not";
ok wait_for(sub { metric($a, 'jobrunner_sse_nats_dropped_total{direction="out"}') > $dropped }, 10),
    '... and A counts it dropped for NATS';

$nats->start;
ok wait_for(sub { metric($a, 'jobrunner_nats_connected') == 1
                  && metric($b, 'jobrunner_nats_connected') == 1 }, 30),
    'nats-server back: both reconnect';
comment($a, 'Again');
$ev = $sb->next_event('comment', 15);
is $ev && $ev->{json}{name}, 'Again', 'cross-node delivery resumes'
    or diag $b->jobrunner_log;
$ev = $sa->next_event('comment', 15);
is $ev && $ev->{json}{name}, 'Again', '... and local delivery goes on';
$sa->close_sub;
$sb->close_sub;

# --- the end ---------------------------------------------------------------------

for my $site ($a, $b) {
    is $site->stop_jobrunner, 0, 'the jobrunner exits cleanly';
    unlike $site->jobrunner_log, qr/\[error\](?!.*(dead after|no-such-kind))/,
        '... with no other error logged'
        or diag $site->jobrunner_log;
}

done_testing;
