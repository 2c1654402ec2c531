#!/usr/bin/perl
#
# The e-mailed analytics report: a [report] timer queues a "report" job,
# which asks the query engine for the week before its slot and mails the
# figures, the top pages and the top sources to every address of "to",
# as text and HTML, through the real SMTP test server (aiosmtpd); hostile
# values are escaped in the HTML and harmless in the text; without [mail]
# the report goes to the log; [report]'s configuration errors.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use MIME::Base64 qw(decode_base64);
use POSIX qw(strftime);
use Test::More;
use BlogTest;
use BlogMail;

-x "$BlogTest::BUILD/jobrunner" or BAIL_OUT('jobrunner not built: run make');

my $site = new_site();
my $d = $site->dir;
my $db = $site->db;
sql($db, "INSERT OR REPLACE INTO settings (key, value) VALUES ('title', 'Notes <&>')");

# --- configuration errors ---------------------------------------------------

sub conf_error {
    my ($section, $want, $name) = @_;
    write_file("$d/conf/check.conf", $site->jobrunner_conf("[report]\n$section"));
    my $out = `$BlogTest::BUILD/jobrunner -t -c $d/conf/check.conf 2>&1`;
    isnt $?, 0, "refused: $name";
    like $out, $want, "... saying why: $name";
}

conf_error("weekly = weekly mon 07:00\n", qr/"to" .*required|missing .*"to"|to/i, 'no to');
conf_error("to = not-an-address\n", qr/"not-an-address" is not an address/, 'a bad address');
conf_error("to = a\@example.org\nweekly = off\nmonthly = off\n", qr/no report/, 'both off');
conf_error("to = a\@example.org\nmonthly = monthly 31 07:00\n", qr/D a day from 1 to 28/, 'day 31');
write_file("$d/conf/check.conf", $site->jobrunner_conf("[report]\nto = a\@example.org, b\@example.org\n"));
is system("$BlogTest::BUILD/jobrunner -t -c $d/conf/check.conf >/dev/null 2>&1"), 0,
    'two addresses and the default schedules: accepted';

# --- known traffic ------------------------------------------------------------

# The report of a slot today covers the 7 days before today (T-7 .. T-1),
# compared with T-14 .. T-8.
#   T-1: visitor 1, /a /b (90 s) from Google;  visitor 2, a hostile page, direct
#   T-3: visitor 3, /a, from a hostile source
#   T-10: visitor 4, /a (the period before)
#   today: visitor 5, /today: not in the report
my $T = int(time / 86400);
my $ms = ($T - 1) * 86400000 + 3_600_000;
my $evil = '/<script>alert(1)</script>';
my $evil_src = "\"><img src=x>\x01bad";
sql($db, <<"SQL");
INSERT INTO analytics_visits (id, day, visitor, start_ms, end_ms, views, entry,
  exit, source, channel) VALUES
 (1, $T - 1, 1, $ms, $ms + 90000, 2, '/a', '/b', 'Google', 'search'),
 (2, $T - 1, 2, $ms, $ms, 1, '$evil', '$evil', '', 'direct'),
 (3, $T - 3, 3, $ms - 172800000, $ms - 172800000, 1, '/a', '/a', '$evil_src', 'referral'),
 (4, $T - 10, 4, $ms - 777600000, $ms - 777600000, 1, '/a', '/a', '', 'direct'),
 (5, $T, 5, $ms + 86400000, $ms + 86400000, 1, '/today', '/today', '', 'direct');
INSERT INTO analytics_views (visit, day, time_ms, path, status) VALUES
 (1, $T - 1, $ms, '/a', 200), (1, $T - 1, $ms + 90000, '/b', 200),
 (2, $T - 1, $ms, '$evil', 200),
 (3, $T - 3, $ms - 172800000, '/a', 200),
 (4, $T - 10, $ms - 777600000, '/a', 200),
 (5, $T, $ms + 86400000, '/today', 200);
SQL

smtp_setup($d);
my $smtp_port = smtp_port();
start_smtp();

