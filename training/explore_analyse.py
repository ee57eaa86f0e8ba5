#!/usr/bin/env python3
"""Compare crop layouts, aggregation rules and ensembles on cached per-crop logits (training/explore.ts output).

  python3 training/explore_analyse.py            # the fixed candidate set from training/out/shipping-rule.md
Calib split only; AUC is Mann-Whitney with ties as half (as eval.ts).
"""
import json
import os
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'out')
CONDS = ('original', 'normalised', 'jpeg75', 'resize50')


def auc(pos, neg):
    pos, neg = np.asarray(pos), np.asarray(neg)
    if len(pos) == 0 or len(neg) == 0:
        return float('nan')
    gt = (pos[:, None] > neg[None, :]).sum()
    eq = (pos[:, None] == neg[None, :]).sum()
    return float((gt + 0.5 * eq) / (len(pos) * len(neg)))


def load(name, split='calib'):
    path = os.path.join(OUT, f'explore-{name}.json' if split == 'calib' else f'explore-{name}-{split}.json')
    with open(path) as fh:
        return json.load(fh)


AGG = {
    'mean': np.mean,
    'median': np.median,
    'trim20': lambda v: np.mean(np.sort(v)[int(0.2 * len(v)):len(v) - int(0.2 * len(v))]),
}


def scores(data, models, grid, agg, cond):
    """Per-file aggregated logit; the ensemble averages the models' per-crop logits first."""
    out = []
    for path, e in data[models[0]][cond].items():
        if grid == '3f':  # 3x3 crops and their mirror images, averaged per crop
            crops = [(np.asarray(data[m][cond][path]['grids']['3']) + np.asarray(data[m][cond][path]['grids']['3f']))
                     / 2 for m in models]
        else:
            crops = [np.asarray(data[m][cond][path]['grids'][str(grid)]) for m in models]
        if len(crops[0]) == 0:
            continue
        out.append((e['label'], AGG[agg](np.mean(crops, axis=0)), e['source']))
    return out


def evaluate(data, models, grid, agg):
    row = {}
    for cond in CONDS:
        s = scores(data, models, grid, agg, cond)
        row[cond] = auc([x[1] for x in s if x[0] == 1], [x[1] for x in s if x[0] == 0])
    row['mean4'] = float(np.mean([row[c] for c in CONDS]))
    return row


def main():
    names = sys.argv[1:] or ['v1', 'v2', 'v3']
    data = {}
    for n in names:
        try:
            data[n] = load(n)
        except FileNotFoundError:
            pass
    cands = []
    for g in (3, 4, 5):
        for agg in AGG:
            cands.append((['v1'], g, agg))
    cands.append((['v1'], '3f', 'mean'))
    for combo in (['v2'], ['v3'], ['v1', 'v2'], ['v1', 'v3'], ['v2', 'v3'], ['v1', 'v2', 'v3']):
        if all(m in data for m in combo):
            for g in (3, 4, '3f'):
                cands.append((combo, g, 'mean'))
    print('| candidate | grid | agg | original | normalised | jpeg75 | resize50 | mean of 4 |')
    print('|---|---|---|---|---|---|---|---|')
    for models, g, agg in cands:
        r = evaluate(data, models, g, agg)
        gname = '3x3 + flips' if g == '3f' else f'{g}x{g}'
        print(f"| {'+'.join(models)} | {gname} | {agg} | " + ' | '.join(f'{r[c]:.3f}' for c in CONDS)
              + f" | {r['mean4']:.3f} |")


if __name__ == '__main__':
    main()
