#!/usr/bin/perl
#
# The jobrunner as a black box: start, data.db migration, signals, pid file,
# log reopening and configuration errors.  Run from the repository root.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG _exit);
use Test::More;
use Time::HiRes qw(sleep time);
use BlogTest qw(jobrunner_command);

my $bin = ($ENV{BLOG_BUILD} // 'build') . '/jobrunner';

-x $bin or BAIL_OUT("$bin not built: run make");

my $schema = schema_version();
my %running;

# A failed test must not leave a jobrunner behind.  waitpid sets $?, which
# is the script's exit status in an END block: keep it.
END {
    local $?;
    for my $pid (keys %running) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
    }
}

sub schema_version {
    open my $fh, '<', 'lib/blog_schema.h'
        or BAIL_OUT("blog_schema.h: $!");
    while (<$fh>) {
        return $1 if /^#define\s+BLOG_SCHEMA_VERSION\s+(\d+)/;
    }
    BAIL_OUT('no BLOG_SCHEMA_VERSION in blog_schema.h');
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<', $file or return '';
    local $/;
    return scalar <$fh>;
}

sub spew {
    my ($file, $text) = @_;
    open my $fh, '>', $file or die "$file: $!";
    print $fh $text;
    close $fh or die "$file: $!";
    return $file;
}

# Polls until $cond returns true or $timeout seconds have passed.
sub wait_for {
    my ($cond, $timeout) = @_;
    my $end = time + ($timeout // 10);
    while (time < $end) {
        return 1 if $cond->();
        sleep 0.05;
    }
    return $cond->();
}

# Starts the jobrunner in the background, its stdout and stderr in files.
sub start {
    my ($dir, @args) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$dir/stdout" or _exit(126);
        open STDERR, '>', "$dir/stderr" or _exit(126);
        exec jobrunner_command(), @args or _exit(127);
    }
    $running{$pid} = 1;
    return $pid;
}

# Waits for a started jobrunner to exit; returns its wait status, or undef
# if it is still running after $timeout seconds.
sub wait_exit {
    my ($pid, $timeout) = @_;
    my $status;
    wait_for(sub {
        return 0 if waitpid($pid, WNOHANG) != $pid;
        $status = $?;
        delete $running{$pid};
        return 1;
    }, $timeout);
    return $status;
}

# Runs the jobrunner to completion; returns (exit code, stdout, stderr).
sub run {
    my (@args) = @_;
    my $dir = tempdir(CLEANUP => 1);
    my $status = wait_exit(start($dir, @args), 10);
    return (defined $status ? $status >> 8 : -1,
            slurp("$dir/stdout"), slurp("$dir/stderr"));
}

sub sql {
    my ($db, $sql) = @_;
    open my $fh, '-|', 'sqlite3', '-batch', $db, $sql
        or BAIL_OUT("sqlite3: $!");
    local $/;
    my $out = <$fh> // '';
    close $fh;
    $out =~ s/\n\z//;
    return $out;
}


# --- command line ------------------------------------------------------

my ($code, $out, $err) = run('-h');
is($code, 0, '-h exits 0');
like($out, qr/^usage: jobrunner/, '-h prints the usage');

($code, $out, $err) = run('-x');
is($code, 1, 'unknown option exits 1');
like($err, qr/unknown option -x/, 'unknown option named');

($code, $out, $err) = run('-c', '/nonexistent/jobrunner.conf');
is($code, 1, 'missing config file exits 1');
like($err, qr{^/nonexistent/jobrunner\.conf: cannot open: },
     'missing config file named');


# --- start, migrate, HUP, TERM -----------------------------------------

my $dir = tempdir(CLEANUP => 1);
my $conf = spew("$dir/jobrunner.conf", <<'CONF');
; relative paths: next to this file, not in the working directory
[jobrunner]
data_db = data.db
log = jobrunner.log
log_level = info
pid = jobrunner.pid
threadpool_size = 2
CONF

($code, $out, $err) = run('-t', '-c', $conf);
is($code, 0, '-t on a good config exits 0');
like($err, qr/configuration ok/, '-t says so');
ok(!-e "$dir/data.db", '-t does not create data.db');

my $pid = start($dir, '-c', $conf);
my $log = "$dir/jobrunner.log";

ok(wait_for(sub { slurp($log) =~ /jobrunner started/ }),
   'started') or diag(slurp("$dir/stderr"));
like(slurp($log),
     qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\ \[info\]
         \ jobrunner\ started,\ schema\ version\ $schema$/mx,
     'start logged with UTC time, level and schema version');
ok(-f "$dir/data.db", 'data.db created next to the config file');
is(sql("$dir/data.db", 'PRAGMA user_version'), $schema,
   "user_version is $schema");
is(sql("$dir/data.db", 'PRAGMA journal_mode'), 'wal', 'journal_mode is wal');
ok(wait_for(sub { -s "$dir/jobrunner.pid" }), 'pid file written');
is(slurp("$dir/jobrunner.pid"), "$pid\n", 'pid file holds the pid');

