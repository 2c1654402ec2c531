#!/usr/bin/perl
# The admin panel against a real nginx: sign-in, sessions, CSRF, every
# action on posts, revisions, media, comments and jobs, edit conflicts,
# hostile input.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BlogTest;
use BlogAdmin;

my $PW = 'correct horse battery';

my $site = admin_site(
    extra => "blog_upload_max_size 64k;\nblog_session_idle 30m;\n"
           . "blog_session_timeout 2h;\nblog_login_limit 3 10m;\n",
);
$site->start;
my $db = $site->db;
my $ttl = $site->{ttl};

# --- sign-in -------------------------------------------------------------

my $r = $site->get('/admin/');
is $r->{status}, 303, 'the panel without a session redirects';
like $r->{headers}{location}, qr{/admin/login$}, '... to the sign-in form';

$r = $site->get('/admin/login');
is $r->{status}, 200, 'sign-in form';
like $r->{body}, qr{<form method="post" action="/admin/login">}, 'form posts to login';
like cookie_attrs($r, 'blog_csrf'), qr/HttpOnly; SameSite=Strict/, 'sign-in token cookie is HttpOnly, SameSite=Strict';
is $r->{headers}{'cache-control'}, 'no-store', 'panel pages are not cached';
is $r->{headers}{'x-frame-options'}, 'DENY', 'panel pages are not framed';
like $r->{headers}{'content-security-policy'}, qr/default-src 'self'/, 'CSP';
unlike $r->{body}, qr/sign-in code/, 'no sign-in by e-mailed code unless blog_login_code is on';
is $site->get('/admin/login/code')->{status}, 303, '... and no form for it';

my ($res, $jar) = login_as($site, 'admin', 'wrong password');
is $res->{status}, 403, 'wrong password refused';
like $res->{body}, qr/Wrong name or password/, '... with a message';
ok !exists $jar->{blog_session}, '... and no session';

($res, $jar) = login_as($site, 'nobody', $PW);
is $res->{status}, 403, 'unknown user refused the same way';
like $res->{body}, qr/Wrong name or password/, '... same message';

# the two failures above count; start clean for the rest
sql($ttl, 'DELETE FROM rate_limits');

$jar = {};
jar_get($site, $jar, '/admin/login');
$r = jar_post($site, $jar, '/admin/login', [name => 'admin', password => $PW]);
is $r->{status}, 403, 'sign-in without its token refused';
like $r->{body}, qr/expired/, '... as an expired form';
$r = jar_post($site, $jar, '/admin/login', [csrf => 'a' x 64, name => 'admin', password => $PW]);
is $r->{status}, 403, 'sign-in with a wrong token refused';

($res, $jar) = login_as($site, 'admin', $PW);
is $res->{status}, 303, 'good password signs in';
like $res->{headers}{location}, qr{/admin/$}, '... to the panel';
my $sc = cookie_attrs($res, 'blog_session');
like $sc, qr/^blog_session=[0-9a-f]{64}; Path=\/; Max-Age=7200; HttpOnly; SameSite=Strict$/,
    'session cookie: 256 bits, HttpOnly, SameSite=Strict, session timeout';
unlike $sc, qr/Secure/, 'no Secure flag over plain HTTP';
my $sid = $jar->{blog_session};
is sql($ttl, "SELECT count(*) FROM sessions WHERE id = '$sid'"), 0,
    'ttl.db does not hold the cookie value';
is sql($ttl, 'SELECT count(*) FROM sessions'), 1, 'one session row (its hash)';
is sql($ttl, 'SELECT expires_at - created_at, ends_at - created_at FROM sessions'),
    '1800|7200', 'idle and absolute timeouts from the directives';
unlike $site->error_log, qr/$sid/, 'the session id is never logged';

# signing in again rotates the id and ends the old session
my ($res2, $jar2) = login_as($site, 'admin', $PW, {%$jar});
isnt $jar2->{blog_session}, $sid, 'a new sign-in gets a new session id';
is sql($ttl, 'SELECT count(*) FROM sessions'), 1, '... and the old session is gone';
is jar_get($site, {blog_session => $sid}, '/admin/posts')->{status}, 303,
    'the old id no longer works';
$jar = $jar2;

$r = jar_get($site, $jar, '/admin/posts');
is $r->{status}, 200, 'post list with the session';
like $r->{body}, qr/<span class="who">admin<\/span>/, 'shows who is signed in';
my $csrf = csrf_of($r->{body});
ok $csrf, 'pages carry the CSRF token';

