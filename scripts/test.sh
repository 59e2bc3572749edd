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
# microsocks (SOCKS5 proxy) for the proxy checks of tests/reach.rs.
# Installed only when missing.
packages=(chromium chromium-driver libxml2-utils python3-fusepy tinyproxy microsocks)
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

cargo test --locked --no-fail-fast "$@"