# "every 1d" slots are at midnight UTC: today's is the one due at start
$site->start_jobrunner("queue_backoff = 1s\n"
    . "[mail]\nsmtp_url = smtp://127.0.0.1:$smtp_port\n"
    . "from = Blog <blog\@example.org>\nstarttls = off\n"
    . "[report]\nto = owner\@example.org, editor\@example.org\n"
    . "weekly = every 1d\nmonthly = off\ntop = 3\n");

my @mails = wait_mails(1);
is scalar @mails, 1, 'one report mailed' or diag $site->jobrunner_log;
my $mail = $mails[0] // '';
my $from = strftime('%Y-%m-%d', gmtime(($T - 7) * 86400));
my $to = strftime('%Y-%m-%d', gmtime(($T - 1) * 86400));

like $mail, qr/^To: owner\@example\.org,\r?\n editor\@example\.org\r?$/m, 'to both addresses';
like $mail, qr/^X-RcptTo: owner\@example\.org, ?editor\@example\.org\r?$/m, '... as envelope recipients';
like $mail, qr/^Subject: Weekly analytics of Notes <&>: \Q$from\E to \Q$to\E\r?$/m,
    'the subject: the blog and the week before the slot';
like $mail, qr/^Content-Type: multipart\/alternative; boundary="(=_report_[^"]+)"\r?$/m,
    'text and HTML';
my ($boundary) = $mail =~ /boundary="([^"]+)"/;
my ($text, $html) = (split /\r?\n--\Q$boundary\E(?:--)?\r?\n/, $mail)[1, 2];
$text //= '';
$html //= '';
like $text, qr{^Content-Type: text/plain; charset=utf-8}m, 'a text part';
like $html, qr{^Content-Type: text/html; charset=utf-8}m, 'an HTML part';

# 3 visitors (2 on T-1, 1 on T-3), 3 visits, 4 views, 2 bounces, 90 s;
# before: 1 of each
like $text, qr/^Visitors\s+3\s+\+200%\r?$/m, 'text: visitors and their change';
like $text, qr/^Views\s+4\s+\+300%\r?$/m, 'text: views';
like $text, qr/^Bounce rate\s+67%\s+-33 pts\r?$/m, 'text: bounce rate, in points';
like $text, qr/^Visit duration\s+30s\s+new\r?$/m, 'text: visit duration';
like $text, qr/^Top pages.*\r?\n  2  2  \/a\r?\n  1  1  \Q$evil\E\r?\n  1  1  \/b\r?$/m,
    'text: the top pages, in order';
unlike $text, qr/\x01/, 'text: no control character from a value';
like $text, qr/  1  1  "><img src=x> bad/, '... it is a space';
unlike $mail, qr{/today}, "today's visit is not in it";

like $html, qr{<td>Visitors</td><td align="right"><b>3</b></td><td>\+200%</td>}, 'HTML: the figures';
like $html, qr{<h1[^>]*>Weekly analytics of Notes &lt;&amp;&gt;</h1>}, 'HTML: the title escaped';
like $html, qr{<td>/&lt;script&gt;alert\(1\)&lt;/script&gt;</td>}, 'HTML: a hostile page escaped';
like $html, qr{<td>&quot;&gt;&lt;img src=x&gt; bad</td>}, 'HTML: a hostile source escaped';
unlike $html, qr{<script|<img}, 'HTML: no markup from a value';

ok wait_for(sub { sql($db, "SELECT state FROM jobs WHERE kind = 'report'") eq 'done' }, 30),
    'the report job is done';
like $site->jobrunner_log, qr/report job \d+: weekly report of \Q$from\E to \Q$to\E sent to 2 addresses/,
    'logged';
$site->stop_jobrunner;
stop_smtp();

# --- without [mail]: the report in the log ------------------------------------

sql($db, "DELETE FROM timers WHERE name = 'report.weekly'; DELETE FROM jobs WHERE kind = 'report'");
$site->start_jobrunner("[report]\nto = owner\@example.org\nweekly = every 1d\nmonthly = off\n");
ok wait_for(sub { $site->jobrunner_log =~ /no \[mail\] smtp_url, so the weekly report/ }, 30),
    'without [mail], the report is written to the log';
like $site->jobrunner_log, qr/Visitors\s+3\s+\+200%/, '... with its numbers';
$site->stop_jobrunner;

done_testing;