# --- CSRF ------------------------------------------------------------------

my @post = (title => 'First post', slug => '', type => 'post', status => 'draft',
            published => '', tags => 'nginx, Admin', summary => '',
            body => "Hello *world*.\n\nSecond paragraph.\n", base => '', action => 'save');

$r = jar_post($site, $jar, '/admin/posts/new', [@post]);
is $r->{status}, 403, 'POST without a CSRF token refused';
$r = jar_post($site, $jar, '/admin/posts/new', [csrf => 'f' x 64, @post]);
is $r->{status}, 403, 'POST with a wrong CSRF token refused';
$r = jar_post($site, $jar, '/admin/posts/new', [csrf => $csrf, @post],
              Origin => 'http://evil.example');
is $r->{status}, 403, 'POST from another origin refused';
is sql($db, 'SELECT count(*) FROM posts'), 0, 'nothing was written';

# --- create, publish, view ----------------------------------------------

$r = jar_post($site, $jar, '/admin/posts/new', [csrf => $csrf, @post],
              Origin => "http://localhost", Referer => "http://evil.example/");
is $r->{status}, 303, 'create a draft';
my ($id) = ($r->{headers}{location} // '') =~ m{/admin/posts/(\d+)\?done=created$};
ok $id, 'redirects to the new post';
is sql($db, "SELECT slug, status, type, summary FROM posts WHERE id = $id"),
    'first-post|draft|post|Hello world.', 'row: slug from the title, draft, summary derived';
is sql($db, "SELECT rev, origin, tags FROM revisions WHERE post_id = $id"),
    '1|admin:admin|nginx,Admin', 'revision 1 by the panel, as blogctl keeps them';
is sql($db, "SELECT group_concat(slug) FROM (SELECT t.slug FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = $id ORDER BY t.slug)"),
    'admin,nginx', 'tags linked';
is $site->get('/posts/first-post')->{status}, 404, 'a draft is not on the site';

$r = jar_get($site, $jar, "/admin/posts/$id");
is $r->{status}, 200, 'editor';
like $r->{body}, qr/value="First post"/, 'editor has the title';
like $r->{body}, qr/<textarea name="summary"[^>]*><\/textarea>/, 'a derived summary shows empty';
my ($base) = $r->{body} =~ /name="base" value="([^"]+)"/;
like $base, qr/^\d+\.1$/, 'the form carries updated_at.rev';

my %edit = (@post, status => 'published');
delete $edit{base};
$r = jar_post($site, $jar, "/admin/posts/$id", [csrf => $csrf, %edit, base => $base]);
is $r->{status}, 303, 'publish';
like $r->{headers}{location}, qr{\?done=saved$}, '... saved';
like jar_get($site, $jar, "/admin/posts/$id?done=saved")->{body},
     qr{<p class="notice" role="status">Saved\.</p>}, '... and the editor says so';
like jar_get($site, $jar, "/admin/posts?done=%3Cb%3E")->{body},
     qr{<main[^>]*>(?:(?!class="notice").)*</main>}s,
     'a ?done= not in the list shows no notice (nothing echoed)';
$r = $site->get('/posts/first-post');
is $r->{status}, 200, 'the post is on the site';
like $r->{body}, qr{<em>world</em>}, '... rendered';
like $site->get('/')->{body}, qr{href="/posts/first-post"}, '... and on the index';

$r = jar_get($site, $jar, "/admin/posts/$id");
($base) = $r->{body} =~ /name="base" value="([^"]+)"/;
$r = jar_post($site, $jar, "/admin/posts/$id", [csrf => $csrf, %edit, base => $base]);
like $r->{headers}{location} // '', qr{done=unchanged}, 'saving the same again writes nothing';
is sql($db, "SELECT max(rev) FROM revisions WHERE post_id = $id"), 2, '... no new revision';

# --- concurrent editors --------------------------------------------------

my $a = jar_get($site, $jar, "/admin/posts/$id");
my ($base_a) = $a->{body} =~ /name="base" value="([^"]+)"/;
my $base_b = $base_a;                         # a second tab, same moment
$r = jar_post($site, $jar, "/admin/posts/$id",
              [csrf => $csrf, %edit, body => "Editor A was here.\n", base => $base_a]);
