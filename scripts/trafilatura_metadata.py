#!/usr/bin/env python3
"""Runs trafilatura's metadata and body extraction over the metadata bench
(`html/<id>.html.gz`, `ground-truth/<id>.json` for the URL) and writes its
predictions in the bench's score.py format.

usage: trafilatura_metadata.py BENCH_DIR OUT.json
  (in the venv scripts/trafilatura_bench.sh creates: target/trafilatura-venv/bin/python)"""
import gzip, json, os, sys

import trafilatura


def main(bench, out):
    preds = {}
    for f in sorted(os.listdir(os.path.join(bench, 'html'))):
        k = f.split('.')[0]
        html = gzip.open(os.path.join(bench, 'html', f), 'rt', encoding='utf8', errors='replace').read()
        url = json.load(open(os.path.join(bench, 'ground-truth', k + '.json'), encoding='utf8')).get('url')
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
        d = doc.as_dict() if doc is not None and hasattr(doc, 'as_dict') else (doc or {})
        preds[k] = {'title': d.get('title'), 'byline': d.get('author'), 'published': d.get('date'),
                    'text': d.get('text') or ''}
    json.dump(preds, open(out, 'w', encoding='utf8'))
    print(f'trafilatura {trafilatura.__version__}: {len(preds)} pages')


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
