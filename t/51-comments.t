#!/usr/bin/perl
# Readers' comments against a real nginx: posting, moderation, trusted
# authors (by the token in their cookie), honeypot, limits, rate limit,
# safe Markdown, clear errors.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BlogTest;
use BlogAdmin;

my $site = admin_site(
    extra => "blog_comment_limit 4 10m;\n",
    posts => {
        'hello.md' => "---\ntitle: Hello\ndate: 2026-10-01\n---\nBody.\n",
        'draft.md' => "---\ntitle: Draft\ndraft: true\n---\nNot yet.\n",
        'about.md' => "---\ntitle: About\ntype: page\n---\nMe.\n",
    },
);
$site->start;
my $db = $site->db;

sub comment {
    my ($slug, %f) = @_;
    my $body = join '&', map { urlencode($_) . '=' . urlencode($f{$_}) } sort keys %f;
    return $site->request('POST', "/posts/$slug/comments",
                          'Content-Type' => 'application/x-www-form-urlencoded',
                          _body => $body, %{ delete $f{_headers} // {} });
}

my $r = $site->get('/posts/hello');
is $r->{status}, 200, 'post page';
like $r->{body}, qr{<form method="post" action="/posts/hello/comments" id="comment-form"}, 'has the comment form';
like $r->{body}, qr{No comments yet\.}, 'no comments yet';
like $r->{body}, qr{name="website"}, 'has the honeypot field';
unlike $site->get('/about')->{body}, qr/comment-form/, 'pages take no comments';

$r = comment('hello', name => 'Ann', email => 'ann@example.org', body => "Nice *post*!\n");
is $r->{status}, 303, 'a comment is accepted';
like $r->{headers}{location}, qr{/posts/hello#comment-pending$}, '... and waits for moderation';
is sql($db, 'SELECT author_name, author_email, status, body_html FROM comments'),
    "Ann|ann\@example.org|pending|<p>Nice <em>post</em>!</p>\n", 'stored pending, Markdown rendered';
is sql($db, "SELECT kind, json_extract(payload, '\$.slug'), json_extract(payload, '\$.status') FROM job_outbox"),
    'comment|hello|pending', "a comment event is queued for the jobrunner, in data.db's outbox";
$r = $site->get('/posts/hello');
unlike $r->{body}, qr{Nice <em>post</em>}, 'a pending comment is not shown';
like $r->{body}, qr{id="comment-pending"}, 'the page has the awaiting-moderation note';

my $id = sql($db, 'SELECT id FROM comments');
sql($db, "UPDATE comments SET status = 'approved' WHERE id = $id");
$r = $site->get('/posts/hello');
like $r->{body}, qr{<article class="comment" id="comment-$id">}, 'approved: shown at once (the page cache follows the database)';
like $r->{body}, qr{<strong>Ann</strong>}, '... with its author';
unlike $r->{body}, qr{ann\@example\.org}, '... but not the e-mail address';

# honeypot
$r = comment('hello', name => 'Bot', body => 'Buy now', website => 'http://spam.example');
is $r->{status}, 303, 'a bot filling the hidden field is thanked';
is sql($db, "SELECT count(*) FROM comments WHERE author_name = 'Bot'"), 0, '... and nothing is stored';

# safe Markdown
$r = comment('hello', name => 'Mallory', body => "<script>alert(1)</script>\n\n[x](javascript:alert(2)) <img src=x onerror=alert(3)>\n");
is $r->{status}, 303, 'hostile Markdown is accepted';
my $html = sql($db, "SELECT body_html FROM comments WHERE author_name = 'Mallory'");
unlike $html, qr{<script|javascript:|<img}, 'stored HTML has no script, no javascript: link, no raw tag';

# errors, with the values sent back escaped
my $x = q{"><script>alert('name')</script>};
$r = comment('hello', name => '', email => $x, body => 'text');
is $r->{status}, 422, 'a missing name: 422';
like $r->{body}, qr{Please give your name\.}, '... says so';
like $r->{body}, qr{value="&quot;&gt;&lt;script&gt;alert\(&#39;name&#39;\)&lt;/script&gt;"}, '... refills the form, escaped';
like $r->{body}, qr{<h1>Hello</h1>}, '... on the post page';
is $r->{headers}{'cache-control'}, 'no-store', '... not cached';
$r = comment('hello', name => 'n' x 101, body => 'x');
is $r->{status}, 422, 'a name of 101 characters: 422';
like $r->{body}, qr/longer than 100 characters/, '... says so';
is comment('hello', name => "\x{101}" x 100, body => 'x')->{status}, 303, '100 characters (200 bytes) are fine';
$r = comment('hello', name => 'Ann', email => 'not-an-address', body => 'x');
is $r->{status}, 422, 'a bad e-mail address: 422';
$r = comment('hello', name => 'Ann', email => ('e' x 195) . '@x.org', body => 'x');
is $r->{status}, 422, 'an e-mail address over 200 characters: 422';
$r = comment('hello', name => 'Ann', body => 'b' x 10001);
is $r->{status}, 422, 'a body over 10000 characters: 422';
like $r->{body}, qr/longer than 10000 characters/, '... says so';
$r = comment('hello', name => 'Ann', body => " \n\t ");
is $r->{status}, 422, 'an empty body: 422';
is comment('draft', name => 'Ann', body => 'x')->{status}, 404, 'no comments on a draft';
is comment('nope', name => 'Ann', body => 'x')->{status}, 404, 'nor on a missing post';
is $site->request('POST', '/posts/hello')->{status}, 405, 'other POSTs: 405';

# SQL metacharacters
my $sqlish = q{O'Brien"); DELETE FROM comments; --};
sql($site->{ttl}, 'DELETE FROM rate_limits');
is comment('hello', name => $sqlish, body => $sqlish)->{status}, 303, 'SQL metacharacters are stored';
is sql($db, "SELECT count(*) FROM comments WHERE author_name = '" . ($sqlish =~ s/'/''/gr) . "'"), 1,
    '... exactly, and nothing was deleted';

# rate limit: 4 per 10 minutes per address
sql($site->{ttl}, 'DELETE FROM rate_limits');
my @st = map { comment('hello', name => "R$_", body => 'x')->{status} } 1 .. 5;
is "@st", '303 303 303 303 429', 'the fifth comment in the window: 429';
$r = comment('hello', name => 'R6', body => 'keep me');
like $r->{body}, qr/Please try again in 10 minutes/, '... says when';
like $r->{body}, qr{>keep me</textarea>}, '... and keeps the text';
sql($site->{ttl}, 'DELETE FROM rate_limits');

# trusted authors: the panel's user, and trusted addresses
my ($res, $jar) = login_as($site, 'admin', 'correct horse battery');
is $res->{status}, 303, 'the owner signs in';
$r = comment('hello', name => 'Owner', body => 'From the owner', _headers => {
    Cookie => "blog_session=$jar->{blog_session}" });
like $r->{headers}{location}, qr{#comment-\d+$}, "the owner's comment skips the queue";
is sql($db, "SELECT status FROM comments WHERE author_name = 'Owner'"), 'approved', '... approved';
$r = comment('hello', name => 'Friend', email => 'friend@example.org', body => 'first');
like $r->{headers}{location}, qr{#comment-pending$}, "a friend's first comment waits";
like cookie_attrs($r, 'blog_commenter'),
    qr{^blog_commenter=[0-9a-f]{64}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict$},
    '... and her browser gets its commenter token';
my ($friend) = cookie_attrs($r, 'blog_commenter') =~ /=([0-9a-f]{64})/;
my $fid = sql($db, "SELECT id FROM comments WHERE author_name = 'Friend'");
my $queue = jar_get($site, $jar, '/admin/comments');
like $queue->{body}, qr{value="trust">Approve and trust author}, 'the panel offers to trust her';
$r = jar_post($site, $jar, "/admin/comments/$fid", [csrf => csrf_of($queue->{body}), action => 'trust']);
is $r->{status}, 303, '... and the owner does';
$r = comment('hello', name => 'Friend', body => 'hi', _headers => { Cookie => "blog_commenter=$friend" });
like $r->{headers}{location}, qr{#comment-\d+$}, 'a trusted author skips the queue';
is sql($db, "SELECT status FROM comments WHERE author_name = 'Friend' ORDER BY id DESC LIMIT 1"), 'approved', '... approved';
$r = comment('hello', name => 'Friend', email => 'friend@example.org', body => 'not her');
like $r->{headers}{location}, qr{#comment-pending$}, '... her e-mail address without her cookie does not';
like $site->get('/posts/hello')->{body}, qr{From the owner.*first.*hi}s, 'all approved ones are on the page, oldest first';

# the jobrunner takes the comment events
$site->start_jobrunner;
my $events = sql($db, "SELECT count(*) FROM job_outbox");
ok wait_for(sub { sql($db, "SELECT (SELECT count(*) FROM job_outbox), (SELECT count(*) FROM jobs"
                           . " WHERE kind = 'comment' AND state = 'done')") eq "0|$events" }, 20),
    "the jobrunner moves the $events comment events from the outbox and handles each"
    or diag $site->jobrunner_log;
like $site->jobrunner_log, qr/new comment \d+ on "hello", awaiting moderation/,
    '... and tells the owner in its log';
like $site->jobrunner_log, qr/new comment \d+ on "hello", published/, '... or that it is published';
$site->stop_jobrunner;

# comments off
my $off = new_site(posts => { 'a.md' => "---\ntitle: A\ndate: 2026-10-01\n---\nx\n" });
$off->start;
is $off->request('POST', '/posts/a/comments', _body => 'name=x&body=y',
                 'Content-Type' => 'application/x-www-form-urlencoded')->{status},
    405, 'without blog_comments, comments are refused';
unlike $off->get('/posts/a')->{body}, qr/comment-form/, '... and no form is shown';

unlike $site->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts in the error log';

done_testing;