is $r->{status}, 303, 'first editor saves';
$r = jar_post($site, $jar, "/admin/posts/$id",
              [csrf => $csrf, %edit, body => "Editor B's <text> survives.\n", base => $base_b]);
is $r->{status}, 409, 'second editor with the old version gets 409';
like $r->{body}, qr/Conflict: someone else saved this post/, '... a clear message';
like $r->{body}, qr/Editor B&#39;s &lt;text&gt; survives\./, "... and keeps B's text, escaped";
is sql($db, "SELECT body_md FROM posts WHERE id = $id"), "Editor A was here.\n",
    'A\'s text is not overwritten';

# --- validation, preview -------------------------------------------------

$r = jar_post($site, $jar, '/admin/posts/new', [csrf => $csrf, @post, title => '']);
is $r->{status}, 422, 'empty title refused';
like $r->{body}, qr/The title is required/, '... with the reason';
$r = jar_post($site, $jar, '/admin/posts/new', [csrf => $csrf, @post, slug => 'Bad Slug!']);
is $r->{status}, 422, 'bad slug refused';
$r = jar_post($site, $jar, '/admin/posts/new', [csrf => $csrf, @post, slug => 'first-post']);
is $r->{status}, 422, 'a taken slug refused';
like $r->{body}, qr/has this slug already/, '... with the reason';
$r = jar_post($site, $jar, '/admin/posts/new', [csrf => $csrf, @post, status => 'scheduled', published => '2001-01-01T00:00']);
is $r->{status}, 422, 'scheduled in the past refused';
$r = jar_post($site, $jar, '/admin/posts/new', [csrf => $csrf, @post, tags => 'ok, !!!']);
is $r->{status}, 422, 'a tag without letters refused';
$r = jar_post($site, $jar, '/admin/posts/new', [csrf => $csrf, @post, body => "x\xff\n"]);
is $r->{status}, 422, 'invalid UTF-8 refused';
is sql($db, 'SELECT count(*) FROM posts'), 1, 'none of them was written';

$r = jar_post($site, $jar, '/admin/posts/new', [csrf => $csrf, @post, action => 'preview',
              body => "# Title\n\n<script>alert(1)</script> [x](javascript:alert(2))\n"]);
is $r->{status}, 200, 'preview without JavaScript';
like $r->{body}, qr{<h1>Title</h1>}, '... renders the Markdown';
unlike $r->{body}, qr{<script>alert|href="javascript:}, '... safely';
is sql($db, 'SELECT count(*) FROM posts'), 1, '... and saves nothing';
$r = jar_post($site, $jar, '/admin/preview', [csrf => $csrf, body => "**bold** <img src=x onerror=alert(1)>"]);
is $r->{status}, 200, 'preview for the editor script';
like $r->{body}, qr{<strong>bold</strong>}, '... rendered';
unlike $r->{body}, qr{<img src=x}, '... no raw HTML';

# --- revisions, diff, rollback ------------------------------------------

$r = jar_get($site, $jar, "/admin/posts/$id/revisions?rev=3");
is $r->{status}, 200, 'revisions page';
like $r->{body}, qr{<span class="removed">- Second paragraph\.</span>}, 'diff shows a removed line';
like $r->{body}, qr{<span class="added">\+ Editor A was here\.</span>}, 'diff shows an added line';
$r = jar_post($site, $jar, "/admin/posts/$id/rollback", [csrf => $csrf, rev => 1]);
is $r->{status}, 303, 'rollback to revision 1';
is sql($db, "SELECT status, body_md FROM posts WHERE id = $id"),
    "draft|Hello *world*.\n\nSecond paragraph.\n", 'the post is revision 1 again';
is sql($db, "SELECT origin FROM revisions WHERE post_id = $id ORDER BY rev DESC LIMIT 1"),
    'rollback:1', 'recorded as a new revision, as blogctl does';
my ($rc, $out) = blogctl('-d', $db, 'revisions', 'first-post');
like $out, qr/^4\t.*\trollback:1$/m, 'blogctl sees the same revisions';
$r = jar_post($site, $jar, "/admin/posts/$id/rollback", [csrf => $csrf, rev => 99]);
is $r->{status}, 404, 'rollback to a missing revision: 404';

# --- pages list, scheduling ----------------------------------------------

$r = jar_post($site, $jar, '/admin/posts/new', [csrf => $csrf, @post, title => 'About me',
              type => 'page', status => 'published']);
is $r->{status}, 303, 'create a page';
is $site->get('/about-me')->{status}, 200, 'the page is on the site';
like jar_get($site, $jar, '/admin/posts?type=page')->{body}, qr/About me/, 'pages list';

my @t = gmtime(time + 2);
my $when = sprintf '%04d-%02d-%02dT%02d:%02d:%02d', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0];
$r = jar_post($site, $jar, '/admin/posts/new', [csrf => $csrf, @post, title => 'Later',
              status => 'scheduled', published => $when]);
