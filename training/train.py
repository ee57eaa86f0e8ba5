#!/usr/bin/env python3
"""Train candidates for provmark's bundled synthetic-image detector from scratch, export ONNX, and build the shipped
configuration.

Recipes (PROVMARK_RECIPE, see RECIPES): v1 = the 1.x weights (this file's v1 path reproduces commit f722731's
recipe), v2 = the unshipped 2.0.0 attempt, v3 = v1 plus normalise-like augmentation, 6000 steps, own seed (shipped
as 3.0.0 with a 4x4 crop grid), v4 = v3 with another seed. Without PROVMARK_RECIPE, ship() builds the shipped
configuration (SHIP) from its members; see src/detect/models/MODEL_CARD.md for how it was chosen.

Reads ../shared/fixtures/detect (manifest.csv + real/ + fake/), never copies an image into the repository,
and writes:
  training/split.json                     the split (paths only); only when absent, otherwise checked unchanged
  training/out/candidate-<recipe>/<file>.onnx      the network (input: N x 3 x 96 x 96 RGB in [0, 1])
  training/out/candidate-<recipe>/calibration.json  Platt scaling and thresholds from PyTorch scores (3x3 grid)
  training/out/candidate-ship/                      the shipped configuration (ONNX + calibration.json from the
                                                    TypeScript path, training/calibrate.py)
  training/out/train-log-<recipe>.txt, model-state-<recipe>.pt, parity-<recipe>.json: log, weights, parity check
(PROVMARK_MODEL_OUT changes a recipe's candidate directory; `--calibrate-only` redoes calibration from the saved
weights; `--parity-only` rewrites the parity file; PROVMARK_STOP_AT stops early for reproduction checks.)

Design:
- The network sees only high-pass residuals computed inside the graph (a nearest-neighbour upsampling residual
  as in NPR, Tan et al. CVPR 2024, a 3x3 box-filter residual, and for v2 the SRM KV residual), which reduces how
  much scene content it can use; it still can.
- Training crops are native resolution; both classes receive the same augmentation (augment_v1 / augment_v2),
  following Wang et al. CVPR 2020, so that format and JPEG history are not free shortcuts. The bottom 6% of every
  image is discarded (visible StyleGAN2 text, DALL-E 2 colour bar) in training and at inference alike.
- The split is by source and by group (file, or prompt folder for the dcsan/imagen generators, so no prompt is in
  two splits), from a fixed seed. The test split is never read here.
- Calibration (Platt) and thresholds are fitted on the calib split scored under four conditions (original,
  normalised copy, JPEG 75, resize x0.5) with the exact inference crop protocol.
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

from stats import auc, clopper_pearson_upper, decision_rule  # noqa: E402  (training/ is sys.path[0])

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
# Recipes (see augment_* and Net): 'v1' = the shipped 1.x weights (commit f722731), 'v2' = the unshipped 2.0.0
# attempt, 'v3' = v1's network and augmentation plus a normalise-like regime and more steps, with its own seed.
RECIPES = {
    'v1': {'version': '1.0.0', 'file': 'provmark-detect-v1.onnx', 'steps': 4800, 'seed': SEED, 'kv': False},
    'v2': {'version': '2.0.0', 'file': 'provmark-detect-v2.onnx', 'steps': 4500, 'seed': SEED, 'kv': True},
    'v3': {'version': '3.0.0', 'file': 'provmark-detect-v3.onnx', 'steps': 6000, 'seed': SEED + 3, 'kv': False},
    # v4: the v3 recipe with another seed (a second ensemble member).
    'v4': {'version': '3.0.0', 'file': 'provmark-detect-v4.onnx', 'steps': 6000, 'seed': SEED + 4, 'kv': False},
    # v5: v3 with half of the crops normalise-like (the normalised copy is the condition furthest from target).
    'v5': {'version': '4.0.0', 'file': 'provmark-detect-v5.onnx', 'steps': 6000, 'seed': SEED + 5, 'kv': False},
}
RECIPE = os.environ.get('PROVMARK_RECIPE', 'v3')  # unset: build the shipped configuration (see ship())
if RECIPE not in RECIPES:
    raise SystemExit(f'train: unknown PROVMARK_RECIPE {RECIPE!r} (expected one of {sorted(RECIPES)})')
MODEL_VERSION = RECIPES[RECIPE]['version']
MODEL_FILE = RECIPES[RECIPE]['file']
TRAIN_SEED = RECIPES[RECIPE]['seed']  # torch init and augmentation stream; the split always uses SEED
STEPS = int(os.environ.get('PROVMARK_TRAIN_STEPS', str(RECIPES[RECIPE]['steps'])))
# Where the model and calibration.json are written: a candidate directory by default, never the package. A
# candidate is copied into src/detect/models only after it beats the shipped model on the calib split
# (`npm run eval:detect -- --split=calib` for both), never by looking at the test split.
# Leave-generator-out runs (measuring generators the model never saw; nothing is chosen with them):
# PROVMARK_HOLD_OUT=fake/sd1x[,…] drops those sources from the train and calib splits. PROVMARK_RUN_TAG names
# the run's files (default: the held-out sources), so such runs never overwrite a recipe's own files.
HOLD_OUT = tuple(s for s in os.environ.get('PROVMARK_HOLD_OUT', '').split(',') if s)
RUN_TAG = os.environ.get('PROVMARK_RUN_TAG') or (
    'without-' + '+'.join(s.split('/')[-1] for s in HOLD_OUT) if HOLD_OUT else '')
TAG = f'{RECIPE}-{RUN_TAG}' if RUN_TAG else RECIPE
MODEL_OUT = os.path.abspath(os.environ.get('PROVMARK_MODEL_OUT', os.path.join(OUT_DIR, f'candidate-{TAG}')))
# Conditions under which the calib split is scored for Platt scaling and thresholds (see calib_conditions()).
CALIB_CONDITIONS = ('original', 'normalised', 'jpeg75', 'resize50')
BATCH = 32
STOP_AT = int(os.environ.get('PROVMARK_STOP_AT', '0'))  # > 0: stop after this step (reproduction checks only)
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


def jpeg_roundtrip(im, quality, subsampling):
    buf = io.BytesIO()
    im.save(buf, 'JPEG', quality=quality, subsampling=subsampling)
    buf.seek(0)
    return Image.open(buf).convert('RGB')


def resized_patch(rgb, rng, scale, resample):
    """A PRE_CROP patch cut from a random region of size PRE_CROP / scale, or None if the image is too small."""
    h, w = rgb.shape[:2]
    need = int(math.ceil(PRE_CROP / scale))
    if h < need or w < need:
        return None
    y, x = rng.randrange(h - need + 1), rng.randrange(w - need + 1)
    return Image.fromarray(rgb[y:y + need, x:x + need]).resize((PRE_CROP, PRE_CROP), resample)


def random_patch(rgb, rng):
    """A PRE_CROP square at a random position (two draws from rng: y, then x)."""
    h, w = rgb.shape[:2]
    y, x = rng.randrange(h - PRE_CROP + 1), rng.randrange(w - PRE_CROP + 1)
    return Image.fromarray(rgb[y:y + PRE_CROP, x:x + PRE_CROP])


def final_crop(patch, rng):
    """The model's CROP square at a random even offset inside the patch (random JPEG grid phase), flipped half
    the time. Draw order (oy, ox, flip) is part of every recipe's random stream."""
    arr = np.asarray(patch, dtype=np.uint8)
    oy, ox = 2 * rng.randrange((PRE_CROP - CROP) // 2 + 1), 2 * rng.randrange((PRE_CROP - CROP) // 2 + 1)
    arr = arr[oy:oy + CROP, ox:ox + CROP]
    if rng.random() < 0.5:
        arr = arr[:, ::-1]
    return arr


def augment_v2(rgb, rng):
    """v2 augmentation, identical for both classes (the class is never an input here).

    Two regimes, so that neither JPEG history nor native size separates the classes:
    - 'normalise-like' (p = 0.3): downscale by 0.25-1 with Lanczos, then JPEG q85-95 4:2:0, which is what the
      normalised evaluation copy does to a 256-1024 px image (centre square -> 256 px -> JPEG 90);
    - general (p = 0.7): resize x0.4-1.25 with a random kernel (p = 0.5), blur (p = 0.1), JPEG re-encoding at
      q60-100 with 4:4:4 or 4:2:0 chroma (p = 0.85; camera JPEGs are re-encoded like everything else).
    """
    h, w = rgb.shape[:2]
    patch = None
    if rng.random() < 0.3:
        scale = rng.uniform(0.25, 1.0)
        patch = resized_patch(rgb, rng, scale, Image.LANCZOS)
        if patch is None:  # image too small for this factor: use the smallest factor it allows
            scale = max(PRE_CROP / min(h, w), 0.25)
            patch = resized_patch(rgb, rng, min(scale * 1.001, 1.0), Image.LANCZOS)
        if patch is None:
            patch = random_patch(rgb, rng)
        patch = jpeg_roundtrip(patch, rng.randint(85, 95), 2)
    else:
        if rng.random() < 0.5:
            patch = resized_patch(rgb, rng, rng.uniform(0.4, 1.25), rng.choice(RESAMPLE))
        if patch is None:
            patch = random_patch(rgb, rng)
        if rng.random() < 0.1:
            patch = patch.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
        if rng.random() < 0.85:
            patch = jpeg_roundtrip(patch, rng.randint(60, 100), rng.choice([0, 2]))
    return final_crop(patch, rng)


def augment_v1(rgb, rng, normalise_p=0.0):
    """v1 augmentation (commit f722731), identical for both classes: resize x0.5-1.25 with a random kernel
    (p = 0.4), blur (p = 0.15), JPEG q60-100 with 4:4:4 or 4:2:0 chroma (p = 0.6), random even final offset, flip.

    v3 passes normalise_p > 0: with that probability the crop instead goes through what the normalised evaluation
    copy does (Lanczos downscale x0.25-1, JPEG q85-95 4:2:0). The v1 random stream is unchanged when it is 0.
    """
    h, w = rgb.shape[:2]
    patch = None
    if normalise_p > 0 and rng.random() < normalise_p:
        scale = rng.uniform(0.25, 1.0)
        patch = resized_patch(rgb, rng, scale, Image.LANCZOS)
        if patch is None:  # image too small for this factor: use the smallest factor it allows
            patch = resized_patch(rgb, rng, min(max(PRE_CROP / min(h, w), 0.25) * 1.001, 1.0), Image.LANCZOS)
        if patch is None:
            patch = random_patch(rgb, rng)
        patch = jpeg_roundtrip(patch, rng.randint(85, 95), 2)
    else:
        if rng.random() < 0.4:
            scale = rng.uniform(0.5, 1.25)
            need = int(math.ceil(PRE_CROP / scale))
            if h >= need and w >= need:
                y, x = rng.randrange(h - need + 1), rng.randrange(w - need + 1)
                im = Image.fromarray(rgb[y:y + need, x:x + need])
                patch = im.resize((PRE_CROP, PRE_CROP), rng.choice(RESAMPLE))
        if patch is None:
            patch = random_patch(rgb, rng)
        if rng.random() < 0.15:
            patch = patch.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
        if rng.random() < 0.6:
            patch = jpeg_roundtrip(patch, rng.randint(60, 100), rng.choice([0, 2]))
    return final_crop(patch, rng)


def augment(rgb, rng):
    if RECIPE == 'v2':
        return augment_v2(rgb, rng)
    return augment_v1(rgb, rng, normalise_p={'v3': 0.2, 'v4': 0.2, 'v5': 0.5}.get(RECIPE, 0.0))


# ---------------------------------------------------------------- calib conditions (mirror training/eval.ts)
def load_full_rgb(rel):
    with Image.open(os.path.join(FIXTURES, rel)) as im:
        im.seek(0)
        return im.convert('RGB')


def condition_rgb(im, cond):
    """The evaluation conditions of eval.ts applied to a whole image, then the bottom rows dropped."""
    if cond == 'normalised':
        w, h = im.size
        side = min(w, h)
        left, top = (w - side) // 2, (h - side) // 2
        im = im.crop((left, top, left + side, top + side)).resize((256, 256), Image.LANCZOS)
        im = jpeg_roundtrip(im, 90, 2)
    elif cond == 'jpeg75':
        im = jpeg_roundtrip(im, 75, 2)
    elif cond == 'resize50':
        w, h = im.size
        im = im.resize((max(1, round(w / 2)), max(1, round(h / 2))), Image.LANCZOS)
    rgb = np.asarray(im, dtype=np.uint8)
    return np.ascontiguousarray(rgb[:usable_height(rgb.shape[0])])


# ---------------------------------------------------------------- network
class Residuals(nn.Module):
    """Fixed high-pass front end: NPR-style nearest-upsampling residual, a 3x3 box residual, SRM KV residual."""

    def __init__(self, kv=True):
        super().__init__()
        self.use_kv = kv
        self.register_buffer('box', torch.full((3, 1, 3, 3), 1.0 / 9.0))
        # SRM 'KV' 5x5 high-pass kernel (Fridrich & Kodovsky 2012), one copy per colour channel.
        kv = torch.tensor([[-1, 2, -2, 2, -1], [2, -6, 8, -6, 2], [-2, 8, -12, 8, -2],
                           [2, -6, 8, -6, 2], [-1, 2, -2, 2, -1]], dtype=torch.float32) / 12.0
        if self.use_kv:
            self.register_buffer('kv', kv.expand(3, 1, 5, 5).clone())

    def forward(self, x):
        down = x[:, :, 0::2, 0::2]
        up = F.interpolate(down, scale_factor=2.0, mode='nearest')
        npr = x - up
        box = x - F.conv2d(F.pad(x, (1, 1, 1, 1), mode='replicate'), self.box, groups=3)
        if not self.use_kv:
            return torch.cat([npr, box], dim=1) * 8.0
        kv = F.conv2d(F.pad(x, (2, 2, 2, 2), mode='replicate'), self.kv, groups=3)
        return torch.cat([npr, box, kv], dim=1) * 8.0


def block(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Net(nn.Module):
    def __init__(self, kv=True):
        super().__init__()
        self.res = Residuals(kv)
        self.features = nn.Sequential(
            block(9 if kv else 6, 16, 1), block(16, 32, 2), block(32, 32, 1),
            block(32, 64, 2), block(64, 64, 1), block(64, 96, 2), block(96, 96, 1))
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(96, 1)

    def forward(self, x):
        f = self.features(self.res(x))
        f = f.mean(dim=(2, 3))
        return self.fc(self.drop(f)).squeeze(1)


# ---------------------------------------------------------------- metrics and calibration
def main():
    random.seed(TRAIN_SEED)
    np.random.seed(TRAIN_SEED)
    torch.manual_seed(TRAIN_SEED)
    torch.set_num_threads(THREADS)
    if not os.path.exists(os.path.join(FIXTURES, 'manifest.csv')):
        print(f'train: fixtures not found at {FIXTURES}; nothing to do.')
        return 0
    os.makedirs(OUT_DIR, exist_ok=True)
    os.makedirs(MODEL_DIR, exist_ok=True)
    # --calibrate-only: reload training/out/model-state.pt, redo calibration and the ONNX export (no training).
    calibrate_only = '--calibrate-only' in sys.argv
    fh = open(os.path.join(OUT_DIR, f'train-log-{TAG}.txt'),
              'a' if calibrate_only or '--parity-only' in sys.argv else 'w')
    rows = read_manifest()
    split = make_split(rows)
    split_path = os.path.join(REPO, 'training', 'split.json')
    if os.path.exists(split_path):
        # The committed split is the reference (v1 and v2 are compared on it): check, never rewrite it.
        with open(split_path) as fh0:
            stored = {k: v['split'] for k, v in json.load(fh0)['files'].items()}
        changed = [k for k in split if stored.get(k) != split[k]]
        if changed:
            raise SystemExit(f'train: training/split.json disagrees with the split rule for {len(changed)} files')
    else:
        with open(split_path, 'w') as out:
            json.dump({'seed': SEED, 'fractions': SPLIT_FRACTIONS,
                       'note': 'Deterministic split by source and group (file, or dcsan/imagen prompt folder). '
                               'Written by training/train.py when absent; read by training/eval.ts.',
                       'files': {r['path']: {'split': split[r['path']], 'source': r['source'], 'label': r['label']}
                                 for r in sorted(rows, key=lambda r: r['path'])}}, out, indent=1)
    counts = {}
    for r in rows:
        key = (r['source'], split[r['path']])
        counts[key] = counts.get(key, 0) + 1
    for key in sorted(counts):
        log(f'split {key[0]:>16} {key[1]:>5}: {counts[key]}', fh)

    t0 = time.time()
    train_rows = [r for r in rows if split[r['path']] == 'train' and r['source'] not in HOLD_OUT]
    calib_rows = [r for r in rows if split[r['path']] == 'calib' and r['source'] not in HOLD_OUT]
    if HOLD_OUT:
        log(f'held out (not trained or calibrated on): {", ".join(HOLD_OUT)}', fh)
    if '--parity-only' in sys.argv:
        return write_parity_only(calib_rows, fh)
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

    rng = random.Random(TRAIN_SEED)

    def draw(c):
        srcs = list(by_class_source[c].keys())
        s = rng.choices(srcs, weights=[src_weights[c][k] for k in srcs])[0]
        return images[rng.choice(by_class_source[c][s])]

    net = Net(kv=RECIPES[RECIPE]['kv'])
    nparams = sum(p.numel() for p in net.parameters())
    log(f'recipe {RECIPE} (train seed {TRAIN_SEED}); network: {nparams} parameters; steps {STEPS}, batch {BATCH}, threads {THREADS}', fh)
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
    for step in range(1, (0 if calibrate_only else STEPS) + 1):
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
        if step == STOP_AT:  # debugging aid: the schedule stays that of STEPS, training ends here
            break
        if step % 1200 == 0 or step == STEPS:
            z = calib_logits()
            log(f'  calib AUC {auc([r["label"] for r in calib_rows], z):.4f}', fh)
    log(f'trained in {time.time() - t0:.0f}s', fh)

    net.eval()
    state_path = os.path.join(OUT_DIR, f'model-state-{TAG}.pt')
    if calibrate_only:
        net.load_state_dict(torch.load(state_path))
        log(f'calibrate-only: loaded {state_path}', fh)
    else:
        torch.save(net.state_dict(), state_path)
    y_orig = np.array([r['label'] for r in calib_rows])
    z_orig = np.array(calib_logits())
    net.eval()
    # Score the calib split under every evaluation condition (original, normalised copy, JPEG 75, resize x0.5).
    # 92 calib reals cannot pin a 2% tail, and v1's threshold from them gave 6.8% on held-out reals; pooling the
    # four conditions gives 4x as many real scores (not independent: the same photos, transformed) and makes
    # the threshold hold for the transformed inputs the model is meant to be robust to.
    cond_logits = {}
    with torch.no_grad():
        for cond in CALIB_CONDITIONS:
            zs = []
            for r in calib_rows:
                x = inference_crops(images[r['path']] if cond == 'original'
                                    else condition_rgb(load_full_rgb(r['path']), cond))
                zs.append(float(net(x).mean()) if x is not None else float('nan'))
            cond_logits[cond] = np.array(zs)
            log(f'  calib AUC ({cond}): {auc(y_orig[~np.isnan(zs)], np.array(zs)[~np.isnan(zs)]):.4f}', fh)
    z = np.concatenate([cond_logits[c] for c in CALIB_CONDITIONS])
    y = np.concatenate([y_orig for _ in CALIB_CONDITIONS])
    ok = ~np.isnan(z)
    z, y = z[ok], y[ok]
    # Lowest threshold whose one-sided 95% Clopper-Pearson upper bound of the FPR over the pooled calib reals is
    # <= TARGET_FPR (k reals strictly above it). The pooled scores are not independent (four conditions of the
    # same photos), so the bound is optimistic about its own confidence; it is still far stricter than v1's rule
    # (FPR <= 2% on 92 reals, i.e. the second-highest real score), which gave 6.8% on held-out reals.
    a, b, synth_threshold, camera_threshold, k, n_real = decision_rule(z, y, TARGET_FPR)
    log(f'threshold: {k} of {n_real} pooled calib real scores above it '
        f'(upper 95% bound {clopper_pearson_upper(k, n_real):.4f})', fh)
    fpr_stats = {}
    for cond in CALIB_CONDITIONS:
        zc = cond_logits[cond]
        pc = 1 / (1 + np.exp(-(a * zc[(y_orig == 0) & ~np.isnan(zc)] + b)))
        fp = int((pc > synth_threshold).sum())
        fpr_stats[cond] = {'falsePositives': fp, 'reals': int(len(pc)),
                           'upper95': clopper_pearson_upper(fp, int(len(pc)))}
        log(f'  calib {cond}: {fp}/{len(pc)} reals above threshold, one-sided 95% upper bound '
            f'{fpr_stats[cond]["upper95"]:.4f}', fh)
    log(f'platt a={a:.4f} b={b:.4f}; synthetic if p > {synth_threshold:.4f}, camera if p < {camera_threshold:.4f}; '
        f'calib AUC (original) {auc(y_orig, z_orig):.4f}', fh)

    os.makedirs(MODEL_OUT, exist_ok=True)
    onnx_path = os.path.join(MODEL_OUT, MODEL_FILE)
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
        'file': MODEL_FILE,
        'sha256': digest,
        'input': {'name': 'crops', 'crop': CROP, 'grid': GRID, 'bottomDiscard': BOTTOM_DISCARD,
                  'layout': 'NCHW RGB float32 in [0,1]', 'aggregate': 'mean logit'},
        'platt': {'a': a, 'b': b},
        'thresholds': {'synthetic': synth_threshold, 'camera': camera_threshold, 'targetFpr': TARGET_FPR,
                       'rule': 'one-sided 95% Clopper-Pearson upper bound of the FPR <= targetFpr over the '
                               'calib-split reals, pooled over the conditions',
                       'pooledReals': int(n_real), 'pooledRealsAbove': k,
                       'conditions': list(CALIB_CONDITIONS), 'calibFpr': fpr_stats},
        'validatedOn': sources,
        'trainedAt': time.strftime('%Y-%m-%d'),
        'seed': TRAIN_SEED,
        'recipe': RECIPE,
        'steps': STEPS,
    }
    with open(os.path.join(MODEL_OUT, 'calibration.json'), 'w') as out:
        json.dump(calib, out, indent=2)
        out.write('\n')
    # Parity file for the TypeScript runner: eval-mode mean logits for a few calib files with PIL decoding,
    # tagged with the model digest so a stale file is never compared.
    net.eval()
    with torch.no_grad():
        parity = {r['path']: float(net(inference_crops(images[r['path']])).mean())
                  for r in calib_rows[::max(1, len(calib_rows) // 12)]}
    with open(os.path.join(OUT_DIR, f'parity-{TAG}.json'), 'w') as out:
        json.dump({'sha256': digest, 'logits': parity}, out, indent=1)
    log(f'wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes) and calibration.json', fh)
    fh.close()
    return 0


def write_parity_only(calib_rows, fh):
    """--parity-only: the parity file of an already trained recipe (model-state-<recipe>.pt and the ONNX file in
    MODEL_OUT), without retraining or re-exporting: eval-mode mean logits (3x3 grid) with PIL decoding."""
    net = Net(kv=RECIPES[RECIPE]['kv'])
    net.load_state_dict(torch.load(os.path.join(OUT_DIR, f'model-state-{TAG}.pt')))
    net.eval()
    with open(os.path.join(MODEL_OUT, MODEL_FILE), 'rb') as fh2:
        digest = hashlib.sha256(fh2.read()).hexdigest()
    with torch.no_grad():
        parity = {r['path']: float(net(inference_crops(load_rgb(r['path']))).mean())
                  for r in calib_rows[::max(1, len(calib_rows) // 12)]}
    with open(os.path.join(OUT_DIR, f'parity-{TAG}.json'), 'w') as out:
        json.dump({'sha256': digest, 'logits': parity}, out, indent=1)
    log(f'wrote parity-{RECIPE}.json for {digest[:12]}', fh)
    return 0


# ---------------------------------------------------------------- the shipped configuration
# What `npm run train:detect` builds by default (PROVMARK_RECIPE unset): the members below, trained one after the
# other (a member whose ONNX file already exists in training/out/candidate-<recipe>/ is reused unless --retrain),
# combined into one ONNX graph by training/ensemble.py, scored on the calib split through the TypeScript path
# (training/explore.ts) and calibrated by training/calibrate.py. Everything lands in training/out/candidate-ship/;
# copying it into src/detect/models is a separate, manual step taken only when the shipping rule in MODEL_CARD.md
# is met on the calib split.
SHIP = {'members': ('v3',), 'file': 'provmark-detect-v3.onnx', 'version': '3.0.0', 'grid': 4, 'flip': False}


def ship():
    import subprocess
    here = os.path.dirname(os.path.abspath(__file__))
    members = []
    for m in SHIP['members']:
        path = os.path.join(OUT_DIR, f'candidate-{m}', RECIPES[m]['file'])
        if '--retrain' in sys.argv or not os.path.exists(path):
            subprocess.run([sys.executable, os.path.abspath(__file__)], env={**os.environ, 'PROVMARK_RECIPE': m},
                           check=True)
        members.append(path)
    out_dir = os.path.join(OUT_DIR, 'candidate-ship')
    os.makedirs(out_dir, exist_ok=True)
    model = os.path.join(out_dir, SHIP['file'])
    if len(members) == 1:
        import shutil
        shutil.copyfile(members[0], model)
    else:
        subprocess.run([sys.executable, os.path.join(here, 'ensemble.py'), model, *members], check=True)
    grids = f"--grids={SHIP['grid']}"
    subprocess.run(['npx', 'tsx', os.path.join(here, 'explore.ts'), f'ship={model}', grids], cwd=REPO, check=True)
    subprocess.run([sys.executable, os.path.join(here, 'calibrate.py'), os.path.join(OUT_DIR, 'explore-ship.json'),
                    model, f"--grid={SHIP['grid']}", *(['--flip'] if SHIP['flip'] else []),
                    f"--version={SHIP['version']}", '--recipe=' + ' + '.join(f"{m} (seed {RECIPES[m]['seed']}, {RECIPES[m]['steps']} steps)"
                                            for m in SHIP['members']) + ', training/train.py',
                    f"--out={os.path.join(out_dir, 'calibration.json')}"], check=True)
    print(f'train: shipped configuration built in {out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(ship() if 'PROVMARK_RECIPE' not in os.environ else main())
