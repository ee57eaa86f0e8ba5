#!/usr/bin/env python3
"""Train provmark's bundled synthetic-image detector from scratch and export it to ONNX.

Reads ../shared/fixtures/detect (manifest.csv + real/ + fake/), never copies an image into the repository,
and writes:
  training/split.json                     the deterministic train / calib / test split (paths only)
  src/detect/models/provmark-detect-v1.onnx   the network (input: N x 3 x 96 x 96 RGB in [0, 1])
  src/detect/models/calibration.json      Platt scaling, decision thresholds, crop protocol, validation scope
  training/out/train-log.txt              the training log (not committed)

Design (see src/detect/models/MODEL_CARD.md):
- The network sees only high-pass residuals computed inside the graph (a nearest-neighbour upsampling residual
  as in NPR, Tan et al. CVPR 2024, and a 3x3 box-filter residual), which reduces how much scene content it can
  use; it still can, and the card says so.
- Training crops are native resolution; both classes receive the same augmentation (random resize 0.5-1.25,
  blur, JPEG re-encoding at quality 60-100, flips), following Wang et al. CVPR 2020, so that format and JPEG
  history are not free shortcuts. The bottom 6% of every image is discarded (visible StyleGAN2 text, DALL-E 2
  colour bar) in training and at inference alike.
- The split is by source and by group (file, or prompt folder for the dcsan/imagen generators, so no prompt is in
  two splits), from a fixed seed. The test split is never read here.
- Calibration (Platt) and thresholds are fitted on the calib split with the exact inference crop protocol.
"""
import csv
import hashlib
import io
import json
import math
import os
import random
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from PIL import Image, ImageFilter
except ImportError:
    # pyenv shims may shadow Debian's interpreter, which is the one with python3-torch.
    if sys.executable != '/usr/bin/python3' and os.path.exists('/usr/bin/python3'):
        os.execv('/usr/bin/python3', ['/usr/bin/python3', *sys.argv])
    raise

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, '..', 'shared', 'fixtures', 'detect')
MODEL_DIR = os.path.join(REPO, 'src', 'detect', 'models')
OUT_DIR = os.path.join(REPO, 'training', 'out')

SEED = 20261126
CROP = 96  # model input side; small enough that a 256 px image halved still fits
PRE_CROP = 112  # augmentation works on a slightly larger patch so the final crop has a random JPEG grid phase
BOTTOM_DISCARD = 0.06
GRID = 3  # inference uses GRID x GRID crops
SPLIT_FRACTIONS = (0.6, 0.15, 0.25)  # train, calib, test
TARGET_FPR = 0.02
MODEL_NAME = 'provmark-detect'
MODEL_VERSION = '1.0.0'
STEPS = int(os.environ.get('PROVMARK_TRAIN_STEPS', '4800'))
BATCH = 32
THREADS = int(os.environ.get('PROVMARK_TRAIN_THREADS', '1'))


def log(msg, fh=None):
    line = f'[{time.strftime("%H:%M:%S")}] {msg}'
    print(line, flush=True)
    if fh:
        fh.write(line + '\n')
        fh.flush()


# ---------------------------------------------------------------- data and split
def source_of(rel):
    label, name = rel.split('/', 1)
    prefix = name.split('_', 1)[0]
    if prefix.startswith('raise'):
        prefix = 'raise'
    return f'{label}/{prefix}'


IMAGEN_SOURCES = {'ldm', 'glid3', 'dallemini', 'disco'}


def group_of(rel):
    label, name = rel.split('/', 1)
    parts = name.split('_')
    if parts[0] in IMAGEN_SOURCES and len(parts) >= 3:
        # Same prompt folder -> same group, across the four generators of that repository.
        return 'imagen-prompt:' + parts[1]
    return 'file:' + rel


def hkey(text):
    return hashlib.sha256(f'{SEED}:{text}'.encode()).hexdigest()