is $r->{status}, 303, 'schedule a post 2 s ahead';
is $site->get('/posts/later')->{status}, 404, 'not on the site yet';
ok wait_for(sub { $site->get('/posts/later')->{status} == 200 }, 8), 'the timer publishes it';
is sql($db, "SELECT status FROM posts WHERE slug = 'later'"), 'published', '... status published';
is sql($db, "SELECT origin FROM revisions r JOIN posts p ON p.id = r.post_id WHERE p.slug = 'later' ORDER BY rev DESC LIMIT 1"),
    'schedule', '... as a revision';

# --- media ---------------------------------------------------------------

my $png = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x06\0\0\0\x1f\x15\xc4\x89"
        . "\0\0\0\rIDATx\x9cc\xf8\xff\xff?\0\x05\xfe\x02\xfe\xa7\x35\x81\x84\0\0\0\0IEND\xaeB`\x82";

my ($ct, $body) = multipart([csrf => $csrf], [file => "<?php system('id'); ?>", 'fake.png', 'image/png']);
$r = $site->request('POST', '/admin/media', Cookie => "blog_session=$jar->{blog_session}",
                    'Content-Type' => $ct, _body => $body);
is $r->{status}, 415, 'a fake image (wrong magic) is refused';
like $r->{body}, qr/not a JPEG, PNG, GIF, WebP or AVIF image/, '... with the reason';
is sql($db, 'SELECT count(*) FROM uploads'), 0, '... and not recorded';

($ct, $body) = multipart([csrf => $csrf], [file => 'x' x (65 * 1024), 'big.png', 'image/png']);
$r = $site->request('POST', '/admin/media', Cookie => "blog_session=$jar->{blog_session}",
                    'Content-Type' => $ct, _body => $body);
is $r->{status}, 413, 'a file over blog_upload_max_size is refused';

($ct, $body) = multipart([file => $png, 'dot.png', 'image/png']);
$r = $site->request('POST', '/admin/media', Cookie => "blog_session=$jar->{blog_session}",
                    'Content-Type' => $ct, _body => $body);
is $r->{status}, 403, 'an upload without the CSRF token is refused';

($ct, $body) = multipart([csrf => $csrf], [file => $png, 'dot&1.png', 'application/octet-stream']);
$r = $site->request('POST', '/admin/media', Cookie => "blog_session=$jar->{blog_session}",
                    'Content-Type' => $ct, _body => $body);
is $r->{status}, 303, 'a real PNG is accepted, whatever its declared type';
my $path = sql($db, 'SELECT path FROM uploads');
like $path, qr{^([0-9a-f]{2})/\1[0-9a-f]{62}\.png$}, 'stored by content hash';
is read_file($site->media . "/$path"), $png, 'the file is in the media folder, whole';
my $mtime = (stat $site->media . "/$path")[9];
is sql($db, "SELECT kind, payload FROM job_outbox WHERE dedupe_key LIKE 'thumb:$path:%'"),
    "thumb|{\"mtime\":$mtime,\"path\":\"$path\",\"size\":69}",
    'a "thumb" job is queued for the jobrunner, as its media scan would, in data.db\'s outbox';
is $site->get("/media/$path")->{status}, 200, 'served from the site';
my @tmp = glob($site->media . '/*/.upload-*');
is scalar @tmp, 0, 'no temporary file is left';
$r = jar_get($site, $jar, '/admin/media');
like $r->{body}, qr{<code>!\[dot&amp;1.png\]\(/media/\Q$path\E\)</code>}, 'media list with a Markdown snippet';

# no jobrunner runs here: the job is put in queue.db as its outbox move
# would (t/88-hot-split.t runs the real one); the posts published above
# have their newsletters' jobs there too, left out
sql($db, "INSERT INTO jobs (kind, dedupe_key, payload, run_after, created_at,"
         . " updated_at, outbox_id) SELECT kind, dedupe_key, payload,"
         . " run_after, created_at, created_at, id FROM job_outbox"
         . " WHERE kind = 'thumb'");
