#!/usr/bin/env bash
# Soak test (not in CI): the release daemon (`redline run`) watches 10,000 articles
# in 10 section feeds on a local site (scripts/soak_site.py) whose newsroom edits
# random articles all the time, and delivers every change to a local webhook.
# Every SOAK_SAMPLE seconds it records the daemon's RSS and peak RSS, the database
# size and the counts of checks, versions, changes, deliveries and errors into
# $SOAK_DIR/samples.csv; at the end it stops the daemon with SIGTERM, runs
# PRAGMA integrity_check and prints a summary (also in $SOAK_DIR/summary.txt).
#
#   scripts/soak.sh                          # the documented run: one hour, 10,000 articles
#   SOAK_SECONDS=600 scripts/soak.sh         # a shortened run
#
# Settings (environment): SOAK_SECONDS (3600), SOAK_ARTICLES (10000),
# SOAK_EDITS_PER_MINUTE (120), SOAK_REVISIT (10m: how often a young article is
# re-checked), SOAK_CONCURRENCY (64), SOAK_SAMPLE (10), SOAK_DIR (target/soak),
# REDLINE (path of the binary; default: builds target/release/redline).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TOTAL=${SOAK_SECONDS:-3600}
ARTICLES=${SOAK_ARTICLES:-10000}
EDITS=${SOAK_EDITS_PER_MINUTE:-120}
SAMPLE=${SOAK_SAMPLE:-10}
REVISIT=${SOAK_REVISIT:-10m}
# The scheduler claims at most `concurrency` articles per one-second tick, so
# concurrency bounds checks per second: 10,000 articles every 10 minutes need > 17.
CONCURRENCY=${SOAK_CONCURRENCY:-64}
DIR=${SOAK_DIR:-target/soak}
if [ -z "${REDLINE:-}" ]; then
  cargo build --release --bin redline >&2
  REDLINE=target/release/redline
fi

rm -rf "$DIR" && mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
python3 scripts/soak_site.py "$ARTICLES" "$EDITS" "$DIR/port" &
SITE=$!
DAEMON=""
cleanup() {
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null || true
  kill "$SITE" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 100); do [ -s "$DIR/port" ] && break; sleep 0.1; done
PORT=$(cat "$DIR/port")
BASE="http://127.0.0.1:$PORT"

{
  printf '[storage]\npath = "%s/redline.db"\n\n[web]\nenabled = false\n\n' "$DIR"
  printf '[fetch]\nallow_private = true\nrobots = false\nconcurrency = %d\nper_host_concurrency = %d\nper_host_delay = "0s"\n\n' "$CONCURRENCY" "$CONCURRENCY"
  for k in $(seq 0 $(( (ARTICLES + 999) / 1000 - 1 ))); do
    # Young articles every $REVISIT: 10,000 articles every 10 minutes make about 17 checks a second.
    printf '[[watch]]\nfeed = "%s/feed/%d.xml"\nevery = "2m"\nrevisit = [["7d", "%s"]]\n\n' "$BASE" "$k" "$REVISIT"
  done
  printf '[[webhook]]\nurl = "%s/hook"\nsecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"\n' "$BASE"
} > "$DIR/redline.toml"

"$REDLINE" --config "$DIR/redline.toml" run 2> "$DIR/daemon.log" &
DAEMON=$!
echo "soak: $ARTICLES articles, $EDITS edits/min, ${SECONDS_TOTAL}s, daemon pid $DAEMON, site $BASE, dir $DIR" >&2

counts() {
  python3 - "$DIR/redline.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=30)
q = lambda s: c.execute(s).fetchone()[0]
print(",".join(str(x) for x in (
    q("SELECT COUNT(*) FROM fetch_log WHERE article_id IS NOT NULL"),
    q("SELECT COUNT(*) FROM versions"),
    q("SELECT COUNT(*) FROM changes"),
    q("SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'"),
    q("SELECT COUNT(*) FROM deliveries WHERE status != 'delivered'"),
    q("SELECT COUNT(*) FROM fetch_log WHERE outcome = 'error'"),
)))
PY
}

echo "elapsed_s,rss_kib,hwm_kib,db_bytes,checks,versions,changes,delivered,undelivered,errors" > "$DIR/samples.csv"
START=$(date +%s)
while :; do
  sleep "$SAMPLE"
  NOW=$(( $(date +%s) - START ))
  if ! kill -0 "$DAEMON" 2>/dev/null; then echo "soak: the daemon died" >&2; tail -20 "$DIR/daemon.log" >&2; exit 1; fi
  RSS=$(awk '/^VmRSS:/ {print $2}' /proc/$DAEMON/status)
  HWM=$(awk '/^VmHWM:/ {print $2}' /proc/$DAEMON/status)
  DB=$(( $(stat -c %s "$DIR/redline.db") + $(stat -c %s "$DIR/redline.db-wal" 2>/dev/null || echo 0) ))
  C=$(counts 2>/dev/null || echo ",,,,,")
  echo "$NOW,$RSS,$HWM,$DB,$C" | tee -a "$DIR/samples.csv" >&2
  [ "$NOW" -ge "$SECONDS_TOTAL" ] && break
done

kill -TERM "$DAEMON"
wait "$DAEMON" || { echo "soak: daemon exit status $?" >&2; exit 1; }
DAEMON=""
SITE_STATS=$(curl -s "$BASE/stats" 2>/dev/null || python3 -c "import urllib.request;print(urllib.request.urlopen('$BASE/stats').read().decode())")
python3 - "$DIR" "$SITE_STATS" <<'PY' | tee "$DIR/summary.txt"
import csv, json, sqlite3, sys
d, site = sys.argv[1], json.loads(sys.argv[2])
rows = list(csv.DictReader(open(d + "/samples.csv")))
c = sqlite3.connect(d + "/redline.db")
integrity = c.execute("PRAGMA integrity_check").fetchone()[0]
last = rows[-1]
warm = rows[max(0, len(rows) // 6)]  # after the first sixth: every article seen at least once
rss = [int(r["rss_kib"]) for r in rows]
print("duration              %s s" % last["elapsed_s"])
print("site                  %d requests (%d article pages), %d edits, %d webhook requests, %d distinct ids"
      % (site["requests"], site["article_requests"], site["edits"], site["webhooks"], site["webhook_ids"]))
print("checks (fetch_log)    %s" % last["checks"])
print("versions / changes    %s / %s" % (last["versions"], last["changes"]))
print("alerts delivered      %s (undelivered %s)" % (last["delivered"], last["undelivered"]))
print("errors                %s" % last["errors"])
print("RSS MiB               warm-up (t=%ss) %.1f, end %.1f, min %.1f, max %.1f, peak (VmHWM) %.1f"
      % (warm["elapsed_s"], int(warm["rss_kib"]) / 1024, rss[-1] / 1024, min(rss) / 1024, max(rss) / 1024,
         int(last["hwm_kib"]) / 1024))
print("RSS growth after warm-up %+.1f MiB" % ((rss[-1] - int(warm["rss_kib"])) / 1024))
print("database              %.1f MiB" % (int(last["db_bytes"]) / 1048576))
print("integrity_check       %s" % integrity)
PY
