#!/bin/sh
# make run: builds the demo site under build/demo, starts a private nginx
# on 127.0.0.1:8080 (PORT=... to change) and the jobrunner, prints the
# URLs, and stops both on Ctrl-C.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
port=${PORT:-8080}
site=$build/demo
run=$build/run

if ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port \|\*:$port \|0.0.0.0:$port "; then
    echo "run: port $port is in use; stop what listens there or set PORT=..." >&2
    exit 1
fi

mkdir -p "$site/media" "$run/logs" "$run/tmp" "$run/spool"

# the demo content: imported again on each start, which changes nothing
# unless a file in conf/demo changed
"$build/blogctl" -d "$site/data.db" init >/dev/null
"$build/blogctl" -d "$site/data.db" import "$root/conf/demo/posts"
"$build/blogctl" -d "$site/data.db" set title "Notes from the edge" >/dev/null
"$build/blogctl" -d "$site/data.db" set description \
    "Running small, fast things on nginx and SQLite" >/dev/null
"$build/blogctl" -d "$site/data.db" set author "Demo Author" >/dev/null
# the newsletter's mails link back here
"$build/blogctl" -d "$site/data.db" set base_url "http://127.0.0.1:$port" \
    >/dev/null
cp -p "$root"/conf/demo/media/* "$site/media/"

# 60 days of made-up visits for the dashboard, the first time only
"$root/scripts/demo-analytics" "$site/analytics.db" "$build"

# the admin panel's demo account, made once; its e-mail address is where
# sign-in codes go (to the jobrunner's log here: there is no [mail])
if ! "$build/blogctl" -d "$site/data.db" user list | grep -q '^admin	'; then
    echo "demo-password" | "$build/blogctl" -d "$site/data.db" user add admin \
        admin@example.org >/dev/null
fi
# a demo made before sign-in codes existed has the account without one
sqlite3 "$site/data.db" \
    "UPDATE users SET email = 'admin@example.org' WHERE name = 'admin' AND email = ''"

# a few newsletter subscribers, for the panel's Subscribers page (made
# once; without [mail] nothing is sent to them)
sqlite3 "$site/data.db" "INSERT OR IGNORE INTO subscribers (email, name,
    status, source, created_at, confirmed_at, updated_at) VALUES
    ('ada@example.org', 'Ada Lovelace', 'active', 'import', unixepoch(), unixepoch(), unixepoch()),
    ('grace@example.org', 'Grace Hopper', 'pending', 'import', unixepoch(), NULL, unixepoch()),
    ('alan@example.org', 'Alan Turing', 'unsubscribed', 'form', unixepoch(), unixepoch(), unixepoch())"

user=""
if [ "$(id -u)" -eq 0 ]; then
    # as root, workers would run as nobody, who cannot write data.db-shm here
    user="user root root;"
fi

sed -e "s|@BUILD@|$build|g" -e "s|@RUN@|$run|g" -e "s|@SITE@|$site|g" \
    -e "s|@ROOT@|$root|g" -e "s|@LISTEN@|127.0.0.1:$port|g" \
    -e "s|@USER@|$user|g" \
    -e "s|@ANALYTICS_SHA256@|$(printf %s demo-token | sha256sum | cut -c1-64)|g" \
    "$root/conf/nginx.demo.conf.in" > "$run/nginx.conf"

# no [mail]: sign-in codes and newsletter confirmation links go to the log
# instead of an SMTP server
cat > "$run/jobrunner.conf" <<CONF
[jobrunner]
data_db = $site/data.db
ttl_db = $site/ttl.db
media_root = $site/media
theme = $root/conf/theme
log = $run/logs/jobrunner.log
pid = $run/jobrunner.pid
events_socket = $run/events.sock
spool_dir = $run/spool
metrics_listen = 127.0.0.1:$((port + 1))
batch_interval_ms = 100
sse_socket = $run/sse.sock
current_interval_ms = 2000

# the analytics reports, written to the log without [mail]: the weekly
# one at the first start, its missed slot
[report]
to = admin@example.org
CONF

/usr/sbin/nginx -t -q -p "$run" -c "$run/nginx.conf"

nginx_pid=""
jobrunner_pid=""

# Ctrl-C reaches nginx and the jobrunner too; both exit 0 on it.  Any other
# way out stops whichever is left.
stop() {
    if [ -n "$nginx_pid" ]; then kill -QUIT "$nginx_pid" 2>/dev/null || :; fi
    if [ -n "$jobrunner_pid" ]; then kill -TERM "$jobrunner_pid" 2>/dev/null || :; fi
    wait || :
}
trap 'stop; echo "run: stopped"; exit 0' INT TERM

"$build/jobrunner" -c "$run/jobrunner.conf" &
jobrunner_pid=$!

/usr/sbin/nginx -p "$run" -c "$run/nginx.conf" &
nginx_pid=$!

url="http://127.0.0.1:$port"
cat <<MSG

ngx_blog demo is running (Ctrl-C stops it):

  $url/                  index
  $url/posts/nginx-tuning-small-vps
  $url/posts/nginx-tuning-small-vps?utm_source=demo&utm_campaign=launch
                         a visit with campaign tags: analytics.db's
                         analytics_visits row (docs/analytics.md)
  $url/tags/nginx
  $url/about
  $url/feed.xml
  $url/sitemap.xml
  $url/media/alps-sunset.png
  $url/admin/            admin panel: admin / demo-password, or "E-mail me a
                         sign-in code" for admin: the code is written to
                         $run/logs/jobrunner.log
  $url/admin/subscribers newsletter subscribers: search, CSV import/export;
                         $url/admin/newsletters: each send, live
  $url/admin/analytics   the analytics dashboard (60 days of made-up visits,
                         then yours; the weekly report is in the log)
  $url/_analytics        analytics: any user, password demo-token
  $url/api/v2/query      Stats API: curl -H 'Authorization: Bearer demo-token'
                         -d '{"metrics":["visitors"],"date_range":"7d"}' ...
                         (docs/analytics-api.md; ?format=csv for CSV)
  $url/_metrics          Prometheus metrics (jobrunner's: http://127.0.0.1:$((port + 1))/metrics)

  logs: $run/logs/   database: $site/data.db
MSG

# either process ending ends the demo
while kill -0 "$nginx_pid" 2>/dev/null && kill -0 "$jobrunner_pid" 2>/dev/null; do
    sleep 1
done

status=0
wait "$nginx_pid" || status=$?
[ "$status" -eq 0 ] && { wait "$jobrunner_pid" || status=$?; }
stop
if [ "$status" -ne 0 ]; then
    echo "run: a process failed (exit $status); see $run/logs/" >&2
    exit 1
fi
echo "run: stopped"