$r = jar_get($site, $jar, '/admin/jobs');
is $r->{status}, 200, 'jobs page';
like $r->{body}, qr{<td>queued</td><td>1</td>}, 'shows the queued thumbnail job';
sql($db, "UPDATE jobs SET state = 'dead', last_error = 'vips <failed>'");
$r = jar_get($site, $jar, '/admin/jobs');
like $r->{body}, qr{vips &lt;failed&gt;}, 'dead letters with their error, escaped';
my $job = sql($db, 'SELECT id FROM jobs');
$r = jar_post($site, $jar, '/admin/jobs', [csrf => $csrf, id => $job]);
is $r->{status}, 303, 'queue a dead job again';
is sql($db, 'SELECT state, attempts FROM jobs'), 'queued|0', '... it is queued';

# --- analytics in the panel ---------------------------------------------

# the dashboard (t/56-dashboard.t has the rest): visits of today
my $today = int(time / 86400);
my $t0 = $today * 86400000;
sql($db, "INSERT INTO analytics_visits (day, visitor, start_ms, end_ms, views,"
       . " entry, exit, ref_host, source, country) VALUES"
       . " ($today, 1, $t0, $t0 + 60000, 2, '/posts/first-post', '/',"
       . "  '<img src=x onerror=alert(1)>.example', '<img src=x onerror=alert(1)>.example', 'FR'),"
       . " ($today, 2, $t0, $t0, 1, '/posts/first-post', '/posts/first-post', '', '', 'FR');"
       . "INSERT INTO analytics_views (visit, day, time_ms, path, status) VALUES"
       . " (1, $today, $t0, '/posts/first-post', 200), (1, $today, $t0 + 60000, '/', 200),"
       . " (2, $today, $t0, '/posts/first-post', 200)");
$r = jar_get($site, $jar, '/admin/analytics');
is $r->{status}, 200, 'analytics page in the panel';
like $r->{body}, qr{<span class="label">Visitors</span> <b>2</b>}, '... visitors of 30 days';
like $r->{body}, qr{<td><a href="[^"]*">/posts/first-post</a></td><td class="n">2</td><td class="n">2</td>}, '... top pages';
like $r->{body}, qr{<td><a href="[^"]*">FR</a></td><td class="n">2</td>}, '... countries';
like $r->{body}, qr{<td><a href="[^"]*">&lt;img src=x onerror=alert\(1\)&gt;\.example</a></td>}, '... a hostile source escaped';
unlike $r->{body}, qr{<img src=x}, '... never raw';
like $r->{body}, qr{<a href="/admin/analytics">Analytics</a>}, '... linked from the menu';
$r = $site->get('/admin/analytics');
is $r->{status}, 303, 'analytics without a session redirects to sign-in';
$r = jar_post($site, $jar, '/admin/analytics', [csrf => $csrf]);
is $r->{status}, 405, 'analytics takes no POST';

# --- comments moderation -------------------------------------------------

sql($db, "UPDATE posts SET status = 'published', published_at = 1 WHERE id = $id");
$r = $site->request('POST', '/posts/first-post/comments', 'Content-Type' => 'application/x-www-form-urlencoded',
                    _body => 'name=Reader&email=r%40example.org&body=Nice+post');
is $r->{status}, 303, 'a reader comments';
my $cid = sql($db, 'SELECT id FROM comments');
$r = jar_get($site, $jar, '/admin/comments');
like $r->{body}, qr{id="comment-$cid"}, 'the queue shows it';
like jar_get($site, $jar, '/admin/posts')->{body}, qr/1 pending/, 'the post list counts it';
$r = jar_post($site, $jar, "/admin/comments/$cid", [csrf => $csrf, action => 'approve']);
is $r->{status}, 303, 'approve';
like $site->get('/posts/first-post')->{body}, qr{id="comment-$cid"}, 'shown on the post';
$r = jar_post($site, $jar, "/admin/comments/$cid", [csrf => $csrf, action => 'spam']);
is sql($db, "SELECT status FROM comments WHERE id = $cid"), 'spam', 'mark as spam';
unlike $site->get('/posts/first-post')->{body}, qr{id="comment-$cid"}, 'gone from the post';
$r = jar_post($site, $jar, "/admin/comments/$cid", [csrf => $csrf, action => 'trust']);
is sql($db, 'SELECT count(*) FROM trusted_commenters c JOIN comments USING (commenter)'
            . " WHERE id = $cid"), 1, "trust the author: her token's hash";