def make_split(rows):
    """Assign each group to train/calib/test; stratified per source, imagen prompt groups assigned once."""
    by_source = {}
    for r in rows:
        by_source.setdefault(r['source'], []).append(r)
    group_split = {}
    # Prompt groups first, over all prompts together, so each prompt lands in exactly one split.
    prompts = sorted({group_of(r['path']) for r in rows if group_of(r['path']).startswith('imagen-prompt:')}, key=hkey)
    for i, g in enumerate(prompts):
        group_split[g] = pick_split(i, len(prompts))
    for src, items in sorted(by_source.items()):
        groups = sorted({group_of(r['path']) for r in items if group_of(r['path']) not in group_split}, key=hkey)
        for i, g in enumerate(groups):
            group_split[g] = pick_split(i, len(groups))
    return {r['path']: group_split[group_of(r['path'])] for r in rows}


def pick_split(i, n):
    a = round(SPLIT_FRACTIONS[0] * n)
    b = round((SPLIT_FRACTIONS[0] + SPLIT_FRACTIONS[1]) * n)
    return 'train' if i < a else ('calib' if i < b else 'test')


def read_manifest():
    rows = []
    with open(os.path.join(FIXTURES, 'manifest.csv'), newline='') as fh:
        for r in csv.DictReader(fh):
            rows.append({'path': r['path'], 'label': 1 if r['label'] == 'fake' else 0,
                         'source': source_of(r['path']), 'generator': r['generator_or_camera']})
    return rows


def load_rgb(rel):
    with Image.open(os.path.join(FIXTURES, rel)) as im:
        im.seek(0)
        rgb = np.asarray(im.convert('RGB'), dtype=np.uint8)
    return np.ascontiguousarray(rgb[:usable_height(rgb.shape[0])])


def usable_height(h):
    # Same rule as src/detect/crops.ts: drop floor(6%) of the rows at the bottom.
    return h - int(math.floor(h * BOTTOM_DISCARD))


# ---------------------------------------------------------------- inference crop protocol (mirrors crops.ts)
def grid_offsets(length, crop, n):
    if length < crop:
        return []
    span = length - crop
    out = []
    for i in range(n):
        o = (span * i) // (n - 1) if n > 1 else span // 2
        out.append(o - (o % 2))  # even offsets keep the 2x2 upsampling phase fixed
    return out


def inference_crops(rgb):
    h, w = rgb.shape[:2]
    ys, xs = grid_offsets(h, CROP, GRID), grid_offsets(w, CROP, GRID)
    crops = [rgb[y:y + CROP, x:x + CROP] for y in ys for x in xs]
    if not crops:
        return None
    arr = np.stack(crops).astype(np.float32) / 255.0
    return torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()


# ---------------------------------------------------------------- augmentation (both classes alike)
RESAMPLE = [Image.BILINEAR, Image.BICUBIC, Image.LANCZOS, Image.BOX]


