#!/usr/bin/env python3
"""Compare threshold rules by split-half resampling of the calib split (never the test split).

Reads the per-file calibrated scores that `npm run eval:detect -- --split=calib` writes
(training/out/eval-results-calib.json, or the files given on the command line) and, for each of 1000 random halves
of the calib reals, picks a threshold on one half and measures the false-positive rate on the other half under
each condition. This estimates how a rule behaves on reals it did not see, which the in-sample calib FPR cannot.

Rules (target FPR 2%, strictly-greater convention as train.py):
  original: the (k+1)-th highest original-file real score, k = floor(0.02 n)   (v1's rule)
  pooled:   the same over the real scores of all four conditions pooled
  pooled-ucb: over the pooled scores, the lowest threshold whose one-sided 95% Clopper-Pearson upper bound of the
            FPR is <= 2% (v2's rule; the pooled scores are not independent, so the bound is optimistic)
The TPR column is the share of all calib synthetic images (original files) above each threshold.
Usage: python3 training/threshold_check.py [eval-results-calib.json ...]
       python3 training/threshold_check.py --write [eval-results-calib.json]
  --write applies the pooled-ucb rule to all calib reals of the given file (default: training/out/
  eval-results-calib.json, which must come from the shipped model) and writes the synthetic threshold into
  src/detect/models/calibration.json. This is how the shipped 1.1.0 threshold was set (v1 weights and Platt
  scaling unchanged).
"""
import json
import math
import os
import random
import sys

from stats import clopper_pearson_upper

CONDS = ('original', 'normalised', 'jpeg75', 'resize50')
TARGET = 0.02
ROUNDS = 1000


def thr_ucb(scores):
    s = sorted(scores)
    k = 0
    while k + 1 < len(s) and clopper_pearson_upper(k + 1, len(s)) <= TARGET:
        k += 1
    return s[len(s) - 1 - k]


def thr(scores):
    s = sorted(scores)
    k = int(math.floor(TARGET * len(s)))
    return s[len(s) - 1 - k] if len(s) > k else 1.0


def main(paths):
    for path in paths:
        d = json.load(open(path))
        sc = d['scores']
        reals = sorted({x['path'] for x in sc['original'] if x['label'] == 0})
        by = {c: {x['path']: x['score'] for x in sc[c] if x['score'] is not None} for c in CONDS}
        fakes = [x['score'] for x in sc['original'] if x['label'] == 1 and x['score'] is not None]
        rng = random.Random(20261126)
        acc = {r: {c: [] for c in CONDS + ('tpr',)} for r in ('original', 'pooled', 'pooled-ucb')}
        for _ in range(ROUNDS):
            perm = reals[:]
            rng.shuffle(perm)
            fit, held = perm[:len(perm) // 2], perm[len(perm) // 2:]
            ts = {'original': thr([by['original'][p] for p in fit if p in by['original']]),
                  'pooled': thr([by[c][p] for c in CONDS for p in fit if p in by[c]]),
                  'pooled-ucb': thr_ucb([by[c][p] for c in CONDS for p in fit if p in by[c]])}
            for rule, t in ts.items():
                for c in CONDS:
                    h = [by[c][p] for p in held if p in by[c]]
                    acc[rule][c].append(sum(v > t for v in h) / len(h))
                acc[rule]['tpr'].append(sum(v > t for v in fakes) / len(fakes))
        print(f'\n{d["model"]} ({os.path.basename(path)}): {len(reals)} calib reals, {len(fakes)} calib fakes, '
              f'{ROUNDS} split-half rounds')
        print('| rule | FPR original | FPR normalised | FPR jpeg75 | FPR resize50 | TPR original |')
        print('|---|---|---|---|---|---|')
        for rule, a in acc.items():
            cells = [f'{100 * sum(a[c]) / len(a[c]):.1f}%' for c in CONDS + ('tpr',)]
            print(f'| {rule} | ' + ' | '.join(cells) + ' |')


def write(path):
    d = json.load(open(path))
    cal_path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'src', 'detect', 'models',
                            'calibration.json')
    cal = json.load(open(cal_path))
    if d.get('sha256') != cal['sha256']:
        raise SystemExit('threshold_check: the scores come from a different model than calibration.json names')
    reals = sorted(x['score'] for c in CONDS for x in d['scores'][c] if x['label'] == 0 and x['score'] is not None)
    t = thr_ucb(reals)
    above = sum(v > t for v in reals)
    fakes = [x['score'] for x in d['scores']['original'] if x['label'] == 1 and x['score'] is not None]
    per = {}
    for c in CONDS:
        h = [x['score'] for x in d['scores'][c] if x['label'] == 0 and x['score'] is not None]
        k = sum(v > t for v in h)
        per[c] = {'falsePositives': k, 'reals': len(h), 'upper95': clopper_pearson_upper(k, len(h))}
    cal['thresholds']['synthetic'] = t
    cal['thresholds']['camera'] = min(cal['thresholds']['camera'], t)
    cal['thresholds']['rule'] = ('one-sided 95% Clopper-Pearson upper bound of the FPR <= targetFpr over the '
                                 'calib-split reals, pooled over the conditions')
    cal['thresholds']['conditions'] = list(CONDS)
    cal['thresholds']['pooledReals'] = len(reals)
    cal['thresholds']['pooledRealsAbove'] = above
    cal['thresholds']['calibFpr'] = per
    print(f'synthetic threshold {t:.6f}: {above} of {len(reals)} pooled calib real scores above '
          f'(upper 95% bound {clopper_pearson_upper(above, len(reals)):.4f}); calib TPR (original) '
          f'{100 * sum(v > t for v in fakes) / len(fakes):.1f}%')
    return cal, cal_path


if __name__ == '__main__':
    if '--write' in sys.argv:
        rest = [a for a in sys.argv[1:] if a != '--write']
        cal, cal_path = write(rest[0] if rest else os.path.join(os.path.dirname(os.path.abspath(__file__)), 'out',
                                                                 'eval-results-calib.json'))
        cal['version'] = os.environ.get('PROVMARK_MODEL_VERSION', cal['version'])
        with open(cal_path, 'w') as out:
            json.dump(cal, out, indent=2)
            out.write('\n')
        sys.exit(0)
    args = sys.argv[1:] or [os.path.join(os.path.dirname(os.path.abspath(__file__)), 'out', 'eval-results-calib.json')]
    main(args)
