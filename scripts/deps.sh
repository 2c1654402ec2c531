#!/bin/sh
# Installs the Debian packages the build and the demo need ("test" adds
# those of the test suite, "deb" those of "make deb").
# Idempotent and quiet when everything is present; apt-get runs only for
# what is missing.
set -eu

packages="build-essential pkg-config nginx nginx-dev
libsqlite3-dev sqlite3 libcmark-dev libuv1-dev libinih-dev libssl-dev
perl curl wrk procps libxml2-utils
libvips-dev libcurl4-openssl-dev libjansson-dev libargon2-dev libxml2-dev libyaml-dev
libmaxminddb-dev libgeoip-dev geoip-database libhttp-parser-dev libnats-dev
zlib1g-dev libdeflate-dev libisal-dev libbrotli-dev libxxhash-dev libsource-highlight-dev"

# "scripts/deps.sh deb": what "make deb" needs to build and check the
# Debian packages (debian/control's Build-Depends are the packages above);
# the tests need it too, for t/90-debian.t
if [ "${1:-}" = deb ] || [ "${1:-}" = test ]; then
    packages="$packages debhelper dpkg-dev fakeroot lintian lowdown"
fi

# "scripts/deps.sh test": what only the tests, sanitizers and fuzzers need
if [ "${1:-}" = test ]; then
    packages="$packages clang libclang-rt-14-dev"
    # test images and the thumbnail benchmark's peer
    packages="$packages imagemagick libimage-exiftool-perl time libvips-tools"
    # the browser test: Debian's chromium, driven by playwright-core (npm);
    # a Node.js from elsewhere brings its own npm
    packages="$packages chromium nodejs"
    # the Nu HTML checker of t/55-a11y.t (npm vnu-jar) runs on Java
    packages="$packages default-jre-headless"
    # the events benchmark's peer; valgrind for the jobrunner
    packages="$packages goaccess valgrind"
    # writes the .mmdb country database of t/47-geo-workers.t
    packages="$packages libmaxmind-db-writer-perl"
    # the SMTP server that receives the sign-in codes of t/53-signin-code.t,
    # and its certificate for STARTTLS
    packages="$packages python3-aiosmtpd openssl"
    # the independent DKIM verifier of t/57-dkim.t (dkimpy)
    packages="$packages python3-dkim"
    # reads the Atom feed as a feed reader would in t/17-links.t, and
    # checks it against RFC 4287's RELAX NG grammar
    packages="$packages python3-feedparser jing"
    # the JetStream server of t/8x-nats*.t and scripts/bench-nats
    packages="$packages nats-server"
    # t/90-debian.t rotates the packaged jobrunner's log
    packages="$packages logrotate"
    # decodes the module's brotli bodies in t/15-compress.t and
    # scripts/bench-pages
    packages="$packages brotli"
    # promtool checks the /metrics pages in t/85-s3-budget.t; installed
    # below, apart, since the package also holds a server (Debian 12's
    # 2.42: a 19 MB download, 96 MB installed, about 25 s)
    tools="prometheus"
    command -v npm >/dev/null 2>&1 || packages="$packages npm"
fi

missing=""
tools_missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
for p in ${tools:-}; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        tools_missing="$tools_missing $p"
    fi
done

[ -z "$missing$tools_missing" ] && exit 0

echo "deps: installing$missing$tools_missing"

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
        echo "deps: missing packages:$missing (run as root or install sudo)" >&2
        exit 1
    }
    sudo="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
if [ -n "$missing" ]; then
    # shellcheck disable=SC2086
    $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Packages wanted for a tool alone (promtool) whose install would start a
# server (Debian's prometheus listens on :9090 once installed): a
# policy-rc.d that refuses every start is in place for their install, as
# Docker images have one, and is removed after unless it was there before.
# Under systemd the unit stays enabled for the next boot
# (systemctl disable prometheus to keep it off).
if [ -n "$tools_missing" ]; then
    policy=/usr/sbin/policy-rc.d
    ours=""
    if [ ! -e $policy ]; then
        printf '#!/bin/sh\n# scripts/deps.sh: no service starts during its install\nexit 101\n' \
            | $sudo tee $policy >/dev/null
        $sudo chmod 755 $policy
        ours=1
        trap '$sudo rm -f $policy' EXIT
    fi
    # shellcheck disable=SC2086
    $sudo apt-get install -y -qq --no-install-recommends $tools_missing >/dev/null
    if [ -n "$ours" ]; then
        $sudo rm -f $policy
        trap - EXIT
    fi
fi

# Debian starts the packaged nginx on port 80; ours runs privately and does
# not need it, but leaves it as the sysadmin configured it.
exit 0
