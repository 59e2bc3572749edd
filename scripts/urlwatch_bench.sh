#!/usr/bin/env bash
# Scale benchmark: Redline on N = 1,000 / 10,000 / 100,000 synthetic articles served from
# 127.0.0.1, and urlwatch (PyPI, in a virtualenv this script creates) on the same 1,000 pages.
# The figures it prints are the ones recorded in docs/BENCHMARKS.md ("Scale").
#
#   scripts/urlwatch_bench.sh            # the full series (about 30 minutes on 2 cores)
#   scripts/urlwatch_bench.sh quick      # N = 1,000 only, with urlwatch (about 3 minutes)
#
# Environment:
#   SKIP_BUILD=1        use the existing target/release/redline and redline-scale
#   SCALE_WORKDIR=DIR   where databases go (default target/scale/work; keep it on a real disk:
#                       tmpfs hides the cost of fsync)
#   URLWATCH_VERSION    urlwatch version installed in the virtualenv (default 2.29)
#   REPEAT_1K, REPEAT_10K, REPEAT_100K   series per size (defaults 5, 3, 1)
#   EXTRA="..."         extra arguments for redline-scale (e.g. "--no-etag" or "--mode urls")
set -euo pipefail

cd "$(dirname "$0")/.."
what=${1:-full}
out=target/scale
work=${SCALE_WORKDIR:-$out/work}
venv=$out/venv
results=$out/results
mkdir -p "$out" "$work" "$results"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release --bin redline --bin redline-scale
fi

if [ ! -x "$venv/bin/urlwatch" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "urlwatch==${URLWATCH_VERSION:-2.29}"
fi
echo "urlwatch $("$venv/bin/urlwatch" --version | awk '{print $2}'), $(python3 --version), $(nproc) cores, $(date -u +%FT%TZ)"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
jsonl=$results/scale-$stamp.jsonl
bench() {
    # shellcheck disable=SC2086
    target/release/redline-scale --workdir "$work" --json "$jsonl" ${EXTRA:-} "$@" 2>&1 | tee -a "$results/scale-$stamp.txt"
}

# N = 1,000: Redline (4 rounds: first sight, then 3 rounds with 5% of the articles edited)
# and, in the same run on the same server, urlwatch twice on the same 1,000 pages.
bench --sizes 1000 --rounds 4 --repeat "${REPEAT_1K:-5}" --urlwatch "$venv/bin/urlwatch"

if [ "$what" = full ]; then
    bench --sizes 10000 --rounds 4 --repeat "${REPEAT_10K:-3}"
    bench --sizes 100000 --rounds 3 --repeat "${REPEAT_100K:-1}"
fi
echo "results: $results/scale-$stamp.txt and $jsonl"
