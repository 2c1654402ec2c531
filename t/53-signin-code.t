#!/usr/bin/perl
# Signing in to the admin panel with a code sent by e-mail: a real nginx,
# a real jobrunner and a real SMTP server (aiosmtpd, writing a Maildir).
# The code arrives, signs in once, expires, counts wrong tries against the
# browser that asked; unknown users look the same and get nothing; the
# limits answer 429 per address, and mail no more per name; an SMTP
# server that is down is retried, or the job ends dead with its error;
# without [mail] the code goes to the jobrunner's log.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(sha256_hex);
use BlogTest;
use BlogAdmin;
use BlogMail;

my $site = admin_site(
    email => 'Admin@Example.org',
    extra => "blog_login_code on;\nblog_login_code_tries 2;\n"
           . "blog_login_code_limit 3 15m;\nblog_login_limit 10 10m;\n",
);
add_user($site, 'nomail', 'another long password');
my ($rc, $out) = blogctl('-d', $site->db, 'set', 'title', 'Notes from the édge');
is $rc, 0, 'blog title set';
$site->start;

my $dir = $site->dir;
my $db = $site->db;
my $ttl = $site->{ttl};
smtp_setup($dir);
my $smtp_port = smtp_port();

# The page a jar's browser shows: each form has a new token, paired with
# the cookie that came with it.
my %page_of;

# Asks for a code as $login; returns the response and the jar.
sub ask {
    my ($login, $jar) = @_;
    $jar //= {};
    my $page = jar_get($site, $jar, '/admin/login/code');
    my $r = jar_post($site, $jar, '/admin/login/code',
                     [csrf => csrf_of($page->{body}) // '', login => $login]);
    $page_of{$jar} = $r;
    return ($r, $jar);
}

# Enters a code on the form the jar's page shows; returns the response.
sub enter {
    my ($jar, $code) = @_;
    my $page = $page_of{$jar}{body};
    my ($login) = $page =~ /name="login" value="([^"]*)"/;
    my $r = jar_post($site, $jar, '/admin/login/code/verify',
                     [csrf => csrf_of($page) // '', login => $login // '',
                      code => $code]);
    $page_of{$jar} = $r if $r->{body} =~ /name="code"/;
    return $r;
}

# Waits until no mail job is queued or running; returns how many mails
# have arrived.
sub settle {
    wait_for(sub { sql($db, "SELECT count(*) FROM jobs WHERE kind = 'mail' AND state IN ('queued', 'leased')") == 0 }, 60)
        or die "mail jobs still pending: " . job_rows();
    return scalar(() = mails());
}

sub job_rows {
    return sql($db, "SELECT state || ':' || attempts FROM jobs WHERE kind = 'mail' ORDER BY id");
}

sub last_job {
    return sql($db, "SELECT id, state, attempts, last_error FROM jobs WHERE kind = 'mail' ORDER BY id DESC LIMIT 1");
}

