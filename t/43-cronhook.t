#!/usr/bin/perl
#
# Cronhooks per Standard Webhooks: the jobrunner signs and calls, the
# module verifies.  Forged, tampered, expired, replayed and rotated
# signatures; the spec's example message; a scheduled post published by
# the jobrunner's call.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(decode_base64 encode_base64);
use Test::More;
use BlogTest;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $NEW   = 'whsec_' . encode_base64('the new secret of the cronhooks!', '');
my $OLD   = 'whsec_' . encode_base64('the old secret, still accepted..', '');
my $OTHER = 'whsec_' . encode_base64('a secret nobody configured here.', '');
my $SPEC  = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

sub sign {
    my ($secret, $id, $ts, $body) = @_;
    my $key = decode_base64(substr $secret, length 'whsec_');
    return 'v1,' . encode_base64(hmac_sha256("$id.$ts.$body", $key), '');
}

my $site = new_site(
    posts => {
        'later.md' => "---\ntitle: Written ahead\ndate: 2026-01-01\n---\nSoon.\n",
    },
    http => "blog_ttl_db TTL;",
    location => "location = /_cron/publish { blog_cronhook publish $NEW $OLD; }\n"
              . "location = /_cron/ping { blog_cronhook ping $NEW $OLD; }\n"
              . "location = /_cron/spec { blog_cronhook ping $SPEC; }",
);
$site->{http} =~ s/TTL/$site->{dir}\/ttl.db/;

# the post is scheduled, and its time has come
sql($site->db, "UPDATE posts SET status = 'scheduled',"
               . " published_at = strftime('%s', 'now') - 60"
               . " WHERE slug = 'later'");
$site->start;

is($site->get('/posts/later')->{status}, 404, 'a scheduled post is not shown');

my $n = 0;

