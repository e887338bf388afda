#!/usr/bin/python3
"""How far synthetic crack tiles carry to real ones as training grows: the PyTorch mirror of our
ResNet classifier (../shared/bench/torch_same.py) trained on our generator's tiles with our recipe
(per-image standardisation, the Train defaults' augmentation redone on tensors, AdamW with weight
decay 0.01, one-cycle), scored on real tiles. For measuring only, as torch_gpu.py: PyTorch is no
dependency of the product, and a GPU makes the larger runs take seconds.

  npm run generate -- --kind cracks --count 32000 --size 128 --seed 1 --out /tmp/syn
  npx tsx perf/tilesToBin.ts /tmp/syn /tmp/syn/tiles
  npx tsx perf/tilesToBin.ts ../shared/realdata/cracks/ceramic-tile-tiles /tmp/real
  crack_study.py --mirror ../shared/bench --syn /tmp/syn/tiles --real /tmp/real --runs 1200:0.25:9:1,32000:1:15:1
  crack_study.py ... --input 64 --runs 5400:0.25:32:1     (the tiles at 64², a quarter of the pixels)

Each run is TILES:WIDTH:EPOCHS:SEED: that many tiles drawn from the synthetic pool by the seed, a
fifth of them kept for validation. Prints a JSON line per run: the synthetic validation error, and
on the real tiles the error at p > 0.5, ROC AUC and the share called crack, after each epoch.
Differences from the app, small against the effects measured: no mottling or JPEG blocks in the
augmentation, PyTorch's initialisation and batch norm, one 90° turn per batch.
"""
import argparse, json, math, sys, time
import numpy as np
import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument('--mirror', required=True, help='folder of torch_same.py')
ap.add_argument('--syn', required=True, help='synthetic tiles, as perf/tilesToBin.ts writes them (without .bin)')
ap.add_argument('--real', required=True, help='real tiles, likewise')
ap.add_argument('--runs', required=True)
ap.add_argument('--batch', type=int, default=64)
ap.add_argument('--input', type=int, default=0, help='network input side: tiles (synthetic and real) resized to it bilinearly, as the app does; 0 keeps their side')
args = ap.parse_args()
sys.path.insert(0, args.mirror)
from torch_same import Classifier  # noqa: E402

dev = 'cuda' if torch.cuda.is_available() else 'cpu'


def load(prefix):
    y = np.array(json.load(open(prefix + '.json')), dtype=np.int64)
    x = np.fromfile(prefix + '.bin', dtype=np.uint8)
    side = math.isqrt(len(x) // len(y))
    x = torch.from_numpy(x.reshape(len(y), 1, side, side))
    if args.input and args.input != side:  # half-pixel bilinear, as the app's resize (at 2:1 the 2×2 mean)
        x = torch.cat([F.interpolate(x[i:i + 1024].float(), size=(args.input, args.input), mode='bilinear', align_corners=False).round().to(torch.uint8)
                       for i in range(0, len(x), 1024)])
    return x, torch.from_numpy(y)


def standardise(x):
    return (x - x.mean((1, 2, 3), keepdim=True)) / x.std((1, 2, 3), keepdim=True).clamp_min(1e-3)


def augment(x, g):
    """Grey values 0-255, (B, 1, H, W): DEFAULT_AUGMENT's flips, 90° turns, ±10° rotation, zoom up to
    1.2, stretch ±10 %, jitter 5 %, illumination ±25 %, gamma 1.5, contrast 0.3, brightness 0.15, blur
    σ up to 1.2 on half the batches, noise up to 5 %."""
    b, _, h, w = x.shape
    r = lambda *s: torch.rand(*s, device=x.device, generator=g)
    pm = lambda *s: r(*s) * 2 - 1
    x = torch.where(r(b, 1, 1, 1) < 0.5, x.flip(3), x)
    x = torch.rot90(x, int(r(1).item() * 4), (2, 3))
    angle, zoom, stretch = pm(b) * math.radians(10), 1 / (1 + r(b) * 0.2), 1 + pm(b) * 0.1
    cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
    theta = torch.stack([torch.stack([cos * stretch, -sin, pm(b) * 0.1], 1), torch.stack([sin, cos / stretch, pm(b) * 0.1], 1)], 1)
    x = F.grid_sample(x, F.affine_grid(theta, x.shape, align_corners=False), padding_mode='border', align_corners=False)
    u = torch.linspace(-1, 1, w, device=x.device).view(1, 1, 1, w)
    v = torch.linspace(-1, 1, h, device=x.device).view(1, 1, h, 1)
    p, q, bowl = pm(b, 1, 1, 1), pm(b, 1, 1, 1), pm(b, 1, 1, 1)
    x = x * (1 + r(b, 1, 1, 1) * 0.125 * (p * u + q * v + bowl * (u * u + v * v - 0.66)))
    x = 255 * (x.clamp(0, 255) / 255) ** torch.exp(pm(b, 1, 1, 1) * math.log(1.5))
    x = ((x - 127.5) * (1 + pm(b, 1, 1, 1) * 0.3) + 127.5 + pm(b, 1, 1, 1) * 0.15 * 255).clamp(0, 255)
    sigma = r(1).item() * 1.2
    if r(1).item() < 0.5 and sigma > 0.2:
        reach = math.ceil(3 * sigma)
        t = torch.arange(-reach, reach + 1, device=x.device, dtype=x.dtype)
        kernel = torch.exp(-t * t / (2 * sigma * sigma))
        kernel = kernel / kernel.sum()
        x = F.conv2d(F.pad(x, (reach, reach, 0, 0), mode='replicate'), kernel.view(1, 1, 1, -1))
        x = F.conv2d(F.pad(x, (0, 0, reach, reach), mode='replicate'), kernel.view(1, 1, -1, 1))
    return (x + torch.randn(x.shape, device=x.device, generator=g) * r(b, 1, 1, 1) * 0.05 * 255).clamp(0, 255)


def roc_auc(scores, truth):
    """Mann–Whitney: the chance that a random crack scores above a random non-crack (ties count half)."""
    pos, neg = scores[truth == 1], scores[truth == 0]
    return float(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg)))