sub wait_job_state {
    my ($state, $seconds) = @_;
    return wait_for(sub { (split /\|/, last_job())[1] eq $state }, $seconds // 60);
}

start_smtp();
$site->start_jobrunner("queue_backoff = 1s\nqueue_max_attempts = 10\n"
    . "[mail]\nsmtp_url = smtp://127.0.0.1:$smtp_port\n"
    . "from = Blog <blog\@example.org>\nstarttls = off\n");

# --- the forms ---------------------------------------------------------------

my $r = $site->get('/admin/login');
like $r->{body}, qr{<a href="/admin/login/code">E-mail me a sign-in code</a>},
    'the sign-in page offers a code by e-mail';

$r = $site->get('/admin/login/code');
is $r->{status}, 200, 'the form to ask for a code';
like $r->{body}, qr{<form method="post" action="/admin/login/code">}, '... posts to login/code';
like $r->{body}, qr{name="login"}, '... asks for a name or e-mail';
like cookie_attrs($r, 'blog_csrf'), qr/HttpOnly; SameSite=Strict/, '... with its token cookie';

my $jar = {};
jar_get($site, $jar, '/admin/login/code');
$r = jar_post($site, $jar, '/admin/login/code', [login => 'admin']);
is $r->{status}, 403, 'asking without the form token is refused';
$r = jar_post($site, $jar, '/admin/login/code', [csrf => 'a' x 64, login => 'admin']);
is $r->{status}, 403, '... and with a wrong one';
($r) = ask('');
is $r->{status}, 422, 'an empty name is refused';
is sql($db, "SELECT count(*) FROM jobs WHERE kind = 'mail'"), 0, 'none of them queued a mail';

# --- a code arrives and signs in ------------------------------------------

my ($asked, $ajar) = ask('admin');
is $asked->{status}, 200, 'asking for a code';
like $asked->{body}, qr/If &quot;admin&quot; is the name or e-mail address of an account here, a sign-in code is on its way/,
    '... says a code is on its way, if the account exists';
like $asked->{body}, qr/valid for 10 minutes after it is sent/, '... and for how long';
like $asked->{body}, qr{<form method="post" action="/admin/login/code/verify">}, '... with the form to enter it';
like $asked->{body}, qr{name="login" value="admin"}, '... which carries the name';

my @mails = wait_mails(1);
is scalar @mails, 1, 'one mail arrives';
my $mail = $mails[0] // '';
like $mail, qr/^To: Admin\@Example\.org\r?$/m, '... to the user\'s address';
like $mail, qr/^X-RcptTo: Admin\@Example\.org\r?$/m, '... as the envelope recipient';
like $mail, qr/^X-MailFrom: blog\@example\.org\r?$/m, '... from the configured sender';
like $mail, qr/^From: Blog <blog\@example\.org>\r?$/m, '... From: as configured';
like $mail, qr/^Subject: =\?UTF-8\?B\?[A-Za-z0-9+\/=]+\?=/m, '... a subject in encoded words (the title is not ASCII)';
like $mail, qr/^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r?$/m, '... dated';
like $mail, qr/^Hello admin,/m, '... greets the user';
like $mail, qr/sign in to Notes from the édge:/, '... names the blog';
like $mail, qr/from the address 127\.0\.0\.1\./, '... and where the code was asked from';
my $code = code_of($mail);
ok $code, "... with a code ($code)";

my $uid = sql($db, "SELECT id FROM users WHERE name = 'admin'");
(my $bare = $code // '') =~ s/-//;
is sql($ttl, "SELECT code FROM one_time_codes WHERE purpose = 'signin' AND subject = '$uid'"),
    sha256_hex("signin:$uid:$bare"), 'ttl.db holds the code\'s salted SHA-256 only';
is sql($ttl, "SELECT count(*) FROM one_time_codes WHERE code LIKE '%$bare%'"), 0,
    '... not the code';
unlike sql($db, 'SELECT payload FROM jobs'), qr/\Q$bare\E/, 'the job never held the code';
ok wait_job_state('done'), 'the mail job is done';

my $before = sql($ttl, 'SELECT count(*) FROM sessions');
# typed as people type it: lowercase, without the dash, a space
(my $typed = lc $bare) =~ s/^(.{5})/$1 /;
$r = enter($ajar, $typed);
is $r->{status}, 303, 'the code signs in';
like $r->{headers}{location}, qr{/admin/$}, '... to the panel';
like cookie_attrs($r, 'blog_session'),
    qr/^blog_session=[0-9a-f]{64}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/,
    '... a session cookie as a password gives';
is sql($ttl, 'SELECT count(*) FROM sessions'), $before + 1, '... one new session';
$r = jar_get($site, $ajar, '/admin/');
is $r->{status}, 200, 'the panel opens with it';
like $r->{body}, qr/<span class="who">admin<\/span>/, '... signed in as admin';
is sql($ttl, "SELECT count(*) FROM one_time_codes"), 0, 'a used code is deleted';

my ($again, $jar2) = ask('admin');
$r = enter($jar2, $code);
is $r->{status}, 403, 'the same code a second time is refused';
like $r->{body}, qr/Wrong or expired code/, '... as wrong or expired';
ok !exists $jar2->{blog_session}, '... and gives no session';
like $r->{body}, qr{action="/admin/login/code/verify"}, '... the form to try again';

# the second request's mail: the newest code is the one that works
@mails = wait_mails(2);
my $code2 = code_of($mails[1]);
ok $code2 && $code2 ne $code, 'asking again mails a new code';

# --- wrong codes count against the browser that asked ---------------------

# the browser's asking, in ttl.db: the hash of its blog_code cookie
sub asked {
    my ($jar, $col) = @_;
    my $hash = sha256_hex($jar->{blog_code} // '');
    return sql($ttl, "SELECT $col FROM one_time_codes WHERE code = '$hash'"
                     . " AND purpose = 'signin-ask'");
}

my $tries;
($tries, $jar2) = ask('admin');
like cookie_attrs($tries, 'blog_code'),
    qr{^blog_code=[0-9a-f]{64}; Path=/admin/; Max-Age=1200; HttpOnly; SameSite=Strict$},
    'asking gives the browser a token, for twice the code\'s life';
is asked($jar2, 'subject'), 'admin', '... whose hash ttl.db keeps with the name';
@mails = wait_mails(3);
$code2 = code_of($mails[2]);
sql($ttl, 'DELETE FROM rate_limits');
$r = enter($jar2, 'ABCDE-FGHJK');
is $r->{status}, 403, 'a wrong code is refused';
is asked($jar2, 'attempts'), 1, '... counted against the browser that asked';
is sql($ttl, "SELECT attempts FROM one_time_codes WHERE purpose = 'signin'"), 0,
    '... not against the code, which others may hold';
is sql($ttl, "SELECT count(*) FROM rate_limits WHERE key LIKE 'login-%'"), 0,
    '... nor as a failed password sign-in';
like $site->error_log, qr/wrong or expired sign-in code for "admin"/, '... logged';
$r = enter($jar2, 'not a code at all');
is $r->{status}, 403, 'something that is no code is refused too';
like $r->{body}, qr/ask for a new one/, '... and the browser is told to ask again';
is asked($jar2, 'count(*)'), 0,
    '... the second wrong try voids its asking (blog_login_code_tries 2)';
$r = enter($jar2, $code2);
is $r->{status}, 403, 'the right code is refused in that browser then';
my ($other, $jar2b) = ask('admin');
@mails = wait_mails(4);
is $other->{status}, 200, 'another browser asks';
$r = enter($jar2b, code_of($mails[3]));
is $r->{status}, 303, '... and signs in with the newest code';

# --- expired --------------------------------------------------------------

sql($ttl, 'DELETE FROM rate_limits');
# asked by e-mail address, in another case: the same user
my ($byaddr, $jar3) = ask('ADMIN@example.ORG');
is $byaddr->{status}, 200, 'asking by e-mail address';
@mails = wait_mails(5);
my $code3 = code_of($mails[4]);
ok $code3, '... mails the user a code';
sql($ttl, "UPDATE one_time_codes SET expires_at = strftime('%s', 'now') - 1"
          . " WHERE purpose = 'signin'");
$r = enter($jar3, $code3);
is $r->{status}, 403, 'an expired code is refused';
is asked($jar3, 'attempts'), 1, '... counted against the browser that asked';

# --- unknown users look the same, and get nothing ------------------------

sql($ttl, 'DELETE FROM rate_limits');
my $mails_before = settle();
my ($known) = ask('admin');
my ($unknown) = ask('nobody');
my ($nomail) = ask('nomail');
is $unknown->{status}, $known->{status}, 'an unknown user gets the same status';
my $norm = sub {
    my ($body, $name) = @_;
    $body =~ s/[0-9a-f]{64}/TOKEN/g;
    $body =~ s/&quot;\Q$name\E&quot;/&quot;NAME&quot;/g;
    $body =~ s/value="\Q$name\E"/value="NAME"/g;
    return $body;
};
is $norm->($unknown->{body}, 'nobody'), $norm->($known->{body}, 'admin'),
    '... and the same page';
is $norm->($nomail->{body}, 'nomail'), $norm->($known->{body}, 'admin'),
    '... as does a user without an e-mail address';
ok wait_for(sub { sql($db, "SELECT count(*) FROM jobs WHERE kind = 'mail' AND state IN ('queued', 'leased')") == 0 }, 60),
    'their jobs are done';
@mails = wait_mails($mails_before + 1);
is scalar @mails, $mails_before + 1, '... and only the known user got a mail';
like $site->jobrunner_log, qr/no sign-in code sent: no user has that name or e-mail address/,
    'the jobrunner logs why nothing was sent';
like $site->jobrunner_log, qr/no sign-in code sent: the user has no e-mail address/,
    '... for a user without an address too';

# --- rate limits -----------------------------------------------------------

sql($ttl, 'DELETE FROM rate_limits');
my @st = map { (ask('someone'))[0]{status} } 1 .. 3;
is "@st", '200 200 200', 'three codes within the limit';
($r) = ask('someone');
is $r->{status}, 429, 'the fourth is refused: 429';
like $r->{body}, qr/Too many sign-in codes asked for\. Try again in 15 minutes\./, '... saying when to try again';
sql($ttl, "DELETE FROM rate_limits WHERE key LIKE 'code-addr:%'");
my $jobs = sql($db, "SELECT count(*) FROM jobs WHERE kind = 'mail'");
($r) = ask('SomeOne');
is $r->{status}, 200, 'per name, whatever its case, the asking is not refused';
like $r->{body}, qr/codes have been sent to its e-mail address several times lately, so no new one is sent now\. The newest of them works here/,
    '... but no new code is mailed, and the page says so';
is sql($db, "SELECT count(*) FROM jobs WHERE kind = 'mail'"), $jobs, '... no mail job';
($r) = ask('admin');
like $r->{body}, qr/a sign-in code is on its way/, '... while other names get mails';

# password sign-ins throttled in every way: the code still signs in
sql($ttl, 'DELETE FROM rate_limits');
sql($ttl, "INSERT INTO rate_limits VALUES ('login-$_', 100, strftime('%s', 'now') + 600)")
    for 'pair:127.0.0.1 admin', 'addr:127.0.0.1', 'name:admin';
my $n = settle();
my ($locked, $jar4) = ask('admin');
@mails = wait_mails($n + 1);
$r = enter($jar4, code_of($mails[-1]));
is $r->{status}, 303, 'a user whose password sign-ins are all locked signs in with a code';
is sql($ttl, "SELECT count(*) FROM rate_limits WHERE key LIKE 'login-%'"), 0,
    '... which clears the password limits';
sql($ttl, 'DELETE FROM rate_limits');
ok wait_for(sub { sql($db, "SELECT count(*) FROM jobs WHERE kind = 'mail' AND state <> 'done'") == 0 }, 60),
    'every mail job so far is done';

# --- the SMTP server down: retried until it is back --------------------------

stop_smtp();
sql($ttl, 'DELETE FROM rate_limits');
$n = settle();
my ($down, $jar5) = ask('admin');
is $down->{status}, 200, 'asking while the SMTP server is down';
ok wait_for(sub { (split /\|/, last_job())[2] >= 2 }, 60), 'the mail job is retried';
my (undef, $state, undef, $error) = split /\|/, last_job();
like $state, qr/^(queued|leased)$/, '... and not given up';
like $error, qr{^smtp://127\.0\.0\.1:$smtp_port: Couldn't connect to server}, '... with the SMTP error';
is sql($ttl, "SELECT count(*) FROM one_time_codes WHERE purpose = 'signin'"), 0,
    'a code that was not sent does not exist';
like $site->jobrunner_log, qr/\(mail mail:signin:[0-9a-f]{32}\) attempt 1 failed, retry in \d+ s/, 'the failure is logged';
start_smtp();
ok wait_job_state('done'), 'once the server is back the job is done';
@mails = wait_mails($n + 1);
is scalar @mails, $n + 1, '... and the mail arrived';
$r = enter($jar5, code_of($mails[-1]));
is $r->{status}, 303, '... with a code that signs in';

# --- ... or dead with the error ---------------------------------------------

is $site->stop_jobrunner, 0, 'jobrunner stopped';
stop_smtp();
$site->start_jobrunner("queue_backoff = 1s\nqueue_max_attempts = 2\n"
    . "[mail]\nsmtp_url = smtp://127.0.0.1:$smtp_port\n"
    . "from = blog\@example.org\nstarttls = off\n");
sql($ttl, 'DELETE FROM rate_limits');
ask('admin');
ok wait_job_state('dead'), 'with the server down for good the job ends dead';
(undef, $state, my $attempts, $error) = split /\|/, last_job();
is $attempts, 2, '... after queue_max_attempts';
like $error, qr{^smtp://127\.0\.0\.1:$smtp_port: Couldn't connect to server}, '... the SMTP error in last_error';

# STARTTLS required (the default) from a server that has none: dead at once
is $site->stop_jobrunner, 0, 'jobrunner stopped';
start_smtp();
$site->start_jobrunner("queue_backoff = 1s\n"
    . "[mail]\nsmtp_url = smtp://127.0.0.1:$smtp_port\nfrom = blog\@example.org\n"
    . "username = blog\npassword = s3cret-Pa55\n");
$n = settle();
sql($ttl, 'DELETE FROM rate_limits');
ask('admin');
ok wait_job_state('dead'), 'STARTTLS required, and the server has none: dead';
(undef, $state, $attempts, $error) = split /\|/, last_job();
is $attempts, 1, '... at the first attempt: it cannot heal';
like $error, qr/SSL|TLS/, "... saying why ($error)";
is scalar(() = mails()), $n, '... nothing was sent in the clear';

# STARTTLS with a certificate the jobrunner trusts through ca_file, and
# AUTH; the server refuses mail before both, so a mail that arrives went
# through TLS, signed in.  The credentials come from the environment.
stop_smtp();
my $req = join ' ', map { quotemeta } 'openssl', 'req', '-x509', '-newkey', 'ec',
    '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', "$dir/smtp.key", '-out', "$dir/smtp.pem";
system("$req >/dev/null 2>&1") == 0 or die "openssl could not make a certificate";
start_smtp('--tls', "$dir/smtp.pem", "$dir/smtp.key",
           '--auth', 'blog', 'env-s3cret-Pa55');

sub tls_jobrunner {
    my ($password) = @_;
    is $site->stop_jobrunner, 0, 'jobrunner stopped';
    local $ENV{JOBRUNNER_SMTP_USERNAME} = 'blog';
    local $ENV{JOBRUNNER_SMTP_PASSWORD} = $password;
    $site->start_jobrunner("queue_backoff = 1s\n"
        . "[mail]\nsmtp_url = smtp://127.0.0.1:$smtp_port\nfrom = blog\@example.org\n"
        . "ca_file = $dir/smtp.pem\n");
}

tls_jobrunner('wrong-Pa55');
sql($ttl, 'DELETE FROM rate_limits');
ask('admin');
ok wait_job_state('dead'), 'a wrong SMTP password: dead';
(undef, $state, $attempts, $error) = split /\|/, last_job();
is $attempts, 1, '... at once';
like $error, qr/Login denied.*\(last SMTP reply 535\)/, "... with the server's refusal ($error)";

tls_jobrunner('env-s3cret-Pa55');
sql($ttl, 'DELETE FROM rate_limits');
my ($tls, $jar7) = ask('admin');
ok wait_job_state('done'), 'STARTTLS with a trusted certificate, AUTH: the job is done';
@mails = wait_mails($n + 1);
is scalar @mails, $n + 1, '... and the mail arrived';
$r = enter($jar7, code_of($mails[-1]));
is $r->{status}, 303, '... with a code that signs in';
unlike $site->jobrunner_log, qr/s3cret-Pa55/, 'the SMTP passwords are never logged';

# --- without [mail]: the code goes to the log --------------------------------

is $site->stop_jobrunner, 0, 'jobrunner stopped';
$site->start_jobrunner();
like $site->jobrunner_log, qr/no \[mail\] smtp_url: sign-in codes are written to this log/,
    'without [mail] the jobrunner says where codes go';
sql($ttl, 'DELETE FROM rate_limits');
my ($logged, $jar6) = ask('admin');
my $logcode;
ok wait_for(sub {
    ($logcode) = $site->jobrunner_log =~ /\[notice\] mail job \d+: sign-in code for "admin" <Admin\@Example\.org>: ([0-9A-Z]{5}-[0-9A-Z]{5}) /;
    $logcode }, 60), 'the code is written to the log at notice level';
$r = enter($jar6, $logcode);
is $r->{status}, 303, '... and signs in';

# --- what is never written ---------------------------------------------------

my $errlog = $site->error_log;
for my $c (grep { defined } $code, $code2, $code3, $logcode) {
    (my $b = $c) =~ s/-//;
    unlike $errlog, qr/\Q$c\E|\Q$b\E/i, "nginx never logs a code ($c)";
}
unlike $site->jobrunner_log, qr/\Q$code\E|\Q$code2\E/, 'mailed codes are not in the jobrunner log';

# --- configuration errors ----------------------------------------------------

my $bad = new_site();
my $bd = $bad->dir;
for my $case (['blog_login_code_ttl 30s;', qr/"blog_login_code_ttl" must be from 1m to 1h/],
              ['blog_login_code_ttl 2h;', qr/"blog_login_code_ttl" must be from 1m to 1h/],
              ['blog_login_code_tries 0;', qr/value must be between 1 and 10 in .*nginx\.conf:\d+/],
              ['blog_login_code_tries 11;', qr/value must be between 1 and 10 in .*nginx\.conf:\d+/],
              ['blog_login_code_limit 0 1m;', qr/needs a count of 1 or more/],
              ['blog_login_code maybe;', qr/invalid value "maybe"/]) {
    my ($directive, $why) = @$case;
    $bad->{server} = "blog_ttl_db $bd/ttl.db;
location /admin/ { blog_admin $bd/data.db; $directive }";
    $bad->write_conf;
    my ($brc, $bout) = $bad->nginx('-t');
    isnt $brc, 0, "$directive fails nginx -t";
    like $bout, $why, '... saying why';
}

done_testing;
