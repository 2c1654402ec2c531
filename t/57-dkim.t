#!/usr/bin/perl
# DKIM signatures on the jobrunner's mails, checked by an independent
# verifier: Debian's python3-dkim (dkimpy, t/lib/dkim_verify.py) reading
# each mail as the SMTP server received it (aiosmtpd storing the raw
# bytes), with a DNS stub that holds the selector's public key.  Both
# algorithms verify; a changed body or subject, or another key, does not;
# a key file others can read stops the start without showing the key.
# Sign-in codes, confirmation links and newsletters are all signed.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BlogTest;
use BlogAdmin;
use BlogMail;

system('/usr/bin/python3', '-c', 'import dkim') == 0
    or die "python3-dkim is missing: run scripts/deps.sh test\n";

my $site = admin_site(email => 'admin@example.net',
                      location => "blog_newsletter on;\n",
                      extra => "blog_login_code on;\n"
                             . "blog_login_code_limit 10 15m;\n"
                             . "blog_newsletter_limit 10 1h;\n");
blogctl('-d', $site->db, 'set', 'base_url', 'http://127.0.0.1:' . $site->port);
$site->start;
my $dir = $site->dir;
my $db = $site->db;
smtp_setup($dir);
start_smtp('--raw');

# A private key of the algorithm in $dir/NAME.key, mode 0600, and the
# TXT record of its public key.
sub new_key {
    my ($name, @genpkey) = @_;
    my $key = "$dir/$name.key";
    system('openssl', 'genpkey', '-quiet', @genpkey, '-out', $key) == 0
        or die "openssl genpkey @genpkey failed";
    chmod 0600, $key;
    my $der = `openssl pkey -in '$key' -pubout -outform DER`;
    my $k = $genpkey[1] eq 'ed25519' ? 'ed25519' : 'rsa';
    # RFC 8463: an Ed25519 p= is the bare 32-byte key, not its DER
    $der = substr($der, -32) if $k eq 'ed25519';
    require MIME::Base64;
    return ($key, "v=DKIM1; k=$k; p=" . MIME::Base64::encode_base64($der, ''));
}

sub jobrunner_with {
    my ($key, $selector) = @_;
    $site->stop_jobrunner;
    $site->start_jobrunner("queue_backoff = 1s\n"
        . "theme = $BlogTest::ROOT/conf/theme\n[mail]\n"
        . "smtp_url = smtp://127.0.0.1:" . smtp_port() . "\n"
        . "from = Blog <blog\@example.org>\nstarttls = off\n"
        . "dkim_key_file = $key\ndkim_selector = $selector\n");
}

# The next mail to arrive, as received.
my $seen = 0;
sub next_mail {
    my @mails = wait_mails(++$seen);
    return $mails[$seen - 1] // '';
}

