#!/usr/bin/env python3
"""Runs trafilatura over the extraction bench on one core and writes its
predictions in score.py's format; prints pages/s measured in thread CPU time (best of N runs).

usage: trafilatura_bench.py BENCH_DIR OUT.json [REPEAT]"""
import json, os, sys, time

import trafilatura


def main(bench, out, repeat=1):
    truth = json.load(open(os.path.join(bench, 'ground-truth.json'), encoding='utf8'))
    ids = sorted(truth)
    pages = [open(os.path.join(bench, 'html', f'{i}.html'), encoding='utf8', errors='replace').read() for i in ids]
    best, preds = float('inf'), {}
    for _ in range(max(1, repeat)):
        start = time.thread_time()
        run = {i: trafilatura.extract(h, include_comments=False) or '' for i, h in zip(ids, pages)}
        best = min(best, time.thread_time() - start)
        preds = run
    json.dump({i: {'articleBody': t} for i, t in preds.items()}, open(out, 'w', encoding='utf8'))
    print(f'trafilatura {trafilatura.__version__}: {len(ids) / best:.1f} pages/s on one core (CPU time, best of {repeat})')


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1)
