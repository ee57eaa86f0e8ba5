#!/usr/bin/env python3
"""Fit Platt scaling and the decision thresholds of a shipped model from calib-split logits scored by the
TypeScript/onnxruntime path (training/explore.ts output), with the exact crop protocol the package uses.

  python3 training/calibrate.py EXPLORE.json MODEL.onnx --grid=3 [--flip] --version=X.Y.Z --recipe=TEXT
        [--steps=N] [--out=src/detect/models/calibration.json]

Rules (as train.py): Platt fitted on the calib logits pooled over the four evaluation conditions; synthetic
threshold = lowest whose one-sided 95% Clopper-Pearson upper bound of the FPR over the pooled calib reals is
<= 2%; camera threshold = the 5th percentile of the pooled calib synthetic scores. Calib split only.
"""
import hashlib
import json
import math
import os
import sys
import time

import numpy as np

from stats import clopper_pearson_upper, decision_rule

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONDS = ('original', 'normalised', 'jpeg75', 'resize50')
TARGET_FPR = 0.02


def logits(explore, cond, grid, flip):
    out = []
    for path, e in explore[cond].items():
        c = np.asarray(e['grids'][str(grid)], dtype=np.float64)
        if len(c) == 0:
            continue
        if flip:
            c = np.concatenate([c, np.asarray(e['grids'][f'{grid}f'], dtype=np.float64)])
        out.append((e['label'], float(c.mean())))
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    opts = dict(a[2:].split('=', 1) if '=' in a else (a[2:], '1') for a in sys.argv[1:] if a.startswith('--'))
    explore_path, model_path = args
    grid, flip = int(opts.get('grid', '3')), opts.get('flip') == '1'
    with open(explore_path) as fh:
        explore = json.load(fh)
    per = {c: logits(explore, c, grid, flip) for c in CONDS}
    z = np.array([v for c in CONDS for _, v in per[c]])
    y = np.array([l for c in CONDS for l, _ in per[c]])
    a, b, synth, camera, k, n_real = decision_rule(z, y, TARGET_FPR)
    fpr = {}
    for c in CONDS:
        pc = np.array([1 / (1 + math.exp(-(a * v + b))) for l, v in per[c] if l == 0])
        fp = int((pc > synth).sum())
        fpr[c] = {'falsePositives': fp, 'reals': int(len(pc)), 'upper95': clopper_pearson_upper(fp, int(len(pc)))}
    with open(model_path, 'rb') as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    old = json.load(open(os.path.join(REPO, 'src', 'detect', 'models', 'calibration.json')))
    cal = {
        'name': old['name'],
        'version': opts['version'],
        'file': os.path.basename(model_path),
        'sha256': digest,
        'input': {'name': 'crops', 'crop': 96, 'grid': grid, 'bottomDiscard': 0.06, 'flip': flip,
                  'layout': 'NCHW RGB float32 in [0,1]',
                  'aggregate': 'mean logit' + (' over each crop and its mirror image' if flip else '')},
        'platt': {'a': a, 'b': b},
        'thresholds': {'synthetic': synth, 'camera': camera, 'targetFpr': TARGET_FPR,
                       'rule': 'one-sided 95% Clopper-Pearson upper bound of the FPR <= targetFpr over the '
                               'calib-split reals, pooled over the conditions',
                       'conditions': list(CONDS), 'pooledReals': int(n_real), 'pooledRealsAbove': k,
                       'calibFpr': fpr},
        'validatedOn': old['validatedOn'],
        'trainedAt': time.strftime('%Y-%m-%d'),
        'recipe': opts.get('recipe', ''),
    }
    out = opts.get('out', os.path.join(REPO, 'training', 'out', 'calibration-candidate.json'))
    with open(out, 'w') as fh:
        json.dump(cal, fh, indent=2)
        fh.write('\n')
    tpr = float((np.array([1 / (1 + math.exp(-(a * v + b))) for l, v in per['original'] if l == 1]) > synth).mean())
    print(f'platt a={a:.4f} b={b:.4f}; synthetic > {synth:.4f} ({k} of {n_real} pooled calib reals above, '
          f'upper95 {clopper_pearson_upper(k, n_real):.4f}); camera < {camera:.4f}; calib TPR (original) '
          f'{100 * tpr:.1f}%; wrote {out}')


if __name__ == '__main__':
    main()
