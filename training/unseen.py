#!/usr/bin/env python3
"""Leave-generator-out measurement: how the detector's recipe ranks a generator it never saw.

  python3 training/unseen.py BASE HELDOUT_NAME=fake/source [...]

BASE and each HELDOUT_NAME name training/out/explore-<name>-test.json files written by
`npx tsx training/explore.ts <name>=<model.onnx> --grids=4 --split=test` for models trained by train.py with
the same recipe and step budget, BASE on every source, each other one with PROVMARK_HOLD_OUT=<source>.
Prints, per condition, the AUC of the held-out source's test images against all test reals, for the model
that never saw the source (with a 95% bootstrap interval) and for BASE. The test split is only read here, never used to choose anything.
"""
import json
import os
import sys

import numpy as np

from stats import auc

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'out')
CONDS = ('original', 'normalised', 'jpeg75', 'resize50')


def per_file(name):
    with open(os.path.join(OUT, f'explore-{name}-test.json')) as fh:
        data = json.load(fh)
    out = {}
    for cond in CONDS:
        out[cond] = [(e['label'], float(np.mean(e['grids']['4'])), e['source'])
                     for e in data[cond].values() if len(e['grids']['4'])]
    return out


def source_auc(rows, source, boot=0):
    """AUC of `source` against all reals; with boot > 0 also a 95% percentile bootstrap interval
    (both groups resampled, fixed seed)."""
    pos = np.array([s for label, s, src in rows if src == source])
    neg = np.array([s for label, s, src in rows if label == 0])
    value = auc([1] * len(pos) + [0] * len(neg), np.concatenate([pos, neg]))
    if not boot:
        return value, len(pos), None
    rng = np.random.default_rng(20261126)
    draws = []
    for _ in range(boot):
        p = pos[rng.integers(0, len(pos), len(pos))]
        n = neg[rng.integers(0, len(neg), len(neg))]
        draws.append(auc([1] * len(p) + [0] * len(n), np.concatenate([p, n])))
    return value, len(pos), (float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5)))


def main():
    base = sys.argv[1]
    held = [a.split('=', 1) for a in sys.argv[2:]]
    b = per_file(base)
    print('| held-out generator | n test | ' + ' | '.join(f'{c}: unseen / seen' for c in CONDS) + ' |')
    print('|---|---|' + '---|' * len(CONDS))
    for name, source in held:
        h = per_file(name)
        cells = []
        n = 0
        for cond in CONDS:
            au, n, ci = source_auc(h[cond], source, boot=1000)
            ab, _, _ = source_auc(b[cond], source)
            cells.append(f'{au:.3f} [{ci[0]:.2f}, {ci[1]:.2f}] / {ab:.3f}')
        print(f'| {source} | {n} | ' + ' | '.join(cells) + ' |')


if __name__ == '__main__':
    main()