@torch.no_grad()
def on_real(model, rx, ry):
    model.eval()
    x = standardise(rx.float())
    p = torch.cat([F.softmax(model(x[i:i + 128]), 1)[:, 1] for i in range(0, len(x), 128)]).cpu().numpy()
    t = ry.cpu().numpy()
    return round(float(((p > 0.5) != t).mean()), 3), round(roc_auc(p, t), 3), round(float((p > 0.5).mean()), 3)


def run(sx, sy, rx, ry, tiles, width, epochs, seed):
    torch.manual_seed(seed)
    g = torch.Generator(device=dev)
    g.manual_seed(seed)
    pick = torch.randperm(len(sy))[:tiles]
    x, y = sx[pick].to(dev), sy[pick].to(dev)
    val = tiles // 5
    xv, yv, xt, yt = x[:val], y[:val], x[val:], y[val:]
    model = Classifier(width).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=epochs * math.ceil(len(yt) / args.batch), pct_start=0.25)
    start, epochs_seen = time.time(), []
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(yt), device=dev, generator=g)
        for i in range(0, len(yt), args.batch):
            batch = order[i:i + args.batch]
            loss = F.cross_entropy(model(standardise(augment(xt[batch].float(), g))), yt[batch])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            wrong = sum(int((model(standardise(xv[i:i + 256].float())).argmax(1) != yv[i:i + 256]).sum()) for i in range(0, len(yv), 256))
        epochs_seen.append({'synthetic_val_error': round(wrong / len(yv), 3), 'real': dict(zip(('error', 'auc', 'called_crack'), on_real(model, rx, ry)))})
    return {'tiles': tiles, 'width': width, 'epochs': epochs, 'seed': seed, 'input': xt.shape[-1], 'images_seen': epochs * len(yt), 'seconds': round(time.time() - start, 1),
            **epochs_seen[-1], 'by_epoch': epochs_seen, 'device': dev}


def main():
    sx, sy = load(args.syn)
    rx, ry = load(args.real)
    rx, ry = rx.to(dev), ry.to(dev)
    for spec in args.runs.split(','):
        tiles, width, epochs, seed = spec.split(':')
        if int(tiles) > len(sy):
            sys.exit(f'{spec} asks for {tiles} tiles; the pool holds {len(sy)}.')
        print(json.dumps(run(sx, sy, rx, ry, int(tiles), float(width), int(epochs), int(seed))), flush=True)


if __name__ == '__main__':
    main()
