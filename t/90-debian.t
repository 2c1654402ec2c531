#!/usr/bin/perl
# The Debian packages of "make deb" (docs/debian.md) on this machine: built
# and checked by lintian; installed with dpkg; a blog made with blogctl as
# the package's user; served by Debian's nginx from its stock /etc/nginx
# layout (module enabled in modules-enabled/, site in sites-enabled/),
# workers running as www-data; the jobrunner run as its systemd unit runs
# it, taking the workers' events; logrotate; an upgrade from an older
# version whose database has the schema before this one; purge, which
# keeps the blog unless NGX_BLOG_PURGE_DATA=yes.
#
# Root only, as it installs packages.  It leaves the machine as it found
# it, on failure too: packages purged, its site file, processes, the user
# "blog" (if it made it) and /var/lib/ngx-blog removed.  nginx runs from a
# copy of the stock nginx.conf whose only changes are its pid and log files
# (in the test's folder) and which sites-enabled/ file it includes: the
# test's, on a free loopback port, not the default site's port 80.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);

use BlogTest qw(http_request sql wait_for free_port write_file read_file
                data_migrations);

my $ROOT = $BlogTest::ROOT;
my @PACKAGES = qw(libnginx-mod-http-blog ngx-blog);
my $DB = '/var/lib/ngx-blog/data.db';
my $JR_LOG = '/var/log/ngx-blog/jobrunner.log';
my $FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 '
            . 'Firefox/120.0';

plan skip_all => 'needs root: installs the packages with dpkg' if $> != 0;
# the packages are built with Debian's flags, not with sanitizers: the
# suite's sanitizer run (make test-asan) has nothing of its own to check here
plan skip_all => 'packages are not sanitizer builds (make test runs this)'
    if $ENV{ASAN_LOG_DIR};
plan skip_all => 'needs Debian\'s nginx (/usr/sbin/nginx, /etc/nginx)'
    unless -x '/usr/sbin/nginx' && -f '/etc/nginx/nginx.conf';
for my $pkg (@PACKAGES) {
    plan skip_all => "$pkg is installed here: the test would replace it"
        if package_status($pkg) ne 'not-installed';
}
for my $path ('/var/lib/ngx-blog', '/etc/ngx-blog') {
    plan skip_all => "$path exists: the test would take it over" if -e $path;
}
my @blog_user = getpwnam('blog');
plan skip_all => 'a user "blog" that is not a system user exists'
    if @blog_user && $blog_user[2] >= 1000;