rename $log, "$log.1" or die "rename: $!";
kill 'HUP', $pid;
ok(wait_for(sub { slurp($log) =~ /\[info\] log reopened/ }),
   'HUP: new log file says "log reopened"');
unlike(slurp("$log.1"), qr/log reopened/, 'HUP: the renamed file does not');
is(waitpid($pid, WNOHANG), 0, 'HUP: still running');

kill 'TERM', $pid;
my $status = wait_exit($pid, 5);
ok(defined $status, 'TERM: exits within 5 seconds');
is($status, 0, 'TERM: exit status 0');
ok(!-e "$dir/jobrunner.pid", 'TERM: pid file removed');
like(slurp($log), qr/\[info\] SIGTERM received, shutting down/,
     'TERM: "shutting down" logged');


# --- restart on the existing data.db, log to stderr, INT ---------------

spew($conf, <<'CONF');
[jobrunner]
data_db = data.db
log = -
CONF

$pid = start($dir, '-c', $conf);
ok(wait_for(sub { slurp("$dir/stderr") =~ /jobrunner started/ }),
   'log = -: log lines on stderr');
kill 'INT', $pid;
$status = wait_exit($pid, 5);
is($status, 0, 'INT: exits 0');
like(slurp("$dir/stderr"), qr/SIGINT received, shutting down/,
     'INT: "shutting down" logged');
is(sql("$dir/data.db", 'PRAGMA user_version'), $schema,
   'restart: schema version unchanged');


# --- log_level -----------------------------------------------------------

spew($conf, <<'CONF');
[jobrunner]
data_db = data.db
log = quiet.log
log_level = warn
pid = jobrunner.pid
CONF

$pid = start($dir, '-c', $conf);
ok(wait_for(sub { -s "$dir/jobrunner.pid" }), 'log_level warn: started');
kill 'TERM', $pid;
is(wait_exit($pid, 5), 0, 'log_level warn: exits 0');
ok(-e "$dir/quiet.log", 'log_level warn: log file opened');
is(slurp("$dir/quiet.log"), '', 'log_level warn: no info lines');


# --- a data.db newer than this build -----------------------------------

sql("$dir/data.db", 'PRAGMA user_version = 999');
spew($conf, <<'CONF');
[jobrunner]
data_db = data.db
log = jobrunner.log
pid = jobrunner.pid
CONF

($code, $out, $err) = run('-c', $conf);
is($code, 1, 'newer schema: exits 1');
like($err, qr/cannot migrate database .*newer than this build/,
     'newer schema: reason on stderr too');
like(slurp($log), qr/\[error\] cannot migrate database/,
     'newer schema: reason in the log');
ok(!-e "$dir/jobrunner.pid", 'newer schema: no pid file');
is(sql("$dir/data.db", 'PRAGMA user_version'), 999,
   'newer schema: data.db untouched');


# --- configuration errors ----------------------------------------------

# Each: name, file, the message after "FILE".
my @bad = (
    [ 'syntax error',
      "[jobrunner]\ndata_db = d.db\nthis is wrong\n",
      ':3: syntax error (expected "[section]", "key = value" or a comment)' ],
    [ 'unknown key',
      "[jobrunner]\ndata_db = d.db\n\nbogus = 1\n",
      ':4: unknown key "bogus" in [jobrunner]' ],
    [ 'unknown section',
      "[jobrunner]\ndata_db = d.db\n[jobs]\n",
      ':3: unknown section "[jobs]"' ],
    [ 'duplicate key',
      "[jobrunner]\ndata_db = d.db\ndata_db = e.db\n",
      ':3: duplicate key "data_db" (first set on line 2)' ],
    [ 'threadpool_size 0',
      "[jobrunner]\nthreadpool_size = 0\ndata_db = d.db\n",
      ':2: invalid threadpool_size "0" (expected 1..128)' ],
    [ 'threadpool_size 129',
      "[jobrunner]\ndata_db = d.db\nthreadpool_size = 129\n",
      ':3: invalid threadpool_size "129" (expected 1..128)' ],
    [ 'threadpool_size x',
      "[jobrunner]\ndata_db = d.db\nthreadpool_size = x\n",
      ':3: invalid threadpool_size "x" (expected 1..128)' ],
    [ 'bad log_level',
      "[jobrunner]\ndata_db = d.db\nlog_level = loud\n",
      ':3: invalid log_level "loud" (expected error, warn, notice, info or debug)' ],
    [ 'missing data_db',
      "[jobrunner]\nlog = x.log\n",
      ': missing required key "data_db" in [jobrunner]' ],
);

for my $t (@bad) {
    my ($name, $text, $want) = @$t;
    my $bdir = tempdir(CLEANUP => 1);
    my $bconf = spew("$bdir/bad.conf", $text);

    ($code, $out, $err) = run('-t', '-c', $bconf);
    is($code, 1, "-t, $name: exits 1");
    is($err, "$bconf$want\n", "-t, $name: message");

    ($code, $out, $err) = run('-c', $bconf);
    is($code, 1, "$name: refuses to start");
    is($err, "$bconf$want\n", "$name: same message");
    ok(!-e "$bdir/d.db", "$name: no data.db created");
}

done_testing();