# Asks for a sign-in code; returns the mail that brings it.
sub signed_mail {
    my $jar = {};
    my $page = jar_get($site, $jar, '/admin/login/code');
    my $r = jar_post($site, $jar, '/admin/login/code',
                     [csrf => csrf_of($page->{body}) // '', login => 'admin']);
    $r->{status} == 200 or die "asking for a code: $r->{status}";
    return next_mail();
}

# Runs the verifier on $mail; returns (passed, its output).
my $r;
sub verify {
    my ($mail, $name, $record) = @_;
    write_file("$dir/check.eml", $mail);
    my $out = `/usr/bin/python3 $BlogTest::ROOT/t/lib/dkim_verify.py '$dir/check.eml' '$name' '$record' 2>&1`;
    return ($? == 0 && $out =~ /^pass$/m, $out);
}

for my $alg (['ed25519', '-algorithm', 'ed25519'],
             ['rsa-2048', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'])
{
    my ($name, @genpkey) = @$alg;
    my ($key, $record) = new_key($name, @genpkey);
    my $selector = "s-$name";
    my $dns = "$selector._domainkey.example.org";
    jobrunner_with($key, $selector);

    my $mail = signed_mail();
    my $a = $name eq 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256';
    like $mail, qr/\ADKIM-Signature: v=1; a=\Q$a\E; c=relaxed\/relaxed; d=example\.org; s=\Q$selector\E;\r\n/,
        "$name: the mail's first header is its DKIM-Signature";
    like $mail, qr/^ t=\d+; h=from:subject:date:to:message-id:mime-version:content-type:content-transfer-encoding:auto-submitted:from;\r$/m,
        "$name: ... signing the headers that matter, From twice";

    my ($ok, $out) = verify($mail, $dns, $record);
    ok $ok, "$name: dkimpy verifies the signature as received" or diag $out;
    like $out, qr/asked DNS for: \Q$dns\E/, "$name: ... with the selector's key";

    (my $body = $mail) =~ s/here is your code/here is our code/;
    isnt $body, $mail, "$name: a mail with a word of its body changed";
    ($ok, $out) = verify($body, $dns, $record);
    ok !$ok, "$name: ... fails" or diag $out;
    like $out, qr/body hash mismatch/, "$name: ... on its body hash";

    (my $subject = $mail) =~ s/^Subject: Your/Subject: Our/m;
    ($ok, $out) = verify($subject, $dns, $record);
    ok !$ok, "$name: a changed subject fails" or diag $out;

    (my $from = $mail) =~ s/\r\n\r\n/\r\nFrom: Bank <bank\@example.com>\r\n\r\n/;
    ($ok, $out) = verify($from, $dns, $record);
    ok !$ok, "$name: a second From: added fails (From is oversigned)" or diag $out;

    (my $folded = $mail) =~ s/^(Subject: \S+) /$1\r\n\t  /m;
    ($ok, $out) = verify($folded, $dns, $record);
    ok $ok, "$name: a subject folded again on the way still verifies (relaxed)"
        or diag $out;

    (my $blanks = "$mail \r\n\r\n") =~ s/(here is) (your)/$1 \t  $2/;
    ($ok, $out) = verify($blanks, $dns, $record);
    ok $ok, "$name: blanks and empty lines added at the end still verify"
        or diag $out;

    my (undef, $other) = new_key("$name-other", @genpkey);
    ($ok, $out) = verify($mail, $dns, $other);
    ok !$ok, "$name: another key does not verify it" or diag $out;

    # the other mails: a newsletter's confirmation link, a newsletter
    $r = $site->request('POST', '/subscribe',
                        'Content-Type' => 'application/x-www-form-urlencoded',
                        _body => "email=reader-$name%40example.net&name=Reader");
    $mail = next_mail();
    like $mail, qr/^Subject: .*[Cc]onfirm/m, "$name: a confirmation mail";
    ($ok, $out) = verify($mail, $dns, $record);
    ok $ok, "$name: ... verifies" or diag $out;

    my $now = time;
    sql($db, "INSERT OR IGNORE INTO subscribers (email, name, status, source, created_at,"
           . " confirmed_at, updated_at) VALUES ('sub\@example.net', 'Sub', 'active',"
           . " 'import', 1, 1, 1)");
    sql($db, "INSERT INTO posts (type, slug, title, body_md, body_html, status,"
           . " published_at, created_at, updated_at) VALUES ('post', 'news-$name',"
           . " 'News $name', 'x', '<p>News.</p>', 'published', $now, $now, $now)");
    $mail = next_mail();
    like $mail, qr/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m,
        "$name: a newsletter, with its one-click unsubscription";
    like $mail, qr/^ t=\d+; h=[a-z:-]*:list-unsubscribe:list-unsubscribe-post:[a-z:-]*from;\r$/m,
        "$name: ... whose List-Unsubscribe headers are signed";
    ($ok, $out) = verify($mail, $dns, $record);
    ok $ok, "$name: ... verifies" or diag $out;
}

like $site->jobrunner_log, qr/DKIM-signed with rsa-sha256/,
    'the jobrunner says at its start that it signs, and how';

# --- the key file is checked --------------------------------------------------

my ($key) = new_key('open', '-algorithm', 'ed25519');
chmod 0644, $key;
$site->stop_jobrunner;
write_file("$dir/conf/jobrunner.conf", $site->jobrunner_conf(
    "[mail]\nsmtp_url = smtp://127.0.0.1:1\nfrom = b\@example.org\n"
    . "starttls = off\ndkim_key_file = $key\ndkim_selector = mail\n"));
my $out = `$BlogTest::BUILD/jobrunner -c '$dir/conf/jobrunner.conf' 2>&1`;
isnt $? >> 8, 0, 'a key file others can read: the jobrunner does not start';
like $out, qr/jobrunner\.conf:\d+: DKIM key file "\Q$key\E" has mode 0644: others must not read it/,
    '... saying which file, its mode and the line';
my $pem = read_file($key);
my ($line) = $pem =~ /^([A-Za-z0-9+\/]{20,})/m;
unlike $out, qr/\Q$line\E/, '... and nothing of the key';

stop_smtp();
$site->stop_jobrunner;
$site->stop;
done_testing;
