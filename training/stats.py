"""Statistics shared by the detector's training and calibration scripts (train.py, calibrate.py,
threshold_check.py): one definition each, so the shipped thresholds and the checks of them agree.
Plain numpy and math; no scipy on the Debian image."""
import math

import numpy as np


def clopper_pearson_upper(k, n, conf=0.95):
    """One-sided upper confidence bound of a binomial rate (bisection on the binomial CDF; no scipy needed)."""
    if n == 0:
        return 1.0
    if k >= n:
        return 1.0
    alpha = 1 - conf

    def cdf(p):
        return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k + 1))

    lo, hi = k / n, 1.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if cdf(mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


def auc(labels, scores):
    labels = np.asarray(labels)
    scores = np.asarray(scores)
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float('nan')
    order = np.argsort(np.concatenate([pos, neg]), kind='mergesort')
    ranks = np.empty(len(order))
    allv = np.concatenate([pos, neg])[order]
    # average ranks for ties
    i = 0
    r = np.empty(len(allv))
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        r[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    ranks[order] = r
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def fit_platt(logits, labels):
    """Fit p = sigmoid(a * logit + b) by Newton's method on the log loss, with Platt's target smoothing."""
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    n1, n0 = y.sum(), len(y) - y.sum()
    t = np.where(y == 1, (n1 + 1) / (n1 + 2), 1 / (n0 + 2))
    a, b = 1.0, 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-(a * z + b)))
        g = np.array([np.sum((p - t) * z), np.sum(p - t)])
        w = p * (1 - p) + 1e-12
        hmat = np.array([[np.sum(w * z * z), np.sum(w * z)], [np.sum(w * z), np.sum(w)]]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hmat, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-10:
            break
    return float(a), float(b)


def decision_rule(z, y, target_fpr):
    """The shipped decision rule, fitted on pooled calib logits `z` with labels `y` (1 = synthetic).

    Platt scaling p = sigmoid(a z + b); the synthetic threshold is the lowest calib real score whose one-sided
    95% Clopper-Pearson upper bound of the FPR (k reals strictly above it) is <= target_fpr, kept in
    [0.5, 0.999]; the camera threshold is the 5th percentile of the calib synthetic scores (below it at most 5%
    of calib fakes fall), never above the synthetic one. Returns (a, b, synthetic, camera, k, n_reals).
    """
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y)
    a, b = fit_platt(z, y)
    p = 1 / (1 + np.exp(-(a * z + b)))
    real_p = np.sort(p[y == 0])
    k = 0
    while k + 1 < len(real_p) and clopper_pearson_upper(k + 1, len(real_p)) <= target_fpr:
        k += 1
    synth = float(real_p[len(real_p) - 1 - k]) if len(real_p) > k else 1.0
    synth = min(max(synth, 0.5), 0.999)
    fake_p = np.sort(p[y == 1])
    camera = float(fake_p[int(math.floor(0.05 * len(fake_p)))]) if len(fake_p) else 0.0
    return a, b, synth, min(camera, synth), k, len(real_p)
