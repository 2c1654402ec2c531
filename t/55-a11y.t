#!/usr/bin/perl
# Valid, accessible pages at a desktop and a phone width: headless Chromium
# (t/browser/a11y.js) visits every page of the site and of the admin panel
# at 1280 and 390 px and runs axe-core in each; the Nu HTML checker (vnu,
# on Debian's Java) reads the HTML the server sent, all pages in one run.
# No Nu error, no serious or critical axe finding, and no panel page wider
# than a phone.  Pages and screenshots are kept in build/screenshots/a11y/.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use JSON::PP qw(decode_json);
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64);
use Test::More;
use BlogTest;
use BlogAdmin;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $chromium = $ENV{CHROMIUM} // '/usr/bin/chromium';
my $java = $ENV{JAVA} // 'java';
my $profile = tempdir('chromium-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# skip only when the browser itself cannot run here
my $probe = `timeout 60 $chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir=$profile/probe --dump-dom about:blank 2>&1`;
if ($? != 0 || $probe !~ /<html/) {
    plan skip_all => "chromium cannot start here ($chromium): "
                   . (split /\n/, $probe // '')[0];
}

my $modules = "$BlogTest::ROOT/node_modules";
my $vnu = "$modules/vnu-jar/build/dist/vnu.jar";
ok -d "$modules/playwright-core" && -f "$modules/axe-core/axe.min.js" && -f $vnu,
    'playwright-core, axe-core and vnu-jar are installed (make test runs npm ci)'
    or BAIL_OUT('run "npm ci" in the repository first');
like `$java -version 2>&1`, qr/version/, 'a Java runtime runs the Nu checker'
    or BAIL_OUT('install default-jre-headless (scripts/deps.sh test)');

# --- a site with something on every page --------------------------------

my $code = join "\n", map { "    let line_$_ = compute(\"a value long enough to need a sideways scroll on any screen\", $_);" } 1 .. 4;
my %posts = (
    'about.md'  => "---\ntitle: About\ntype: page\n---\nWho writes here, and why.\n",
    'code.md'   => "---\ntitle: Code and comments\ndate: 2026-11-04\ntags: [nginx, C]\n---\n"
                 . "A paragraph with a [link](https://example.org/) in it.\n\n$code\n\n"
                 . "> A quotation.\n\n- one\n- two\n",
    'second.md' => "---\ntitle: Second\ndate: 2026-11-03\ntags: [nginx]\n---\nThe second post.\n",
    'third.md'  => "---\ntitle: Third\ndate: 2026-11-02\n---\nThe third post.\n",
    'fourth.md' => "---\ntitle: Fourth, with a title long enough to wrap on a phone screen\n"
                 . "date: 2026-11-01\ntags: [C]\n---\nThe fourth post.\n",
    'draft.md'  => "---\ntitle: A draft\ndraft: true\n---\nNot yet.\n",
);
# the newsletter's form on every page, and sign-in codes; limits high
# enough for every form to be sent at both widths; the CSS beacon on:
# every reader's page links it, the dashboard shows Humans
my $site = admin_site(posts => \%posts,
                      location => "blog_posts_per_page 2;\nblog_newsletter on;\n",
                      extra => "blog_login_code on;\nblog_login_limit 100 10m;\n"
                             . "blog_newsletter_limit 100 1h;\n"
                             . "blog_analytics_beacon on;\n");
my $db = $site->db;
# a second revision, whose diff has a line longer than a phone is wide
$posts{'code.md'} =~ s/A paragraph/A first paragraph, rewritten so that its line is longer than any phone screen is wide,/;
$site->import_posts({ 'code.md' => $posts{'code.md'} });
my $now = time;
my $code_id = sql($db, "SELECT id FROM posts WHERE slug = 'code'");
sql($db, "INSERT INTO comments (post_id, author_name, author_email, body_md, body_html,"
       . " status, address, created_at, updated_at) VALUES"
       . " ($code_id, 'Ada', 'ada\@example.org', 'Nice *post*.', '<p>Nice <em>post</em>.</p>',"
       . "  'approved', '127.0.0.1', $now - 600, $now - 600),"
       . " ($code_id, 'Bob', '', 'Waiting.', '<p>Waiting.</p>', 'pending', '127.0.0.1', $now, $now)");
my $today = int($now / 86400);
sql($db, "INSERT INTO analytics_daily (day, views, visitors, bot_views, requests)"
       . " VALUES ($today, 321, 123, 4, 330), ($today - 2, 50, 20, 0, 50);"
       . "INSERT INTO analytics_counts (dim, day, key, n) VALUES"
       . " ('path', $today, '/posts/code', 300),"
       . " ('post', $today, 'code', 300),"
       . " ('referrer', $today, 'https://a-rather-long-referrer-name.example.org/with/a/path', 8),"
       . " ('country', $today, 'FR', 77), ('browser', $today, 'Firefox', 70),"
       . " ('os', $today, 'Linux', 60), ('status', $today, '200', 320),"
       . " ('bot', $today, 'Googlebot', 4)");
# visits for the dashboard: every panel has rows, some long, some hostile
my $t0 = $today * 86400000;
sql($db, "INSERT INTO analytics_visits (day, visitor, start_ms, end_ms, views, entry,"
       . " exit, source, channel, ref_host, ref_path, utm_source, utm_medium, utm_campaign,"
       . " country, region, device, browser, os) VALUES"
       . " ($today, 1, $t0, $t0 + 90000, 2, '/posts/code', '/about', 'a-rather-long-referrer-name.example.org',"
       . "  'referral', 'a-rather-long-referrer-name.example.org', '/with/a/path/long/enough/to/wrap/on/a/phone',"
       . "  'newsletter', 'email', '<b>spring</b> \"sale\"', 'FR', 'FR-IDF', 'desktop', 'Firefox', 'Linux'),"
       . " ($today - 2, 2, $t0 - 172800000, $t0 - 172800000, 1, '/posts/second', '/posts/second', 'Google',"
       . "  'search', 'www.google.com', '/', '', '', '', 'DE', '', 'phone', 'Safari', 'iOS');"
       . "INSERT INTO analytics_views (visit, day, time_ms, path, status, ref_host, ref_path) VALUES"
       . " (1, $today, $t0, '/posts/code', 200, '', ''), (1, $today, $t0 + 90000, '/about', 200, '', ''),"
       . " (2, $today - 2, $t0 - 172800000, '/posts/second', 200, 'www.google.com', '/'),"
       . " (2, $today, $t0, '/posts/gone', 404, 'forum.example', '/t/1');"
       . "UPDATE analytics_visits SET human = 1 WHERE visitor = 1");
# access events on (no jobrunner listens: they are dropped), which the
# beacon needs to be linked
$site->{http} = "blog_events unix:" . $site->dir . "/events.sock;\n";
$site->start;
like $site->get('/posts/code')->{body},
    qr{<link rel="stylesheet" href="/reader\.css" media="print">},
    'the pages link the CSS beacon (checked with them below)';

my ($res, $jar) = login_as($site, 'admin', 'correct horse battery');
is $res->{status}, 303, 'signed in to upload an image';
my $csrf = csrf_of(jar_get($site, $jar, '/admin/media')->{body});
my $png = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x06\0\0\0\x1f\x15\xc4\x89"
        . "\0\0\0\rIDATx\x9cc\xf8\xff\xff?\0\x05\xfe\x02\xfe\xa7\x35\x81\x84\0\0\0\0IEND\xaeB`\x82";
my ($ct, $body) = multipart([csrf => $csrf], [file => $png, 'a-photo-with-a-long-name.png', 'image/png']);
$res = $site->request('POST', '/admin/media', Cookie => "blog_session=$jar->{blog_session}",
                      'Content-Type' => $ct, _body => $body);
is $res->{status}, 303, 'an image uploaded';
sql($db, "UPDATE jobs SET state = 'dead', attempts = 5, last_error = 'vips: not a PNG file'");
# the newsletter's pages: subscribers, a send with a dead letter
sql($db, "INSERT INTO subscribers (email, name, status, source, created_at, confirmed_at,"
       . " updated_at) VALUES ('ada\@example.org', 'Ada Lovelace', 'active', 'import',"
       . " $now, $now, $now), ('grace\@example.org', 'Grace', 'pending', 'form', $now, NULL, $now);"
       . "INSERT INTO newsletters (id, post_id, subject, status, created_at, started_at)"
       . " VALUES (1, $code_id, 'Code', 'sending', $now, $now);"
       . "INSERT INTO deliveries (newsletter_id, subscriber_id, status, attempts, next_try,"
       . " last_error, updated_at) VALUES (1, 1, 'sent', 1, $now, NULL, $now),"
       . " (1, 2, 'failed', 5, $now, 'smtp://mx: 451 4.2.1 Mailbox busy', $now)");

# the newsletter's links, signed with the site's key as the jobrunner signs
# them (lib/blog_newsletter.h): to confirm (and one expired), to unsubscribe
my $key = sql($db, "SELECT value FROM settings WHERE key = 'newsletter_key'");
sub b64url { my $s = encode_base64($_[0], ''); $s =~ tr{+/}{-_}; $s =~ s/=+\z//; $s }
sub signed {
    my ($purpose, $payload) = @_;
    my $p = b64url($payload);
    return $p . '.' . b64url(substr(hmac_sha256("$purpose:$p", $key), 0, 16));
}
my $confirm = signed('confirm', sprintf "%d %d new\@example.org\nNew reader", $now, $now + 3600);
my $expired = signed('confirm', sprintf "%d %d old\@example.org\nOld", $now - 7200, $now - 3600);
my $unsub = signed('unsubscribe', sql($db, "SELECT id FROM subscribers WHERE email = 'ada\@example.org'"));

# --- every page, at both widths ------------------------------------------

my @public = (index => '/', page2 => '/page/2', post => '/posts/code',
              page => '/about', tag => '/tags/nginx', notfound => '/no-such-page',
              search => '/search?q=nginx', 'search-none' => '/search?q=nothing-found',
              subscribe => '/subscribe',
              'subscribe-sent' => '/subscribe!email=reader%40example.org&name=A+reader',
              'subscribe-bad' => '/subscribe!email=not+an+address',
              confirm => "/subscribe/confirm?t=$confirm",
              'confirm-expired' => "/subscribe/confirm?t=$expired",
              unsubscribe => "/unsubscribe?t=$unsub",
              unsubscribed => "/unsubscribe?t=$unsub!t=$unsub",
              login => '/admin/login',
              'login-failed' => '/admin/login!name=nobody&password=wrong',
              'login-code' => '/admin/login/code',
              'login-code-sent' => '/admin/login/code!login=admin');
my @admin = (posts => '/admin/posts', pages => '/admin/posts?type=page',
             edit => "/admin/posts/$code_id", new => '/admin/posts/new',
             'new-refused' => '/admin/posts/new!title=&slug=Not+a+slug&body=Some+text.',
             revisions => "/admin/posts/$code_id/revisions",
             diff => "/admin/posts/$code_id/revisions?rev=2", media => '/admin/media',
             comments => '/admin/comments', analytics => '/admin/analytics',
             dashboard => '/admin/analytics?period=7d&country=FR',
             humans => '/admin/analytics?period=7d&human=1',
             jobs => '/admin/jobs', redirects => '/admin/redirects',
             subscribers => '/admin/subscribers',
             'subscribers-imported' => '/admin/subscribers!file=file:'
                 . 'email%2Cname%0Anew1%40example.org%2CNew+One%0Anot-an-address%2CBad%0A',
             newsletters => '/admin/newsletters',
             newsletter => '/admin/newsletters/1',
             'redirect-refused' => '/admin/redirects!from=/old&to=javascript:alert(1)',
             missing => '/admin/posts/999999');
my %is_admin = @admin;

my $keep = "$BlogTest::ROOT/build/screenshots/a11y";
remove_tree($keep);
make_path($keep);

my $pairs = sub { my @l = @_; my @o; push @o, shift(@l) . '=' . shift(@l) while @l; join ' ', @o };
local $ENV{BASE} = 'http://127.0.0.1:' . $site->port;
local $ENV{USER} = 'admin';
local $ENV{PASS} = 'correct horse battery';
local $ENV{PROFILE} = "$profile/run";
local $ENV{CHROMIUM} = $chromium;
local $ENV{NODE_PATH} = $modules;
local $ENV{OUT} = $keep;
local $ENV{PUBLIC} = $pairs->(@public);
local $ENV{ADMIN} = $pairs->(@admin);

my $out = `timeout 300 node $FindBin::Bin/browser/a11y.js 2>&1`;
my $rc = $? >> 8;
is $rc, 0, 'the browser visited every page' or diag $out;

my (%seen, %axe);
for my $line (split /\n/, $out) {
    if ($line =~ m{^page: (\S+) (\d+) status=(\d+) axe=\d+ overflow=(\d+)/(\d+) h1=(\d+)(?: bar=(\d+) menu=(\d+/\d+) opened=(-|\d+/\d+)(?: overflow-opened=(\d+))?)?$}) {
        $seen{"$1 $2"} = { status => $3, scroll => $4, inner => $5, h1 => $6,
                           bar => $7, menu => $8, opened => $9, scroll_opened => $10 };
    } elsif ($line =~ /^axe: (\S+ \d+) (.*)$/) {
        push @{$axe{$1}}, $2;
    }
}

my %expect = (notfound => 404, missing => 404, 'subscribe-bad' => 422,
              'confirm-expired' => 410, 'login-failed' => 403, 'redirect-refused' => 400,
              'new-refused' => 422);
my @names = (map({ $public[$_] } grep { $_ % 2 == 0 } 0 .. $#public),
             map({ $admin[$_] } grep { $_ % 2 == 0 } 0 .. $#admin));
for my $name (@names) {
    for my $width (1280, 390) {
        my $key = "$name $width";
        my $p = $seen{$key};
        ok $p, "$key: visited" or next;
        is $p->{status}, $expect{$name} // 200, "$key: status";
        cmp_ok $p->{h1}, '>=', 1, "$key: a first-level heading";
        is_deeply $axe{$key} // [], [], "$key: no serious or critical axe finding"
            or diag join "\n", @{$axe{$key}};
        if ($is_admin{$name}) {
            # the bar is one row at both widths: brand, menu, signed-in user
            cmp_ok $p->{bar} // 999, '<', 70, "$key: the panel's bar is one row ($p->{bar} px high)";
        }
        if ($is_admin{$name} && $width == 1280) {
            my ($shown, $all) = split m{/}, $p->{menu} // '0/0';
            ok $all >= 7 && $shown == $all, "$key: all the panel's links show ($p->{menu})";
            is $p->{opened}, '-', "$key: ... with no menu to open";
        }
        if ($width == 390) {
            cmp_ok $p->{scroll}, '<=', $p->{inner},
                "$key: no horizontal overflow ($p->{scroll} px in $p->{inner})";
        }
        if ($is_admin{$name} && $width == 390) {
            my ($shown, $all) = split m{/}, $p->{menu} // '0/0';
            ok $all >= 7 && $shown == 0, "$key: the panel's links fold into a menu ($p->{menu})";
            is $p->{opened}, "$all/$all", "$key: ... that opens from the keyboard with every link on screen";
            cmp_ok $p->{scroll_opened} // 999, '<=', $p->{inner}, "$key: ... and no overflow";
        }
        my $shot = read_file("$keep/$name-$width.png") // '';
        is substr($shot, 0, 8), "\x89PNG\r\n\x1a\n", "$key: screenshot kept";
    }
}

# --- the Nu checker over all the pages, one JVM ----------------------------

my @html = sort glob("$keep/*.html");
is scalar @html, 2 * @names, 'the HTML of every page at both widths saved';
my $report = `$java -jar $vnu --format json --stdout @html 2>&1`;
my $json = eval { decode_json($report) };
ok $json, 'the Nu checker ran' or diag $report;
my %errors;
for my $m (@{ $json ? $json->{messages} : [] }) {
    next unless $m->{type} eq 'error' || $m->{type} eq 'non-document-error';
    my ($file) = ($m->{url} // '') =~ m{([^/]+)\.html$};
    push @{$errors{$file // '?'}}, "line " . ($m->{lastLine} // '?') . ": $m->{message}";
}
for my $file (map { m{([^/]+)\.html$} } @html) {
    is_deeply $errors{$file} // [], [], "$file: no Nu checker error"
        or diag join "\n", @{$errors{$file}};
}
delete @errors{map { m{([^/]+)\.html$} } @html};
is_deeply \%errors, {}, 'no Nu checker error elsewhere';

done_testing;
