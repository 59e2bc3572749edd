#!/usr/bin/env bash
# Runs every test of Redline on a fresh Debian machine with a Rust toolchain:
# installs what the tests need, then runs unit, integration, golden and property tests.
# Tests only talk to servers they start on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests need beyond the Rust toolchain (SQLite and zstd are
# built from source by their crates): headless Chromium and chromedriver for the
# browser tests (tests/browser.rs; Chromium alone renders the `render = "browser"`
# watches of tests/render.rs), xmllint for the Atom schema test (tests/web.rs),
# Python's fusepy (with libfuse2) for the read-only filesystem of tests/outage.rs
# (tests/support/flipfs.py, run with /usr/bin/python3), tinyproxy (HTTP proxy) and
# microsocks (SOCKS5 proxy) for the proxy checks of tests/reach.rs, python3-venv for the
# virtualenv in which tests/export.rs installs warcio (PyPI) to check the exported WARC.
# Installed only when missing.
packages=(chromium chromium-driver libxml2-utils python3-fusepy tinyproxy microsocks python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

# PostgreSQL for the store's second backend: the store's unit tests run on both
# engines, and the integration suites that open the store run a second time on it.
# When nothing answers on 127.0.0.1:5432, Debian's server is installed and started
# with a superuser role named after this user, trusted from 127.0.0.1 (tests only).
pg_user=$(id -un)
if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  if ! dpkg -s postgresql >/dev/null 2>&1; then
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  if ! $sudo_cmd grep -q "redline tests" "$hba"; then
    $sudo_cmd sed -i "1i host all all 127.0.0.1/32 trust # redline tests" "$hba"
  fi
  $sudo_cmd pg_ctlcluster "$version" main start 2>/dev/null || $sudo_cmd pg_ctlcluster "$version" main reload
  for _ in $(seq 1 30); do
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && break
    sleep 1
  done
  as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
  as_postgres psql -qtAc "SELECT 1 FROM pg_roles WHERE rolname = '$pg_user'" | grep -q 1 ||
    as_postgres psql -qc "CREATE ROLE \"$pg_user\" SUPERUSER LOGIN"
  as_postgres psql -qtAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 ||
    as_postgres createdb -O "$pg_user" test
fi
export REDLINE_TEST_POSTGRES=${REDLINE_TEST_POSTGRES:-postgres://$pg_user@127.0.0.1:5432/test}

cargo test --locked --no-fail-fast "$@"
# The suites that run the daemon, the CLI and the web UI over a database, on PostgreSQL.
# (The crash suite's kill count is halved there to keep CI's time in bounds.)
REDLINE_TEST_STORE=postgres REDLINE_CRASH_KILLS=${REDLINE_CRASH_KILLS:-25} \
  cargo test --locked --no-fail-fast --test end_to_end --test alerts --test crash --test crawl --test web --test export --test signals