sub call {
    my (%h) = @_;
    my $body = delete $h{body} // '{"type":"test"}';
    my $path = delete $h{path} // '/_cron/ping';
    my $id = $h{id} // 'msg_test' . ++$n;
    my $ts = $h{ts} // time;
    my $sig = $h{sig} // sign($h{secret} // $NEW, $id, $ts, $h{signed} // $body);
    my %headers = ('Content-Type' => 'application/json', _body => $body);
    $headers{'webhook-id'} = $id unless $h{no_id};
    $headers{'webhook-timestamp'} = $ts unless $h{no_ts};
    $headers{'webhook-signature'} = $sig unless $h{no_sig};
    return $site->request($h{method} // 'POST', $path, %headers);
}

sub error_log_since {
    my ($mark) = @_;
    return substr $site->error_log, $mark;
}

# --- the module's checks -------------------------------------------------

my $mark = length $site->error_log;
is(call()->{status}, 204, 'ping signed with the new secret: 204');
is(call(secret => $OLD)->{status}, 204, 'signed with the old one: 204');
is(call(sig => sign($OTHER, 'x', 1, 'y') . ' '
              . sign($NEW, 'msg_multi', 1700000000, '{}'),
        id => 'msg_multi', ts => 1700000000, body => '{}')->{status},
   401, 'a good signature of a message years old: 401');

my $ts = time;
is(call(id => 'msg_two', ts => $ts,
        sig => sign($OTHER, 'msg_two', $ts, '{"type":"test"}') . ' '
             . sign($NEW, 'msg_two', $ts, '{"type":"test"}'))->{status},
   204, 'several signatures, one good: 204 (rotation on the sender side)');

is(call(secret => $OTHER, id => 'msg_forged')->{status}, 401,
   'forged with an unknown secret: 401');
like(error_log_since($mark),
     qr/blog cronhook "ping" refused: bad signature \(webhook-id msg_forged\)/,
     'forged: one log line');

is(call(signed => '{"type":"other"}')->{status}, 401, 'tampered body: 401');
is(call(ts => time - 301, id => 'msg_old')->{status}, 401,
   'timestamp 301 s old: 401');
like(error_log_since($mark), qr/refused: timestamp too old \(webhook-id msg_old\)/,
     'expired: says so');
is(call(ts => time + 301)->{status}, 401, 'timestamp 301 s ahead: 401');
is(call(no_sig => 1)->{status}, 401, 'no signature: 401');
is(call(no_ts => 1)->{status}, 401, 'no timestamp: 401');
is(call(no_id => 1)->{status}, 401, 'no id: 401');
is(call(id => 'msg.dot')->{status}, 401, 'an id with a dot: 401');
is(call(sig => 'v1a,' . substr(sign($NEW, 'msg_x', time, '{}'), 3))->{status},
   401, 'only an asymmetric signature: 401');
is(call(method => 'GET')->{status}, 405, 'GET: 405');

# the spec's example, verbatim: the signature matches (the module says the
# message is too old, which it checks only after a good signature)
is(call(path => '/_cron/spec', id => 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        ts => 1614265330, body => '{"test": 2432232314}',
        sig => 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')->{status},
   401, "the spec's example message: refused");
like(error_log_since($mark),
     qr/refused: timestamp too old \(webhook-id msg_p5jXN8AQM9LWM0D4loKWxJek\)/,
     "but for its age: the spec's signature is accepted");

my $log = error_log_since($mark);
for my $secret ($NEW, $OLD, $OTHER, $SPEC) {
    my ($b64) = $secret =~ /^whsec_(.*)$/;
    unlike($log, qr/\Q$b64\E/, 'no secret in the error log');
}

# replay: the same id twice
$ts = time;
is(call(id => 'msg_once', ts => $ts)->{status}, 204, 'first delivery: 204');
is(call(id => 'msg_once', ts => $ts)->{status}, 409, 'replayed: 409');
is(call(id => 'msg_once')->{status}, 409,
   'replayed with a new timestamp and signature: 409');
like(error_log_since($mark),
     qr/blog cronhook "ping" refused: webhook-id msg_once was seen already, a replay/,
     'the replay is logged');
my $expires = sql("$site->{dir}/ttl.db",
                  "SELECT expires_at - strftime('%s', 'now') FROM webhook_ids"
                  . " WHERE id = 'msg_once'");
ok($expires > 86000 && $expires <= 86400,
   "the id is kept in ttl.db for a day ($expires s left)");

is($site->get('/posts/later')->{status}, 404,
   'none of that published anything');

# --- the jobrunner calls: publish, signed with two secrets ----------------

my $port = $site->port;
$site->start_jobrunner("queue_backoff = 1s\n"
    . "[cronhook.publish]\nurl = http://127.0.0.1:$port/_cron/publish\n"
    . "secret = $OTHER $NEW\nschedule = every 1h\n"
    . "[cronhook.wrong]\nurl = http://127.0.0.1:$port/_cron/ping\n"
    . "secret = $OTHER\nschedule = every 1h\n");

ok(wait_for(sub {
    $site->jobrunner_log =~ /cronhook publish: \S+ answered 200/
}, 20), 'the jobrunner called publish: 200') or diag $site->jobrunner_log;

is($site->get('/posts/later')->{status}, 200, 'the scheduled post is published');
is(sql($site->db, "SELECT status FROM posts WHERE slug = 'later'"),
   'published', 'its status is published');
like($site->error_log,
     qr/blog cronhook "publish" \(msg_[0-9a-f]{32}\): 1 scheduled post published/,
     'the module logged it');

ok(wait_for(sub {
    $site->jobrunner_log =~ /job \d+ \(cronhook cronhook\.wrong:\d+\) attempt 2 failed, retry in \d+ s: \S+ answered 401/
}, 20), 'a cronhook with the wrong secret gets 401 and is retried')
    or diag $site->jobrunner_log;

$site->stop_jobrunner;
$site->stop;

# --- configuration errors -------------------------------------------------

sub refused {
    my ($http, $location, $want, $name) = @_;
    local $site->{http} = $http;
    local $site->{location} = $location;
    $site->write_conf;
    my ($rc, $out) = $site->nginx('-t');
    isnt($rc, 0, "nginx -t fails: $name");
    like($out, $want, "message: $name");
    unlike($out, qr/\Q$NEW\E|bmV3IHNlY3JldA/, "no secret in it: $name");
}

refused('', "location = /c { blog_cronhook ping $NEW; }",
        qr/"blog_cronhook" needs "blog_ttl_db" for its replay guard/,
        'without blog_ttl_db');
refused("blog_ttl_db $site->{dir}/ttl.db;",
        "location = /c { blog_cronhook reboot $NEW; }",
        qr/unknown cronhook task "reboot", expected ping or publish/,
        'unknown task');
refused("blog_ttl_db $site->{dir}/ttl.db;",
        "location = /c { blog_cronhook ping whsec_c2hvcnQ=; }",
        qr/secret 1 of "blog_cronhook" is invalid/, 'short secret');
refused("blog_ttl_db $site->{dir}/ttl.db;",
        "location = /c { blog_cronhook ping $NEW x y; }",
        qr/invalid number of arguments in "blog_cronhook"/, 'three secrets');

done_testing();
