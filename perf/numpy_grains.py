"""
The grain pipeline of src/lib/synth/grains as a NumPy/SciPy user would write it, for `npm run bench`
(figure grains512.numpy): the peer that grains512.node's speed is compared with, measured in the
same run. For measuring only; nothing in the product uses Python.

One image, the etched-lines preset's ranges (grains/space.ts), all vectorised (no Python loop over
pixels; loops only over the few Lloyd iterations, pits and scratches):
  random seeds -> Lloyd relaxation (scipy.spatial.Voronoi of the seeds mirrored in the four
  borders, so every cell is closed by the image edge; centroids by the shoelace formula over all
  cells at once) -> Voronoi ridges between grains -> each a uniform Catmull-Rom spline through
  displaced control points, sampled every 0.25 px -> distance of each pixel near a boundary to the
  nearest spline sample (scipy.spatial.cKDTree, only pixels in a dilated band are asked) ->
  grains = connected regions between the thin boundaries (scipy.ndimage.label), boundary pixels
  given to the nearest grain (distance_transform_edt) -> per-grain tone + two octaves of smooth
  noise (a smoothed random lattice, 4 nodes per wavelength, read bilinearly by map_coordinates, as the
  generator interpolates its noise between grid nodes, its wavelength per grain) -> faint
  boundaries, pits, scratches and stains as the preset draws them -> anti-aliased boundary lines
  -> illumination gradient -> white noise -> Gaussian blur -> bytes; label mask from the distance.

Prints one JSON line: {"name": "grains512.numpy", "images_per_s", "median_ms", "images", ...}.
Usage: python3 perf/numpy_grains.py [--size 512] [--images 20] [--warmup 3]
"""
import argparse
import json
import time

import numpy as np
from scipy import ndimage
from scipy.spatial import Voronoi, cKDTree

# The etched-lines preset (grains/space.ts): (lo, hi) per parameter.
PRESET = dict(
    grainDiameter=(30, 100), lloydIterations=(1, 3), splinePoints=(2, 4), boundaryWaviness=(0.03, 0.12),
    meanIntensity=(0.78, 0.92), grainContrast=(0.03, 0.12), textureStrength=(0.01, 0.05),
    textureWavelength=(0.2, 0.667), lineDarkness=(0.55, 0.9), lineWidth=(1, 2.5), maskWidth=(3, 3),
    illumination=(0, 0.2), noiseSigma=(0.01, 0.04), blurSigma=(0.4, 1.2),
    faintBoundaries=(0, 0.3), pitDensity=(0, 2), pitSize=(2, 6), scratches=(0, 2), scratchContrast=(0.1, 0.4),
    stains=(0, 0.15),
)
INTS = {'lloydIterations', 'splinePoints'}
SPACING = 0.5  # px between samples of a drawn line: the nearest is then within 0.06 px of the true distance at the line's edge (0.5 px out)


def sample_params(rng):
    p = {}
    for name, (lo, hi) in PRESET.items():
        if name in INTS:
            p[name] = int(rng.integers(lo, hi + 1))
        elif name == 'grainDiameter':
            p[name] = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        else:
            p[name] = float(rng.uniform(lo, hi))
    return p


def mirrored_voronoi(points, size):
    """Voronoi of the points and their mirror images in the four borders: cells close at the edge."""
    x, y = points[:, 0], points[:, 1]
    mirrors = [points, np.c_[-x, y], np.c_[2 * size - x, y], np.c_[x, -y], np.c_[x, 2 * size - y]]
    return Voronoi(np.concatenate(mirrors))


def cell_centroids(vor, n):
    """Centroids of the first n cells, all at once: vertices sorted by angle, shoelace sums."""
    regions = [vor.regions[r] for r in vor.point_region[:n]]
    counts = np.fromiter((len(r) for r in regions), int, n)
    owner = np.repeat(np.arange(n), counts)
    verts = vor.vertices[np.concatenate(regions)]
    rel = verts - vor.points[owner]
    order = np.lexsort((np.arctan2(rel[:, 1], rel[:, 0]), owner))
    verts = verts[order]
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    nxt = np.arange(len(verts)) + 1
    nxt[np.cumsum(counts) - 1] = starts
    x0, y0 = verts[:, 0], verts[:, 1]
    x1, y1 = verts[nxt, 0], verts[nxt, 1]
    cross = x0 * y1 - x1 * y0
    area = np.add.reduceat(cross, starts)
    cx = np.add.reduceat((x0 + x1) * cross, starts) / (3 * area)
    cy = np.add.reduceat((y0 + y1) * cross, starts) / (3 * area)
    return np.c_[cx, cy]