$r = jar_post($site, $jar, "/admin/comments/$cid", [csrf => $csrf, action => 'delete']);
is sql($db, 'SELECT count(*) FROM comments'), 0, 'delete';
$r = jar_post($site, $jar, "/admin/comments/$cid", [csrf => $csrf, action => 'delete']);
is $r->{status}, 404, 'a missing comment: 404';

# --- hostile input: SQL metacharacters and XSS everywhere -----------------

my $sqlish = q{Robert'); DROP TABLE posts;-- "x" \ %_ ?1 ; ' OR '1'='1};
$r = jar_post($site, $jar, '/admin/posts/new', [csrf => $csrf, @post, title => $sqlish,
              slug => 'sqlish', status => 'published', tags => q{it's, "quoted", 50% off},
              summary => $sqlish, body => "$sqlish\n"]);
is $r->{status}, 303, 'SQL metacharacters in every field are saved';
is sql($db, "SELECT title FROM posts WHERE slug = 'sqlish'"), $sqlish, '... exactly as written';
is sql($db, "SELECT group_concat(name, '|') FROM (SELECT t.name FROM tags t ORDER BY t.slug)"),
    qq{50% off|Admin|it's|nginx|"quoted"}, '... tags too';
is sql($db, "SELECT count(*) FROM sqlite_master WHERE name = 'posts'"), 1, 'no table was dropped';
$r = jar_get($site, $jar, "/admin/posts?x=%27%3B+DROP+TABLE+posts%3B--");
is $r->{status}, 200, 'SQL in a query string is harmless';

my @xss = (
    q{<script>alert(1)</script>}, q{"><script>alert(2)</script>}, q{'><img src=x onerror=alert(3)>},
    q{<svg onload=alert(4)>}, q{javascript:alert(5)}, q{<iframe src="javascript:alert(6)">},
    q{<a href="javascript:alert(7)">x</a>}, q{<body onload=alert(8)>}, q{<img src="x" onerror="alert(9)">},
    q{'';!--"<XSS>=&{()}}, q{<scr<script>ipt>alert(11)</scr</script>ipt>}, q{<math><mi xlink:href="javascript:alert(12)">},
    q{<input autofocus onfocus=alert(13)>}, q{<details open ontoggle=alert(14)>}, q{" onmouseover="alert(15)},
    q{' onclick='alert(16)}, q{<style>@import'//evil/x.css'</style>}, q{<meta http-equiv="refresh" content="0;url=//evil">},
    q{</textarea><script>alert(19)</script>}, q{</title><script>alert(20)</script>}, q{<object data="data:text/html,<script>alert(21)</script>">},
    q{{{site_title}}}, q{<base href="//evil/">},
);
my $n = 0;
for my $x (@xss) {
    $n++;
    $r = jar_post($site, $jar, '/admin/posts/new', [csrf => $csrf, @post, title => "T$n $x",
                  slug => "xss-$n", status => 'published', tags => "tag$n $x", summary => $x,
                  body => "$x\n\n[link]($x)\n"]);
    is $r->{status}, 303, "payload $n saved";
}
my @pages = map { $site->get("/posts/xss-$_")->{body} } 1 .. $n;
push @pages, $site->get('/')->{body}, $site->get('/page/2')->{body}, $site->get('/feed.xml')->{body},
     jar_get($site, $jar, '/admin/posts')->{body}, map { jar_get($site, $jar, "/admin/posts/$_")->{body} }
     sql($db, "SELECT id FROM posts WHERE slug LIKE 'xss-%'") =~ /(\d+)/g;
my $all = join "\n", @pages;
for my $x (@xss) {
    my $raw = index($all, $x) >= 0 && $x =~ /[<>"']/;
    ok !$raw, "payload never appears raw: $x";
}
unlike $all, qr/<script>alert|<img src=x onerror|<svg onload|<iframe|onerror="alert|<base href/i, 'no live markup anywhere';
like $all, qr/T1 &lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'titles are escaped';
like $all, qr/#tag1 &lt;script&gt;/, 'tags are escaped';
unlike $all, qr/href="javascript:/, 'no javascript: link';

# --- delete, logout, expiry, lock-out ---------------------------------------

$r = jar_post($site, $jar, "/admin/posts/$id/delete", [csrf => $csrf]);
is $r->{status}, 303, 'delete a post';
is sql($db, "SELECT count(*) FROM posts WHERE id = $id"), 0, '... the row is gone';
is sql($db, "SELECT count(*) FROM revisions WHERE post_id = $id"), 0, '... with its revisions';
is $site->get('/posts/first-post')->{status}, 404, '... and the page';
$r = jar_post($site, $jar, "/admin/posts/$id/delete", [csrf => $csrf]);
is $r->{status}, 404, 'deleting it again: 404';

sql($ttl, 'UPDATE sessions SET expires_at = ' . (time - 1));
$r = jar_get($site, {%$jar}, '/admin/posts');
is $r->{status}, 303, 'an idle-expired session goes to sign-in';
sql($ttl, 'UPDATE sessions SET expires_at = ' . (time + 600) . ', ends_at = ' . (time - 1));
is jar_get($site, {%$jar}, '/admin/posts')->{status}, 303, 'so does one past its absolute end';
$r = jar_post($site, {%$jar}, '/admin/posts/new', [csrf => $csrf, @post]);
is $r->{status}, 403, 'a POST with an expired session is refused';
like $r->{body}, qr/session has ended/, '... saying so';

($res, $jar) = login_as($site, 'admin', $PW);
is $res->{status}, 303, 'sign in again';
$csrf = csrf_of(jar_get($site, $jar, '/admin/posts')->{body});
my $old = $jar->{blog_session};
$r = jar_post($site, $jar, '/admin/logout', [csrf => $csrf]);
is $r->{status}, 303, 'sign out';
like cookie_attrs($r, 'blog_session'), qr/Max-Age=0/, '... clears the cookie';
is jar_get($site, {blog_session => $old}, '/admin/posts')->{status}, 303, '... and ends the session';

for (1 .. 3) {
    ($res) = login_as($site, 'admin', 'nope nope');
}
is $res->{status}, 403, 'three wrong passwords';
($res) = login_as($site, 'admin', $PW);
is $res->{status}, 429, 'then even the right one is locked out';
like $res->{body}, qr/Too many failed sign-ins from here\. Try again in 10 minutes\./, '... saying for how long';
sql($ttl, "DELETE FROM rate_limits WHERE key LIKE 'login-addr:%'");
($res) = login_as($site, 'admin', $PW);
is $res->{status}, 429, 'the name stays locked from this address';
my $away = {};
my $page = jar_get($site, $away, '/admin/login', _from => '127.0.0.2');
$res = jar_post($site, $away, '/admin/login', [csrf => csrf_of($page->{body}),
                name => 'admin', password => $PW], _from => '127.0.0.2');
is $res->{status}, 303, '... not from another (t/87 has the rest)';
sql($ttl, 'DELETE FROM rate_limits');
($res) = login_as($site, 'admin', $PW);
is $res->{status}, 303, 'after the lock-out, sign-in works';

unlike $site->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts in the error log';

# --- configuration errors ---------------------------------------------------

my $bad = new_site();
my $bd = $bad->dir;
$bad->{server} = "location /admin/ { blog_admin $bd/data.db; }";
$bad->write_conf;
my ($brc, $bout) = $bad->nginx('-t');
isnt $brc, 0, 'blog_admin without blog_ttl_db fails nginx -t';
like $bout, qr/"blog_admin" in location "\/admin\/" needs "blog_ttl_db"/, '... saying why';
$bad->{server} = "blog_ttl_db $bd/ttl.db;\nlocation /admin/ { blog_admin $bd/other.db; }";
$bad->write_conf;
($brc, $bout) = $bad->nginx('-t');
like $bout, qr/no "blog" location serves this database/, 'a panel for a database no blog serves';
$bad->{server} = "blog_ttl_db $bd/ttl.db;\nlocation = /admin { blog_admin $bd/data.db; }";
$bad->write_conf;
($brc, $bout) = $bad->nginx('-t');
like $bout, qr/needs a prefix location that ends with "\/"/, 'an exact location is refused';
$bad->{server} = '';
$bad->{location} = 'blog_comments on;';
$bad->write_conf;
($brc, $bout) = $bad->nginx('-t');
like $bout, qr/"blog_comments on" in location "\/" needs "blog_ttl_db"/, 'comments need blog_ttl_db';

done_testing;
