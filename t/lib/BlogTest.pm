package BlogTest;

# Test harness: a private nginx with the built module on an ephemeral
# loopback port, a temporary site (data.db, media/, theme), a raw HTTP
# client, and helpers for blogctl and sqlite3.  Core Perl only.

use strict;
use warnings;

use Cwd qw(abs_path getcwd);
use Exporter 'import';
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Fcntl qw(F_SETFD);
use IPC::Open2;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(WNOHANG);
use Socket qw(SOCK_DGRAM);
use Time::HiRes qw(sleep time);

our @EXPORT = qw(new_site write_file read_file sql blogctl free_port
                 data_migrations http_request https_request wait_for jobrunner_command
                 make_certificate data_version_watcher sqlite3_command
                 sanitizer_env);

our $ROOT  = abs_path(dirname(__FILE__) . '/../..');
our $BUILD = abs_path($ENV{BLOG_BUILD} // "$ROOT/build");
our $NGINX = $ENV{NGINX} // '/usr/sbin/nginx';

my @sites;

END {
    # a failed test sets $? only in Test::Builder's END, which runs after
    my $failed = $? || (Test::Builder->can('new')
                       && !Test::Builder->new->is_passing);
    local $?;
    # a test that dies or fails shows why the server said what it said:
    # the tail of each site's error log (the folder goes with the test)
    if ($failed) {
        for my $site (@sites) {
            my $log = read_file("$site->{dir}/logs/error.log") // next;
            my @lines = grep { !/\[debug\]/ }
                        split /\n/, $log;
            print STDERR "# error.log of $site->{dir}:\n",
                map { "#   $_\n" } @lines[-(@lines < 30 ? @lines : 30) .. -1];
            # CI shows the end of its output: its script prints this file
            # last (.ci/run): the lines at warn and above, and the database's
            my @warn = grep { /\[(?:warn|error|crit|alert|emerg)\]/
                              || /blog database/ } @lines;
            if (@warn && $ENV{BLOG_FAILURE_LOG}
                && open my $fh, '>>', $ENV{BLOG_FAILURE_LOG})
            {
                print $fh "== $0: $site->{dir}/logs/error.log\n",
                    map { "$_\n" } @warn[-(@warn < 12 ? @warn : 12) .. -1];
                close $fh;
            }
        }
    }
    $_->stop for @sites;
    $_->stop_jobrunner for @sites;
}

sub write_file {
    my ($path, $content) = @_;
    make_path(dirname($path));
    open my $fh, '>:raw', $path or die "write $path: $!";
    print $fh $content;
    close $fh or die "close $path: $!";
}

sub read_file {
    my ($path) = @_;
    open my $fh, '<:raw', $path or return undef;
    local $/;
    return scalar <$fh>;
}

# sqlite3 CLI on a database; returns the output rows joined by "\n".  A
# data.db's analytics.db and queue.db beside it, once made, are attached as
# the programs attach them, so the analytics and jobs tables are named as
# they always were (data.db has none of them: lib/blog_split.h).  The
# build's SQLite extension is loaded, as blog_db_open() registers its
# functions: analytics_hits and analytics_views read the views' packs
# with blog_hits() (analytics.db migration 10, lib/blog_hitpack.h); a
# build older than that has none (scripts/bench-dashboard run on one).
sub sql {
    my ($db, $query) = @_;
    my @cmd = ('-cmd', '.timeout 5000');
    push @cmd, '-cmd', ".load '$BUILD/blog_sqlite'"
        if -e "$BUILD/blog_sqlite.so";
    if ($db =~ m{(.*/)?data\.db\z}) {
        my $dir = $1 // '';
        for my $name (qw(analytics queue)) {
            push @cmd, '-cmd', "ATTACH '$dir$name.db' AS $name"
                if -e "$dir$name.db";
        }
    }
    open my $fh, '-|', sqlite3_command(), '-batch', '-noheader', @cmd, $db,
        $query or die "sqlite3: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh;
    $out =~ s/\n\z//;
    return $out;
}

# The sqlite3 shell as a list for exec, to which the build's extension can
# be loaded: under "make test-asan" the extension is built with the
# sanitizers and the shell is not, so the shell starts with their runtime
# preloaded, as nginx does.  sanitizer_env(NAME) is that env prefix for
# any program (reports to $ASAN_LOG_DIR/NAME.*), or nothing.
sub sanitizer_env {
    my ($name) = @_;
    my $preload = $ENV{BLOG_NGINX_PRELOAD} or return ();
    my $log = "log_path=$ENV{ASAN_LOG_DIR}/$name";
    return ('env', "LD_PRELOAD=$preload", "ASAN_OPTIONS=detect_leaks=0:$log",
            "UBSAN_OPTIONS=print_stacktrace=1:$log");
}

sub sqlite3_command {
    return (sanitizer_env('sqlite3'), 'sqlite3');
}

# PRAGMA data_version of one connection of its own, kept open: it moves
# when any other connection commits a change to the file.  Returns a sub
# that reads it.
sub data_version_watcher {
    my ($db) = @_;
    my $pid = open2(my $out, my $in, 'sqlite3', '-batch', '-noheader', $db);
    return sub {
        print $in "PRAGMA data_version;\n";
        $in->flush;
        my $line = <$out>;
        chomp $line;
        return $line;
    };
}

# The SQL of each data.db migration, read from lib/blog_schema.c as the
# C preprocessor leaves it (a migration may be a macro of string
# literals): for a database of an older schema.
sub data_migrations {
    my $file = "$ROOT/lib/blog_schema.c";
    my $src = `cc -E -P -D_GNU_SOURCE -I$ROOT/lib $file`;
    die "$file: the preprocessor failed\n" if $? || !defined $src;
    my ($list) = $src =~ /blog_migrations\[\w+\]\s*=\s*\{(.*?)\n\};/s
        or die "$file: no blog_migrations array";
    $list =~ s{/\*.*?\*/}{}gs;
    my (@sql, $cur);
    while ($list =~ /\G\s*(?:"([^"\\]*)"|(,)|\z)/gc) {
        if (defined $1) {
            $cur .= $1;
        } elsif (defined $2) {
            push @sql, $cur;
            undef $cur;
        } else {
            last;
        }
    }
    die "$file: blog_migrations unread from offset " . pos($list)
        if (pos($list) // 0) != length $list;
    push @sql, $cur if defined $cur;
    return @sql;
}

# blogctl with arguments; returns (exit code, stdout+stderr).
sub blogctl {
    my @args = @_;
    my $cmd = join ' ', map { quotemeta } "$BUILD/blogctl", @args;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, Proto => 'tcp', ReuseAddr => 1)
        or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# Under valgrind ("make test-valgrind") the jobrunner runs 20 to 50 times
# slower (a thumbnail takes seconds): every wait is longer in proportion.
my $SLOWER = $ENV{VALGRIND_LOG_DIR} ? 5 : 1;

sub wait_for {
    my ($cond, $seconds) = @_;
    my $until = time + ($seconds // 10) * $SLOWER;
    while (time < $until) {
        return 1 if $cond->();
        sleep 0.05;
    }
    return $cond->();
}

# A self-signed certificate for localhost and 127.0.0.1 (EC, so quick to
# make): writes $dir/NAME.crt and $dir/NAME.key, returns both paths.
sub make_certificate {
    my ($dir, $name) = @_;
    my ($crt, $key) = ("$dir/$name.crt", "$dir/$name.key");
    my $cmd = join ' ', map { quotemeta } 'openssl', 'req', '-x509',
        '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-days', '2', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout', $key, '-out', $crt;
    system("$cmd >/dev/null 2>&1") == 0
        or die "openssl could not make a certificate";
    return ($crt, $key);
}

# A site: a folder with data.db, media/, posts/ and an nginx prefix.
#   new_site(posts => { 'hello.md' => "---\ntitle: Hi\n..." },
#            http => '...', server => '...', location => '...')
# tls => 1 adds a second port, tls_port, that speaks TLS with a
# self-signed certificate; $site->over_tls sends requests there.
sub new_site {
    my (%opt) = @_;
    my $dir = tempdir('blogtest-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $dir;

    my $self = bless {
        dir      => $dir,
        db       => "$dir/data.db",
        media    => "$dir/media",
        theme    => $opt{theme} // "$ROOT/conf/theme",
        port     => free_port(),
        http     => $opt{http} // '',
        server   => $opt{server} // '',
        location => $opt{location} // '',
        prefix   => $opt{prefix} // '/',
        workers  => $opt{workers} // 1,
        listen   => $opt{listen} // '',
    }, __PACKAGE__;

    make_path("$dir/media", "$dir/posts", "$dir/logs", "$dir/tmp", "$dir/conf");

    if ($opt{tls}) {
        $self->{tls_port} = free_port();
        my ($crt, $key) = make_certificate("$dir/conf", 'tls');
        $self->{tls_listen} = "listen 127.0.0.1:$self->{tls_port} ssl;\n"
            . "        ssl_certificate $crt;\n"
            . "        ssl_certificate_key $key;\n";
    }

    if (!$opt{no_db}) {
        my ($rc, $out) = blogctl('-d', $self->{db}, 'init');
        die "blogctl init: $out" if $rc;
    }

    if ($opt{posts}) {
        $self->import_posts($opt{posts});
    }

    push @sites, $self;
    return $self;
}

# The same site, its requests sent over TLS to tls_port.
sub over_tls {
    my ($self) = @_;
    die "the site has no TLS port (new_site(tls => 1))\n"
        unless $self->{tls_port};
    return bless { %$self, use_tls => 1 }, ref $self;
}

sub dir   { $_[0]{dir} }
sub db    { $_[0]{db} }
sub port  { $_[0]{port} }
sub media { $_[0]{media} }

sub import_posts {
    my ($self, $posts) = @_;
    for my $name (keys %$posts) {
        write_file("$self->{dir}/posts/$name", $posts->{$name});
    }
    my ($rc, $out) = blogctl('-d', $self->{db}, 'import', "$self->{dir}/posts");
    die "blogctl import: $out" if $rc;
    return $out;
}

sub conf_text {
    my ($self) = @_;
    my $d = $self->{dir};
    my $user = $> == 0 ? "user root root;\n" : '';
    my $loc = $self->{location_override} // <<"EOF";
        location $self->{prefix} {
            blog $self->{db};
            blog_theme $self->{theme};
            blog_media_root $self->{media};
            add_header X-Blog-Cache \$blog_cache_status always;
            $self->{location}
        }
EOF
    return <<"EOF";
load_module $BUILD/ngx_http_blog_module.so;
${user}worker_processes $self->{workers};
daemon on;
pid $d/logs/nginx.pid;
error_log $d/logs/error.log info;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $d/logs/access.log;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    sendfile on;
    $self->{http}
    server {
        listen 127.0.0.1:$self->{port} $self->{listen};
        ${\ ($self->{tls_listen} // '')}
        server_name localhost;
        $self->{server}
$loc
    }
}
EOF
}

sub write_conf {
    my ($self, $text) = @_;
    write_file("$self->{dir}/conf/nginx.conf", $text // $self->conf_text);
}

# Under "make test-asan" the module is built with sanitizers and nginx is
# not, so nginx starts with the sanitizer runtime preloaded; reports go to
# $ASAN_LOG_DIR, which the make target checks is empty afterwards.  A test
# may add options: $site->{asan_options} = 'handle_segv=0' when it sends
# SIGSEGV itself.
sub nginx {
    my ($self, @args) = @_;
    my @env;
    if (my $preload = $ENV{BLOG_NGINX_PRELOAD}) {
        my $extra = $self->{asan_options} ? ":$self->{asan_options}" : '';
        @env = ('env', "LD_PRELOAD=$preload",
                "ASAN_OPTIONS=detect_leaks=0:log_path=$ENV{ASAN_LOG_DIR}/nginx"
                . $extra,
                "UBSAN_OPTIONS=print_stacktrace=1:log_path=$ENV{ASAN_LOG_DIR}/nginx");
    }
    my $cmd = join ' ', map { quotemeta } @env, $NGINX, '-p', $self->{dir}, '-c',
        "$self->{dir}/conf/nginx.conf", @args;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

# Starts nginx and waits until it answers.
sub start {
    my ($self) = @_;
    $self->write_conf unless -f "$self->{dir}/conf/nginx.conf";
    my ($rc, $out) = $self->nginx();
    die "nginx failed to start ($rc): $out\n" . ($self->error_log // '') if $rc;
    wait_for(sub {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->{port},
                              Proto => 'tcp', Timeout => 1)
    }, 10) or die "nginx did not listen on $self->{port}\n" . $self->error_log;
    $self->{running} = 1;
    return $self;
}

sub master_pid {
    my ($self) = @_;
    my $pid = read_file("$self->{dir}/logs/nginx.pid") // return undef;
    chomp $pid;
    return $pid;
}

sub worker_pids {
    my ($self) = @_;
    my $master = $self->master_pid or return ();
    my @pids = split ' ', `pgrep -P $master 2>/dev/null`;
    return sort @pids;
}

sub reload {
    my ($self) = @_;
    my @old = $self->worker_pids;
    my ($rc, $out) = $self->nginx('-s', 'reload');
    return ($rc, $out) if $rc;
    # the reload is done when none of the old workers is left
    wait_for(sub {
        my %now = map { $_ => 1 } $self->worker_pids;
        !grep { $now{$_} } @old;
    }, 10);
    return ($rc, $out);
}

sub stop {
    my ($self) = @_;
    return unless $self->{running};
    # a signal, not "nginx -s stop", which would first parse a config that
    # the test may have broken
    my $pid = $self->master_pid or return;
    kill 'TERM', $pid;
    wait_for(sub { !kill(0, $pid) }, 10);
    $self->{running} = 0;
}

sub error_log {
    my ($self) = @_;
    return read_file("$self->{dir}/logs/error.log") // '';
}

# GET a path: returns { status, headers => { lc name => value }, body }.
sub get {
    my ($self, $path, %headers) = @_;
    return $self->request('GET', $path, %headers);
}

sub request {
    my ($self, $method, $path, %headers) = @_;
    return https_request($self->{tls_port}, $method, $path, %headers)
        if $self->{use_tls};
    return http_request($self->{port}, $method, $path, %headers);
}

# Sends the path bytes exactly as given, so tests can send what a browser
# would not.  _from => '127.0.0.2' sends from another loopback address,
# another client to nginx.
sub http_request {
    my ($port, $method, $path, %headers) = @_;
    my $body = delete $headers{_body} // '';
    my $from = delete $headers{_from};
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 10,
                                  $from ? (LocalAddr => $from) : ())
        or die "connect $port: $!";
    $headers{Host} //= 'localhost';
    $headers{Connection} = 'close';
    $headers{'Content-Length'} = length $body if length $body;
    my $req = "$method $path HTTP/1.1\r\n"
        . join('', map { "$_: $headers{$_}\r\n" } sort keys %headers)
        . "\r\n" . $body;
    print $s $req;
    local $/;
    my $raw = <$s> // '';
    close $s;
    return parse_response($raw);
}

# The same over TLS, with curl (Perl's core has no TLS): the certificate
# is not checked, the path is sent as given, the answer read undecoded.
sub https_request {
    my ($port, $method, $path, %headers) = @_;
    my $body = delete $headers{_body} // '';
    $headers{Host} //= 'localhost';
    my $tmp = File::Temp->new;
    print $tmp $body;
    close $tmp;
    my @cmd = ('curl', '--silent', '--insecure', '--http1.1', '--include',
               '--raw', '--path-as-is', '--max-time', '10',
               $method eq 'HEAD' ? '--head' : ('--request', $method),
               (map { ('--header', "$_: $headers{$_}") } sort keys %headers),
               length $body ? ('--data-binary', '@' . $tmp->filename) : (),
               "https://127.0.0.1:$port$path");
    open my $fh, '-|', @cmd or die "curl: $!";
    local $/;
    my $raw = <$fh> // '';
    close $fh;
    return parse_response($raw);
}

sub parse_response {
    my ($raw) = @_;
    my ($head, $rest) = split /\r\n\r\n/, $raw, 2;
    $head //= '';
    $rest //= '';
    my ($status_line, @lines) = split /\r\n/, $head;
    my ($status) = ($status_line // '') =~ m{^HTTP/1\.\d (\d{3})};
    my %h;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
        $h{lc $k} = exists $h{lc $k} ? "$h{lc $k}, $v" : $v;
    }
    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        my $decoded = '';
        while ($rest =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $n = hex $1;
            last if $n == 0;
            $decoded .= substr($rest, 0, $n, '');
            $rest =~ s/^\r\n//;
        }
        $rest = $decoded;
    }
    return { status => $status // 0, headers => \%h, body => $rest,
             raw => $raw };
}

# The site's jobrunner: data_db, ttl_db, media_root, log and pid in the
# site's folder, then $extra ("key = value" lines for [jobrunner], then
# any sections).  stderr goes to logs/jobrunner.stderr.
sub jobrunner_conf {
    my ($self, $extra) = @_;
    my $d = $self->{dir};
    return "[jobrunner]\ndata_db = $self->{db}\nttl_db = $d/ttl.db\n"
        . "media_root = $self->{media}\nlog = $d/logs/jobrunner.log\n"
        . "log_level = debug\npid = $d/logs/jobrunner.pid\n" . ($extra // '');
}

# The command that runs the jobrunner.  Under "make test-valgrind"
# ($VALGRIND_LOG_DIR set) it runs under valgrind: every process writes its
# report, empty when clean, to $VALGRIND_LOG_DIR/jobrunner.PID, which the
# make target reads afterwards; valgrind's exit code 99 says so at once.
sub jobrunner_command {
    my $dir = $ENV{VALGRIND_LOG_DIR}
        or return ("$BUILD/jobrunner");
    # libvips's optional modules stay unloaded (VIPSHOME has none): the
    # JPEG XL one links libhwy, whose start-up probe of the CPU is an
    # instruction valgrind 3.19 cannot run on AVX-512 machines (SIGILL);
    # the formats the tests use are in libvips itself.  VIPS_NOVECTOR:
    # no run-time compiled (orc) SIMD code, whose loads past a row's end
    # valgrind reports although the lanes are never used
    return ('env', 'VIPSHOME=/nonexistent-vipshome', 'VIPS_NOVECTOR=1',
            'valgrind', '--quiet', '--num-callers=30', '--leak-check=full',
            '--show-leak-kinds=definite', '--errors-for-leak-kinds=definite',
            '--error-exitcode=99', "--suppressions=$ROOT/t/valgrind.supp",
            "--log-file=$dir/jobrunner.%p", "$BUILD/jobrunner");
}

# Holds the events socket at $path as systemd's socket activation does:
# bound here, passed to every jobrunner started after (LISTEN_FDS), so
# that what it queued outlives a jobrunner that dies.
sub hold_events_socket {
    my ($self, $path) = @_;
    unlink $path;
    $self->{held_socket} = IO::Socket::UNIX->new(Type => SOCK_DGRAM,
                                                 Local => $path)
        or die "events socket $path: $!";
    chmod 0666, $path;
}

# Starts the jobrunner and waits for its pid file, which it writes once
# it is up.  Returns the pid.
sub start_jobrunner {
    my ($self, $extra) = @_;
    my $d = $self->{dir};
    write_file("$d/conf/jobrunner.conf", $self->jobrunner_conf($extra));
    unlink "$d/logs/jobrunner.pid";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>>', "$d/logs/jobrunner.stderr" or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        if (my $held = $self->{held_socket}) {
            # sd_listen_fds(3): the first passed socket is fd 3
            my $fd = fileno $held;
            if ($fd == 3) {
                fcntl($held, F_SETFD, 0) or POSIX::_exit(126);
            } else {
                POSIX::dup2($fd, 3) or POSIX::_exit(126);
            }
            $ENV{LISTEN_FDS} = 1;
            $ENV{LISTEN_PID} = $$;
        }
        exec jobrunner_command(), '-c', "$d/conf/jobrunner.conf"
            or POSIX::_exit(127);
    }
    $self->{jobrunner} = $pid;
    wait_for(sub { -s "$d/logs/jobrunner.pid" || waitpid($pid, WNOHANG) }, 20);
    die "jobrunner did not start:\n"
        . (read_file("$d/logs/jobrunner.stderr") // '') . $self->jobrunner_log
        unless -s "$d/logs/jobrunner.pid";
    return $pid;
}

# Stops the jobrunner with a signal (TERM unless told), waits for it and
# returns its wait status.
sub stop_jobrunner {
    my ($self, $signal) = @_;
    my $pid = delete $self->{jobrunner} or return undef;
    my $status;
    kill $signal // 'TERM', $pid;
    wait_for(sub {
        return 0 if waitpid($pid, WNOHANG) != $pid;
        $status = $?;
        return 1;
    }, 30) or do { kill 'KILL', $pid; waitpid $pid, 0; $status = $? };
    return $status;
}

sub jobrunner_log {
    my ($self) = @_;
    return read_file("$self->{dir}/logs/jobrunner.log") // '';
}

1;
