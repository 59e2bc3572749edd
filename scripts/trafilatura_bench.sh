#!/usr/bin/env bash
# Redline's extractor against trafilatura on the same pages, in the same run,
# both scored by the bench's own score.py, both pinned to one core.
#
#   scripts/trafilatura_bench.sh [BENCH_DIR [METADATA_BENCH_DIR]]
#     (defaults ../shared/extraction-bench and ../shared/metadata-bench)
#
# The second bench (WCXB pages with headline, author, date and body) is scored
# for both tools too when its directory exists, so one run prints every figure.
#
# Creates a virtualenv in target/trafilatura-venv (pip install trafilatura
# lxml_html_clean) on first use. REPEAT=N takes the best of N timed runs.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH="${1:-../shared/extraction-bench}"
META="${2:-../shared/metadata-bench}"
REPEAT="${REPEAT:-3}"
VENV="${VENV:-target/trafilatura-venv}"
OUT=target/extraction-bench
EVAL="${CARGO_TARGET_DIR:-target}/release/redline-eval"
mkdir -p "$OUT"
PIN=()
command -v taskset >/dev/null && PIN=(taskset -c 0)

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet trafilatura lxml_html_clean
fi

cargo build --quiet --release --bin redline-eval

echo "== redline"
"${PIN[@]}" "$EVAL" extract "$BENCH" --out "$OUT/redline.json" --repeat "$REPEAT" --worst 0 | tee "$OUT/redline.txt"
echo "== trafilatura"
"${PIN[@]}" "$VENV/bin/python" scripts/trafilatura_bench.py "$BENCH" "$OUT/trafilatura.json" "$REPEAT" | tee "$OUT/trafilatura.txt"

r_out=$(python3 "$BENCH/score.py" "$OUT/redline.json")
t_out=$(python3 "$BENCH/score.py" "$OUT/trafilatura.json")
r_score=${r_out%%$'\n'*}
t_score=${t_out%%$'\n'*}
r_pps=$(grep -o '[0-9.]* pages/s' "$OUT/redline.txt" | head -1 | cut -d' ' -f1)
t_pps=$(grep -o '[0-9.]* pages/s' "$OUT/trafilatura.txt" | head -1 | cut -d' ' -f1)
echo
echo "== side by side (score.py for both; pages/s on one core, best of $REPEAT)"
printf '%-12s %s  %8s pages/s\n' redline "$r_score" "$r_pps"
printf '%-12s %s  %8s pages/s\n' trafilatura "$t_score" "$t_pps"
python3 -c "print(f'speed ratio: redline is {float(\"$r_pps\") / float(\"$t_pps\"):.1f}x trafilatura')"

if [ -d "$META" ]; then
  echo
  echo "== metadata bench ($META)"
  "$EVAL" metadata "$META" --out "$OUT/redline-metadata.json" >/dev/null
  "$VENV/bin/python" scripts/trafilatura_metadata.py "$META" "$OUT/trafilatura-metadata.json"
  printf '%-12s %s\n' redline "$(python3 "$META/score.py" "$OUT/redline-metadata.json")"
  printf '%-12s %s\n' trafilatura "$(python3 "$META/score.py" "$OUT/trafilatura-metadata.json")"
fi