def augment(rgb, rng):
    h, w = rgb.shape[:2]
    patch = None
    if rng.random() < 0.4:
        scale = rng.uniform(0.5, 1.25)
        need = int(math.ceil(PRE_CROP / scale))
        if h >= need and w >= need:
            y, x = rng.randrange(h - need + 1), rng.randrange(w - need + 1)
            im = Image.fromarray(rgb[y:y + need, x:x + need])
            patch = im.resize((PRE_CROP, PRE_CROP), rng.choice(RESAMPLE))
    if patch is None:
        y, x = rng.randrange(h - PRE_CROP + 1), rng.randrange(w - PRE_CROP + 1)
        patch = Image.fromarray(rgb[y:y + PRE_CROP, x:x + PRE_CROP])
    if rng.random() < 0.15:
        patch = patch.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
    if rng.random() < 0.6:
        buf = io.BytesIO()
        patch.save(buf, 'JPEG', quality=rng.randint(60, 100),
                   subsampling=rng.choice([0, 2]))
        buf.seek(0)
        patch = Image.open(buf).convert('RGB')
    arr = np.asarray(patch, dtype=np.uint8)
    oy, ox = 2 * rng.randrange((PRE_CROP - CROP) // 2 + 1), 2 * rng.randrange((PRE_CROP - CROP) // 2 + 1)
    arr = arr[oy:oy + CROP, ox:ox + CROP]
    if rng.random() < 0.5:
        arr = arr[:, ::-1]
    return arr


# ---------------------------------------------------------------- network
class Residuals(nn.Module):
    """Fixed high-pass front end: NPR-style nearest-upsampling residual and a 3x3 box residual."""

    def __init__(self):
        super().__init__()
        self.register_buffer('box', torch.full((3, 1, 3, 3), 1.0 / 9.0))

    def forward(self, x):
        down = x[:, :, 0::2, 0::2]
        up = F.interpolate(down, scale_factor=2.0, mode='nearest')
        npr = x - up
        box = x - F.conv2d(F.pad(x, (1, 1, 1, 1), mode='replicate'), self.box, groups=3)
        return torch.cat([npr, box], dim=1) * 8.0


def block(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.res = Residuals()
        self.features = nn.Sequential(
            block(6, 16, 1), block(16, 32, 2), block(32, 32, 1),
            block(32, 64, 2), block(64, 64, 1), block(64, 96, 2), block(96, 96, 1))
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(96, 1)

    def forward(self, x):
        f = self.features(self.res(x))
        f = f.mean(dim=(2, 3))
        return self.fc(self.drop(f)).squeeze(1)


# ---------------------------------------------------------------- metrics and calibration
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


def main():
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)
    if not os.path.exists(os.path.join(FIXTURES, 'manifest.csv')):
        print(f'train: fixtures not found at {FIXTURES}; nothing to do.')
        return 0
    os.makedirs(OUT_DIR, exist_ok=True)
    os.makedirs(MODEL_DIR, exist_ok=True)
    fh = open(os.path.join(OUT_DIR, 'train-log.txt'), 'w')
    rows = read_manifest()
    split = make_split(rows)
    with open(os.path.join(REPO, 'training', 'split.json'), 'w') as out:
        json.dump({'seed': SEED, 'fractions': SPLIT_FRACTIONS,
                   'note': 'Deterministic split by source and group (file, or dcsan/imagen prompt folder). '
                           'Regenerated by training/train.py; read by training/eval.ts.',
                   'files': {r['path']: {'split': split[r['path']], 'source': r['source'], 'label': r['label']}
                             for r in sorted(rows, key=lambda r: r['path'])}}, out, indent=1)
    counts = {}
    for r in rows:
        key = (r['source'], split[r['path']])
        counts[key] = counts.get(key, 0) + 1
    for key in sorted(counts):
        log(f'split {key[0]:>16} {key[1]:>5}: {counts[key]}', fh)

    t0 = time.time()
    train_rows = [r for r in rows if split[r['path']] == 'train']
    calib_rows = [r for r in rows if split[r['path']] == 'calib']
    images = {r['path']: load_rgb(r['path']) for r in train_rows + calib_rows}
    log(f'decoded {len(images)} images in {time.time() - t0:.1f}s', fh)

    by_class_source = {0: {}, 1: {}}
    for r in train_rows:
        h, w = images[r['path']].shape[:2]
        if min(h, w) < PRE_CROP:
            log(f'skipping {r["path"]} for training: {w}x{h} is under {PRE_CROP} px', fh)
            continue
        by_class_source[r['label']].setdefault(r['source'], []).append(r['path'])
    src_weights = {c: {s: math.sqrt(len(v)) for s, v in d.items()} for c, d in by_class_source.items()}

    rng = random.Random(SEED)

    def draw(c):
        srcs = list(by_class_source[c].keys())
        s = rng.choices(srcs, weights=[src_weights[c][k] for k in srcs])[0]
        return images[rng.choice(by_class_source[c][s])]

    net = Net()
    nparams = sum(p.numel() for p in net.parameters())
    log(f'network: {nparams} parameters; steps {STEPS}, batch {BATCH}, threads {THREADS}', fh)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=STEPS, pct_start=0.1)

    def calib_logits():
        net.eval()
        out = []
        with torch.no_grad():
            for r in calib_rows:
                x = inference_crops(images[r['path']])
                out.append(float(net(x).mean()) if x is not None else 0.0)
        net.train()
        return out

    t0 = time.time()
    net.train()
    running = 0.0
    for step in range(1, STEPS + 1):
        xs, ys = [], []
        for i in range(BATCH):
            c = i % 2
            xs.append(augment(draw(c), rng))
            ys.append(c)
        x = torch.from_numpy(np.stack(xs).astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()
        y = torch.tensor(ys, dtype=torch.float32)
        loss = F.binary_cross_entropy_with_logits(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running = 0.98 * running + 0.02 * float(loss) if step > 1 else float(loss)
        if step % 100 == 0:
            log(f'step {step}/{STEPS} loss {running:.4f} ({(time.time() - t0) / step * 1000:.0f} ms/step)', fh)
        if step % 1200 == 0 or step == STEPS:
            z = calib_logits()
            log(f'  calib AUC {auc([r["label"] for r in calib_rows], z):.4f}', fh)
    log(f'trained in {time.time() - t0:.0f}s', fh)

    net.eval()
    z = np.array(calib_logits())
    y = np.array([r['label'] for r in calib_rows])
    a, b = fit_platt(z, y)
    p = 1 / (1 + np.exp(-(a * z + b)))
    real_p = np.sort(p[y == 0])
    # Smallest threshold whose false-positive rate on calib reals is <= TARGET_FPR (strictly-greater rule).
    k = int(math.floor(TARGET_FPR * len(real_p)))
    synth_threshold = float(real_p[len(real_p) - 1 - k]) if len(real_p) > k else 1.0
    synth_threshold = min(max(synth_threshold, 0.5), 0.999)
    fake_p = np.sort(p[y == 1])
    # Below camera_threshold at most 5% of calib fakes fall: answer likely-camera only there.
    camera_threshold = float(fake_p[int(math.floor(0.05 * len(fake_p)))]) if len(fake_p) else 0.0
    camera_threshold = min(camera_threshold, synth_threshold)
    log(f'platt a={a:.4f} b={b:.4f}; synthetic if p > {synth_threshold:.4f}, camera if p < {camera_threshold:.4f}; '
        f'calib AUC {auc(y, z):.4f}', fh)

    net.eval()
    onnx_path = os.path.join(MODEL_DIR, 'provmark-detect-v1.onnx')
    dummy = torch.zeros(GRID * GRID, 3, CROP, CROP)
    torch.onnx.export(net, dummy, onnx_path, input_names=['crops'], output_names=['logits'],
                      dynamic_axes={'crops': {0: 'n'}, 'logits': {0: 'n'}}, opset_version=13,
                      do_constant_folding=True)
    with open(onnx_path, 'rb') as fh2:
        digest = hashlib.sha256(fh2.read()).hexdigest()
    sources = sorted({r['source'] for r in train_rows})
    calib = {
        'name': MODEL_NAME,
        'version': MODEL_VERSION,
        'file': 'provmark-detect-v1.onnx',
        'sha256': digest,
        'input': {'name': 'crops', 'crop': CROP, 'grid': GRID, 'bottomDiscard': BOTTOM_DISCARD,
                  'layout': 'NCHW RGB float32 in [0,1]', 'aggregate': 'mean logit'},
        'platt': {'a': a, 'b': b},
        'thresholds': {'synthetic': synth_threshold, 'camera': camera_threshold, 'targetFpr': TARGET_FPR},
        'validatedOn': sources,
        'trainedAt': time.strftime('%Y-%m-%d'),
        'seed': SEED,
        'steps': STEPS,
    }
    with open(os.path.join(MODEL_DIR, 'calibration.json'), 'w') as out:
        json.dump(calib, out, indent=2)
        out.write('\n')
    # Parity file for the TypeScript runner: eval-mode mean logits for a few calib files with PIL decoding,
    # tagged with the model digest so a stale file is never compared. calib_logits() leaves the net in train
    # mode, so switch back to eval first (train-mode BatchNorm/dropout would make the numbers meaningless).
    net.eval()
    with torch.no_grad():
        parity = {r['path']: float(net(inference_crops(images[r['path']])).mean())
                  for r in calib_rows[::max(1, len(calib_rows) // 12)]}
    with open(os.path.join(OUT_DIR, 'parity.json'), 'w') as out:
        json.dump({'sha256': digest, 'logits': parity}, out, indent=1)
    torch.save(net.state_dict(), os.path.join(OUT_DIR, 'model-state.pt'))
    log(f'wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes) and calibration.json', fh)
    fh.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