def splines(a, b, count, waviness, rng):
    """Catmull-Rom splines from a[e] to b[e] through `count` displaced points, each sampled at most
    SPACING px apart (per edge, from its longest span): the samples and the edge of each."""
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])
    normal = np.c_[-d[:, 1], d[:, 0]] / np.maximum(length, 1e-9)[:, None]
    t = np.arange(1, count + 1) / (count + 1)
    offset = waviness * length[:, None] * rng.uniform(-1, 1, (len(a), count))
    inner = a[:, None, :] + t[None, :, None] * d[:, None, :] + offset[:, :, None] * normal[:, None, :]
    ctrl = np.concatenate([a[:, None], inner, b[:, None]], axis=1)  # (E, count + 2, 2)
    ctrl = np.concatenate([2 * ctrl[:, :1] - ctrl[:, 1:2], ctrl, 2 * ctrl[:, -1:] - ctrl[:, -2:-1]], axis=1)
    span = np.hypot(*np.moveaxis(np.diff(ctrl[:, 1:-1], axis=1), -1, 0)).max(axis=1)
    steps = np.maximum(1, np.ceil(span / SPACING)).astype(int)  # per edge
    per_edge = (count + 1) * steps
    edge = np.repeat(np.arange(len(a)), per_edge)
    j = np.arange(per_edge.sum()) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    k, s = np.divmod(j, steps[edge])
    s = (s / steps[edge])[:, None]
    p0, p1, p2, p3 = (ctrl[edge, k + q] for q in range(4))
    pts = 0.5 * (2 * p1 + (p2 - p0) * s + (2 * p0 - 5 * p1 + 4 * p2 - p3) * s ** 2 + (3 * p1 - p0 - 3 * p2 + p3) * s ** 3)
    return np.concatenate([pts, b]), np.concatenate([edge, np.arange(len(a))])


def distance_near(points, size, reach):
    """Distance from pixel centres to the nearest of `points` within reach (inf beyond), and which."""
    ij = np.floor(points).astype(int)
    ok = (ij >= 0).all(1) & (ij < size).all(1)
    hit = np.zeros((size, size), bool)
    hit[ij[ok, 1], ij[ok, 0]] = True
    # A pixel whose centre is within reach of a point is at most reach + 0.71 px from the point's pixel.
    r = int(np.ceil(reach + 0.71))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    band = ndimage.binary_dilation(hit, structure=xx * xx + yy * yy <= (reach + 0.71) ** 2)
    py, px = np.nonzero(band)
    dist, which = cKDTree(points).query(np.c_[px + 0.5, py + 0.5], distance_upper_bound=reach)
    out = np.full((size, size), np.inf)
    nearest = np.zeros((size, size), int)
    out[py, px] = dist
    found = np.isfinite(dist)
    nearest[py[found], px[found]] = which[found]
    return out, nearest


def smooth_lattice(rng, n=256):
    """Smooth random field in about -1..1 (sd 0.5), 4 nodes per wavelength, wrapping around."""
    lattice = ndimage.gaussian_filter(rng.standard_normal((n, n)), 1.5, mode='wrap')
    return lattice * (0.5 / lattice.std())


def value_noise(u, v, lattice):
    """The lattice at (u, v) in wavelengths, read bilinearly (wraps around)."""
    return ndimage.map_coordinates(lattice, [4 * v, 4 * u], order=1, mode='grid-wrap', prefilter=False)