my $tmp = tempdir('debian-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $tmp;
my $site = "ngx-blog-test-$$";
my $port = free_port();
my ($nginx_pid_file, $jobrunner_pid) = ("$tmp/nginx.pid", undef);
my $started = time;
my $cleanup = 1;

END { cleanup() if $cleanup }


# --- helpers --------------------------------------------------------------

# dpkg's state of a package: not-installed, installed, config-files, ...
sub package_status {
    my ($pkg) = @_;
    my $status = `dpkg-query -W -f='\${Status}' $pkg 2>/dev/null`;
    return $status =~ /(\S+)$/ ? $1 : 'not-installed';
}

# A command without a shell, with extra environment: (exit code, output).
sub run {
    my ($env, @cmd) = ref $_[0] ? @_ : ({}, @_);
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        # no die here: the child must not run the END block
        $ENV{$_} = $env->{$_} for keys %$env;
        open STDERR, '>&', \*STDOUT and open STDIN, '<', '/dev/null'
            and exec @cmd;
        print "exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    return ($? >> 8, $out);
}

sub ok_run {
    my ($name, @cmd) = @_;
    my ($rc, $out) = run(@cmd);
    is($rc, 0, $name) or diag $out;
    return $out;
}

sub get {
    my ($path, $agent) = @_;
    return http_request($port, 'GET', $path,
                        'User-Agent' => $agent // $FIREFOX);
}

sub mode_of {
    my ($path) = @_;
    my @st = stat $path or return 'missing';
    return sprintf '%s:%s %04o', scalar getpwuid($st[4]),
        scalar getgrgid($st[5]), $st[2] & 07777;
}

# The database as the previous version left it: the migrations but the
# last, and the rows of every table and column they have.
sub previous_schema_copy {
    my ($from, $to, @migrations) = @_;
    my $version = @migrations - 1;
    my ($rc, $out) = run('sqlite3', '-bail', $to,
        join('', @migrations[0 .. $version - 1])
        . "PRAGMA user_version = $version;");
    die "sqlite3 $to: $out" if $rc;
    my $copy = "ATTACH '$from' AS cur; BEGIN;";
    for my $table (split /\n/, sql($to, "SELECT name FROM sqlite_master"
            . " WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) {
        my $cols = sql($to, "ATTACH '$from' AS cur;"
            . " SELECT group_concat(o.name, ', ')"
            . " FROM pragma_table_info('$table') o"
            . " JOIN pragma_table_info('$table', 'cur') c ON c.name = o.name")
            or next;
        $copy .= "INSERT OR REPLACE INTO main.$table ($cols) SELECT $cols"
               . " FROM cur.$table;";
    }
    ($rc, $out) = run('sqlite3', '-bail', $to, "$copy COMMIT;");
    die "sqlite3 $to: $out" if $rc;
}

sub nginx_master { my $p = read_file($nginx_pid_file); $p ? $p + 0 : 0 }

sub start_nginx {
    my ($rc, $out) = run('/usr/sbin/nginx', '-c', "$tmp/nginx.conf");
    is($rc, 0, 'nginx starts from the stock layout') or diag $out;
    ok(wait_for(sub { nginx_master() && eval { get('/')->{status} } }, 10),
       'nginx answers');
}

sub stop_nginx {
    my $master = nginx_master() or return;
    kill 'QUIT', $master;
    wait_for(sub { !kill 0, $master }, 10) or kill 'KILL', $master;
    unlink $nginx_pid_file;
}

# The jobrunner as ngx-blog-jobrunner.service runs it: user blog, group
# www-data, umask 0007.  (systemd is not PID 1 in a container.)
sub start_jobrunner {
    my $starts = () = (read_file($JR_LOG) // '') =~ /jobrunner started/g;
    $jobrunner_pid = fork // die "fork: $!";
    if (!$jobrunner_pid) {
        POSIX::setsid();
        umask 0007;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$tmp/jobrunner.out";
        open STDERR, '>&', \*STDOUT;
        { exec 'setpriv', '--reuid=blog', '--regid=www-data', '--init-groups',
              '--', '/usr/sbin/jobrunner', '-c', '/etc/ngx-blog/jobrunner.conf' }
        POSIX::_exit(127);
    }
    ok(wait_for(sub {
        my $n = () = (read_file($JR_LOG) // '') =~ /jobrunner started/g;
        $n > $starts }, 15), 'the jobrunner starts')
        or diag read_file("$tmp/jobrunner.out"), read_file($JR_LOG);
}

sub stop_jobrunner {
    my $pid = $jobrunner_pid or return;
    kill 'TERM', $pid;
    my $gone = wait_for(sub { waitpid($pid, WNOHANG) != 0 }, 10);
    if (!$gone) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
    }
    undef $jobrunner_pid;
    return $gone && $? == 0;
}

sub install {
    my ($name, @debs) = @_;
    my ($rc, $out) = run('dpkg', '-i', @debs);
    if ($rc) {
        # dependencies dpkg could not satisfy from what is installed
        ($rc, my $more) = run({ DEBIAN_FRONTEND => 'noninteractive' },
                              'apt-get', '-f', 'install', '-y', '-q');
        $out .= $more;
    }
    is($rc, 0, $name) or diag $out;
    return $out;
}

sub cleanup {
    local ($?, $!, $@);
    stop_jobrunner();
    stop_nginx();
    unlink "/etc/nginx/sites-enabled/$site", "/etc/nginx/sites-available/$site";
    my @installed = grep { package_status($_) ne 'not-installed' } @PACKAGES;
    if (@installed) {
        my ($rc, $out) = run({ NGX_BLOG_PURGE_DATA => 'yes' },
                             'dpkg', '--purge', @installed);
        print STDERR "cleanup: dpkg --purge: $out" if $rc;
    }
    remove_tree('/var/lib/ngx-blog');
    if (!@blog_user && getpwnam('blog')) {
        my ($rc, $out) = run('deluser', '--quiet', 'blog');
        print STDERR "cleanup: deluser blog: $out" if $rc;
    }
}


# --- build: make deb, lintian ----------------------------------------------

my $t0 = time;
my ($rc, $out) = run('make', '-C', $ROOT, 'deb');
is($rc, 0, 'make deb') or BAIL_OUT("make deb failed:\n$out");
note sprintf 'make deb: %.0f s', time - $t0;

my $deb_dir = "$ROOT/build/deb";
my $lintian = read_file("$deb_dir/lintian.txt") // '';
unlike($lintian, qr/^E: /m, 'lintian: no error') or diag $lintian;

(my $version = (run('dpkg-parsechangelog', '-l', "$ROOT/debian/changelog",
                    '-S', 'Version'))[1]) =~ s/\s+\z//;
my %deb = map { $_ => "$deb_dir/${_}_${version}_amd64.deb" } @PACKAGES;
ok(-f $deb{$_}, "$_ $version built") for @PACKAGES;

my ($abi) = (read_file('/usr/share/nginx/src/debian/libnginx-mod.abisubstvars')
             // '') =~ /^nginx:abi=(\S+)/m;
like((run('dpkg-deb', '-f', $deb{'libnginx-mod-http-blog'}, 'Depends'))[1],
     qr/(^|, )\Q$abi\E(,|$)/m, "the module depends on $abi, nginx's ABI");

# The "old" version: the same files repacked as $version~old, rather than a
# second build of an older tree (minutes).  What makes the upgrade an
# upgrade of the data, an older schema, is made below.
my $old = "$version~old";
my %old_deb;
for my $pkg (@PACKAGES) {
    my $dir = "$tmp/repack-$pkg";
    ok_run("$pkg unpacked for $old", 'dpkg-deb', '-R', $deb{$pkg}, $dir);
    my $control = read_file("$dir/DEBIAN/control");
    $control =~ s/^Version: .*$/Version: $old/m;
    $control =~ s/\(= \Q$version\E\)/(= $old)/g;
    write_file("$dir/DEBIAN/control", $control);
    $old_deb{$pkg} = "$tmp/${pkg}_$old.deb";
    ok_run("$pkg repacked as $old", 'dpkg-deb', '-b', $dir, $old_deb{$pkg});
}


# --- install the old version ---------------------------------------------

install("dpkg -i $old", map { $old_deb{$_} } @PACKAGES);
is(package_status($_), 'installed', "$_ installed") for @PACKAGES;

my @user = getpwnam('blog');
ok(@user, 'user blog exists');
is(scalar getgrgid($user[3]), 'www-data', 'its group is www-data, nginx\'s');
like($user[8], qr{/nologin$}, 'it has no login shell');

is(mode_of('/var/lib/ngx-blog'), 'blog:www-data 2770', '/var/lib/ngx-blog');
is(mode_of($_), 'blog:www-data 2770', $_)
    for '/var/lib/ngx-blog/media', '/var/lib/ngx-blog/spool';
is(mode_of($DB), 'blog:www-data 0660', 'data.db made by the package');
my @migrations = data_migrations();
my $schema = @migrations;
is(sql($DB, 'PRAGMA user_version'), $schema, "at schema $schema");
is(mode_of('/run/ngx-blog'), 'blog:www-data 0750', '/run/ngx-blog (tmpfiles)');
is(mode_of('/var/log/ngx-blog'), 'blog:adm 2750', '/var/log/ngx-blog');

like((run('dpkg-query', '-W', '-f', '${Conffiles}', 'ngx-blog'))[1],
     qr{^ /etc/ngx-blog/jobrunner\.conf [0-9a-f]{32}$}m,
     'jobrunner.conf is a conffile');
like((run('dpkg-query', '-W', '-f', '${Conffiles}', 'ngx-blog'))[1],
     qr{^ /etc/logrotate\.d/ngx-blog }m, 'so is the logrotate file');

my $snippet = '/etc/nginx/modules-enabled/50-mod-http-blog.conf';
is(readlink $snippet, '/usr/share/nginx/modules-available/mod-http-blog.conf',
   'the module is enabled in modules-enabled/');
like(read_file($snippet) // '',
     qr{^load_module modules/ngx_http_blog_module\.so;$}m, 'its load_module');

ok(-l '/etc/systemd/system/sockets.target.wants/ngx-blog-jobrunner.socket',
   'the socket unit is enabled');
ok(-l '/etc/systemd/system/multi-user.target.wants/ngx-blog-jobrunner.service',
   'the service unit is enabled');
ok_run('systemd-analyze verify: the units, their binary and man pages',
       'systemd-analyze', 'verify',
       '/lib/systemd/system/ngx-blog-jobrunner.socket',
       '/lib/systemd/system/ngx-blog-jobrunner.service');

for my $page (qw(blogctl.1 jobrunner.8 jobrunner.conf.5)) {
    my ($name, $section) = $page =~ /^(.*)\.(\d)$/;
    my ($rc, $out) = run({ MANWIDTH => 80 }, 'sh', '-c',
        "man --warnings -E UTF-8 $section $name 2>&1 >/dev/null");
    is($rc, 0, "man $section $name");
    is($out, '', "man $section $name: no troff warning");
    $out = (run({ MANWIDTH => 80 }, 'man', $section, $name))[1];
    like($out, qr/^NAME\n\s+\Q$name\E - /m, "man $section $name: NAME");
}


# --- a blog, served by Debian's nginx ------------------------------------

write_file("$tmp/posts/first.md",
           "---\ntitle: First post\ndate: 2026-10-01\ntags: debian\n---\n"
           . "Installed with *dpkg*.\n");
write_file("$tmp/posts/second.md",
           "---\ntitle: Second post\ndate: 2026-10-02\n---\nAnd upgraded.\n");
chmod 0755, "$tmp/posts";
ok_run('blogctl import, as blog',
       'runuser', '-u', 'blog', '--', 'blogctl', '-d', $DB, 'import',
       "$tmp/posts");
ok_run('blogctl set title, as blog',
       'runuser', '-u', 'blog', '--', 'blogctl', '-d', $DB, 'set', 'title',
       'Packaged blog');
is(mode_of($DB), 'blog:www-data 0660', 'data.db still writable by nginx');

my $site_conf = read_file('/usr/share/ngx-blog/nginx-site.conf');
ok($site_conf =~ s/^\s*listen 80;$/    listen 127.0.0.1:$port;/m
   && $site_conf =~ s/^\s*listen \[::\]:80;\n//m,
   'the packaged site, on a free loopback port');
write_file("/etc/nginx/sites-available/$site", $site_conf);
symlink "../sites-available/$site", "/etc/nginx/sites-enabled/$site"
    or die "symlink: $!";

$out = ok_run('nginx -t, the stock configuration', '/usr/sbin/nginx', '-t');
like($out, qr/test is successful/, 'nginx -t: test is successful');

my $conf = read_file('/etc/nginx/nginx.conf');
ok($conf =~ s{^(\s*)include /etc/nginx/sites-enabled/\*;}
               {$1include /etc/nginx/sites-enabled/$site;}m
   && $conf =~ s{^pid .*;$}{pid $nginx_pid_file;}m
   && $conf =~ s{^(\s*)error_log \S+;}{$1error_log $tmp/error.log;}m
   && $conf =~ s{^(\s*)access_log \S+;}{$1access_log $tmp/access.log;}m,
   'nginx.conf: the stock one, with our site only and our pid and logs');
write_file("$tmp/nginx.conf", $conf);

start_nginx();
my $r = get('/');
is($r->{status}, 200, 'GET / 200');
like($r->{body}, qr/Packaged blog/, 'the blog\'s title');
like($r->{body}, qr/First post/, 'the first post listed');
$r = get('/posts/first');
is($r->{status}, 200, 'GET /posts/first 200');
like($r->{body}, qr{Installed with <em>dpkg</em>}, 'the post, rendered');
is(get('/posts/none')->{status}, 404, 'GET /posts/none 404');
like(get('/static/style.css')->{body}, qr/\{/,
     'the theme from /usr/share/ngx-blog/theme');

my $master = nginx_master();
my @workers = split ' ', (run('ps', '-o', 'user=', '--ppid', $master))[1];
ok(@workers >= 1, scalar(@workers) . ' worker(s)');
is_deeply([sort { $a cmp $b } @workers], [('www-data') x @workers],
          'the workers run as www-data');
is((run('ps', '-o', 'user=', '-p', $master))[1] =~ s/\s+//gr, 'root',
   'the master as root');


# --- the jobrunner, and nginx's events across the two users ---------------

# requests made before it runs are spooled by the workers; each of
# another reader (a reader's reloads within 30 minutes are one view)
my $views = 1;      # GET /posts/first above
$views += get('/posts/first', "$FIREFOX ($_)")->{status} == 200 for 1 .. 3;

start_jobrunner();
my $jr_pid = $jobrunner_pid;
like((run('ps', '-o', 'user=,group=', '-p', $jr_pid))[1],
     qr/^\s*blog\s+www-data\s*$/, 'the jobrunner runs as blog:www-data');
is(read_file('/run/ngx-blog/jobrunner.pid') =~ s/\s+//gr, $jr_pid,
   'its pid file');
is(mode_of('/run/ngx-blog/events.sock'), 'blog:www-data 0660',
   'its events socket');
is(mode_of('/var/lib/ngx-blog/ttl.db'), 'blog:www-data 0660',
   'ttl.db, writable by nginx');

$views += get('/posts/first', "$FIREFOX ($_)")->{status} == 200 for 4 .. 8;
is($views, 9, '9 views of /posts/first');

my $counted = sub {
    sql($DB, "SELECT coalesce(sum(n), 0) FROM analytics_counts"
             . " WHERE dim = 'path' AND key = '/posts/first'") + 0;
};
ok(wait_for(sub { $counted->() >= $views }, 20),
   'the views reach data.db through the socket and the spool');
sleep 0.3;
is($counted->(), $views, 'each counted once');

# a sysadmin's look at the views' packs, with the extension the package
# installs (analytics.db migration 10)
($rc, $out) = run('sqlite3', '-cmd', '.load /usr/lib/ngx-blog/blog_sqlite',
                  '/var/lib/ngx-blog/analytics.db',
                  "SELECT count(*) FROM analytics_views"
                  . " WHERE path = '/posts/first'");
is($rc, 0, 'the installed SQLite extension loads') or diag $out;
is($out =~ s/\s+//gr, $views, 'and reads each view of /posts/first');

ok_run('logrotate -f /etc/logrotate.d/ngx-blog',
       'logrotate', '-f', '-s', "$tmp/logrotate.state",
       '/etc/logrotate.d/ngx-blog');
ok(-s "$JR_LOG.1", 'the log rotated');
ok(wait_for(sub { (read_file($JR_LOG) // '') =~ /log reopened/ }, 5),
   'the jobrunner reopened its log on SIGHUP');


# --- upgrade from the older version, over the older schema ----------------

ok(stop_jobrunner(), 'the jobrunner stops on SIGTERM');
stop_nginx();

my $posts = sql($DB, 'SELECT slug, title, status FROM posts ORDER BY slug');
my $revisions = sql($DB, 'SELECT count(*) FROM revisions');
is($posts, "first|First post|published\nsecond|Second post|published",
   'the two posts');
ok($revisions >= 2, "$revisions revisions");

ok_run('data.db checkpointed', 'sqlite3', $DB,
       'PRAGMA wal_checkpoint(TRUNCATE);');
previous_schema_copy($DB, "$tmp/previous.db", @migrations);
unlink "$DB-wal", "$DB-shm";
ok_run('data.db of the previous schema in place',
       'install', '-o', 'blog', '-g', 'www-data', '-m', '0660',
       "$tmp/previous.db", $DB);
is(sql($DB, 'PRAGMA user_version'), $schema - 1, 'data.db at schema '
   . ($schema - 1));
is(sql($DB, 'SELECT slug, title, status FROM posts ORDER BY slug'), $posts,
   'with the posts');

start_nginx();
is(get('/')->{status}, 503, 'a schema nginx\'s module does not read: 503');

# an administrator's change to a conffile is kept
my $jr_conf = read_file('/etc/ngx-blog/jobrunner.conf');
write_file('/etc/ngx-blog/jobrunner.conf',
           $jr_conf . "; changed by the administrator\n");

install("dpkg -i $version, an upgrade", map { $deb{$_} } @PACKAGES);
is((run('dpkg-query', '-W', '-f', '${Version}', $_))[1], $version,
   "$_ $version") for @PACKAGES;
is(sql($DB, 'PRAGMA user_version'), $schema,
   "data.db migrated to schema $schema by the upgrade");
my @new_tables = ($migrations[-1] =~ /CREATE TABLE (\w+)/g);
is(sql($DB, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
            . " name IN (" . join(',', map { "'$_'" } @new_tables) . ")"),
   scalar @new_tables, "with the tables of migration $schema");
is(sql($DB, 'SELECT slug, title, status FROM posts ORDER BY slug'), $posts,
   'the posts are kept');
is(sql($DB, 'SELECT count(*) FROM revisions'), $revisions,
   'and their revisions');
is(sql($DB, 'PRAGMA integrity_check'), 'ok', 'integrity_check ok');
is(mode_of($DB), 'blog:www-data 0660', 'data.db keeps its owner and mode');
like(read_file('/etc/ngx-blog/jobrunner.conf'),
     qr/; changed by the administrator\n\z/, 'the changed conffile is kept');

# what dpkg's nginx-reload trigger does for the nginx of the init script
ok_run('nginx reload', '/usr/sbin/nginx', '-c', "$tmp/nginx.conf", '-s',
       'reload');
ok(wait_for(sub { get('/')->{status} == 200 }, 10),
   'served again after the upgrade');
like(get('/posts/second')->{body}, qr/And upgraded\./, 'the second post');

start_jobrunner();
is((read_file($JR_LOG) =~ /jobrunner started, schema version (\d+)/g)[-1],
   $schema, 'the upgraded jobrunner starts on the migrated data.db');
ok(stop_jobrunner(), 'and stops');
stop_nginx();


# --- purge: keeps the blog, unless NGX_BLOG_PURGE_DATA=yes ---------------

unlink "/etc/nginx/sites-enabled/$site", "/etc/nginx/sites-available/$site";
($rc, $out) = run({ DEBIAN_FRONTEND => 'noninteractive' },
                  'apt-get', 'purge', '-y', '-q', @PACKAGES);
is($rc, 0, 'apt-get purge') or diag $out;
like($out, qr{ngx-blog: the blog is kept in /var/lib/ngx-blog},
     'purge says the blog is kept');
is(package_status($_), 'not-installed', "$_ purged") for @PACKAGES;
ok(!-e $_, "$_ removed")
    for '/etc/ngx-blog', '/usr/sbin/jobrunner', '/usr/bin/blogctl',
        '/usr/lib/nginx/modules/ngx_http_blog_module.so', $snippet,
        '/usr/lib/ngx-blog',
        "$snippet.removed", '/var/log/ngx-blog', '/run/ngx-blog',
        '/usr/share/ngx-blog',
        '/etc/systemd/system/sockets.target.wants/ngx-blog-jobrunner.socket';
is(sql($DB, 'SELECT slug, title, status FROM posts ORDER BY slug'), $posts,
   'the blog is still in /var/lib/ngx-blog');
ok_run('nginx -t, the stock configuration, after purge',
       '/usr/sbin/nginx', '-t');

install("dpkg -i $version again, over the kept blog",
        map { $deb{$_} } @PACKAGES);
is(sql($DB, 'SELECT slug, title, status FROM posts ORDER BY slug'), $posts,
   'the kept blog is the blog again');

($rc, $out) = run({ DEBIAN_FRONTEND => 'noninteractive',
                    NGX_BLOG_PURGE_DATA => 'yes' },
                  'apt-get', 'purge', '-y', '-q', @PACKAGES);
is($rc, 0, 'NGX_BLOG_PURGE_DATA=yes apt-get purge') or diag $out;
ok(!-e '/var/lib/ngx-blog', 'removes /var/lib/ngx-blog too');

cleanup();
$cleanup = 0;
is(getpwnam('blog') ? 'present' : 'absent', @blog_user ? 'present' : 'absent',
   'the user blog as before the test');
ok(!-e "/etc/nginx/sites-enabled/$site", 'the test\'s site removed');

note sprintf 't/90-debian.t: %.0f s', time - $started;
done_testing();