def grain_image(size, rng):
    p = sample_params(rng)
    n = max(2, round(size * size / (np.pi / 4 * p['grainDiameter'] ** 2)))
    points = rng.uniform(0, size, (n, 2))
    for _ in range(p['lloydIterations']):
        points = cell_centroids(mirrored_voronoi(points, size), n)
    vor = mirrored_voronoi(points, size)
    rp = vor.ridge_points
    interior = (rp < n).all(1)
    ridges = np.asarray(vor.ridge_vertices)[interior]
    ridges = ridges[(ridges >= 0).all(1)]
    a, b = vor.vertices[ridges[:, 0]], vor.vertices[ridges[:, 1]]
    samples, edge_of = splines(a, b, p['splinePoints'], p['boundaryWaviness'], rng)

    reach = max(p['lineWidth'] / 2 + 0.5, p['maskWidth'] / 2)
    dist, nearest = distance_near(samples, size, reach)
    edge = edge_of[nearest]

    # Grains: regions between thin boundaries; boundary pixels join their nearest grain.
    ids, count = ndimage.label(dist >= 0.75)
    idx = ndimage.distance_transform_edt(ids == 0, return_distances=False, return_indices=True)
    ids = ids[idx[0], idx[1]] - 1

    tone = np.clip(p['meanIntensity'] + p['grainContrast'] * (rng.random(count) - 0.5), 0, 1)
    wavelength = np.clip(p['textureWavelength'] * (0.75 + 0.5 * rng.random(count)), 0.2, 0.667) * p['grainDiameter']
    offset = rng.random((2, count)) * 1000
    y, x = np.mgrid[0:size, 0:size].astype(float)
    u = x / wavelength[ids] + offset[0][ids]
    v = y / wavelength[ids] + offset[1][ids]
    lattice = smooth_lattice(rng)
    value = tone[ids] + p['textureStrength'] * (0.67 * value_noise(u, v, lattice) + 0.33 * value_noise(2 * u, 2 * v, lattice))

    if p['stains'] > 0:  # slow multiplicative noise a few grains across, on a coarse grid, interpolated
        wl = p['grainDiameter'] * (2 + 2 * rng.random())
        step = max(2, wl / 4)
        cols = int(np.ceil(size / step)) + 2
        gy, gx = np.mgrid[0:cols, 0:cols] * step / wl + rng.random(2)[:, None, None] * 1000
        grid = p['stains'] * value_noise(gx.ravel(), gy.ravel(), lattice).reshape(cols, cols)
        i, f = np.divmod(np.arange(size) / step, 1)  # bilinear, one axis at a time
        i = i.astype(int)
        along_x = grid[:, i] * (1 - f) + grid[:, i + 1] * f
        value *= 1 + along_x[i] * (1 - f)[:, None] + along_x[i + 1] * f[:, None]

    pits = int(np.floor(p['pitDensity'] * size * size / 10_000 + rng.random()))
    for cx, cy, size_draw, depth in zip(*rng.random((4, pits))):
        radius = p['pitSize'] * (0.5 + size_draw) / 2
        x0, x1 = max(0, int(cx * size - radius - 1)), min(size, int(cx * size + radius + 2))
        y0, y1 = max(0, int(cy * size - radius - 1)), min(size, int(cy * size + radius + 2))
        d = np.hypot(x[y0:y1, x0:x1] + 0.5 - cx * size, y[y0:y1, x0:x1] + 0.5 - cy * size)
        value[y0:y1, x0:x1] *= 1 - (0.4 + 0.5 * depth) * np.clip(radius + 0.5 - d, 0, 1)

    scratches = int(np.floor(p['scratches'] + rng.random()))
    if scratches:
        c, angle, length, bow = rng.random((2, scratches)) * size, rng.random(scratches) * np.pi, \
            size * (0.5 + rng.random(scratches)), (rng.random(scratches) - 0.5) * 0.1
        t = np.linspace(-0.5, 0.5, int(1.5 * size / SPACING))  # straight-ish and long: samples along the bow
        ux, uy = np.cos(angle)[:, None], np.sin(angle)[:, None]
        side = bow[:, None] * length[:, None] * (1 - 4 * t * t)
        line = np.stack([c[0][:, None] + t * length[:, None] * ux - side * uy,
                         c[1][:, None] + t * length[:, None] * uy + side * ux], -1).reshape(-1, 2)
        width = 0.5 + 1.5 * rng.random(scratches)
        contrast = p['scratchContrast'] * (0.5 + 0.5 * rng.random(scratches)) * np.where(rng.random(scratches) < 1 / 3, -1, 1)
        sd, which = distance_near(line, size, width.max() / 2 + 0.5)
        s = which // len(t)
        cov = np.clip(width[s] / 2 + 0.5 - sd, 0, 1) * contrast[s]
        value = np.where(cov > 0, value * (1 - cov), value - cov * (1 - value))

    strength = np.where(rng.random(len(a)) < p['faintBoundaries'], 0.3 * rng.random(len(a)), 1.0)
    coverage = np.clip(p['lineWidth'] / 2 + 0.5 - dist, 0, 1) * min(1, p['lineWidth'])
    value *= 1 - p['lineDarkness'] * strength[edge] * coverage
    mask = np.where(dist <= p['maskWidth'] / 2, 255, 0).astype(np.uint8)

    angle = rng.random() * 2 * np.pi
    value *= 1 + p['illumination'] / size * (np.cos(angle) * (x - size / 2) + np.sin(angle) * (y - size / 2))
    value += p['noiseSigma'] * rng.standard_normal((size, size))
    value = ndimage.gaussian_filter(value, p['blurSigma'], mode='nearest')
    image = np.clip(np.rint(value * 255), 0, 255).astype(np.uint8)
    return image, mask, ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--size', type=int, default=512)
    ap.add_argument('--images', type=int, default=20)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--seed', type=int, default=1)
    args = ap.parse_args()
    for i in range(args.warmup):
        grain_image(args.size, np.random.default_rng([args.seed, 10_000 + i]))
    ms = []
    for i in range(args.images):
        rng = np.random.default_rng([args.seed, i])
        t = time.perf_counter()
        grain_image(args.size, rng)
        ms.append((time.perf_counter() - t) * 1000)
    m = float(np.median(ms))
    print(json.dumps({'name': f'grains{args.size}.numpy', 'images_per_s': round(1000 / m, 2), 'median_ms': round(m, 2),
                      'images': args.images, 'preset': 'etched-lines', 'threads': 1,
                      'numpy': np.__version__, 'scipy': __import__('scipy').__version__}))


if __name__ == '__main__':
    main()
