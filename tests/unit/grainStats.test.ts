import { describe, expect, it } from 'vitest';
import { cleanBoundary, DEFAULT_GRAIN_MEASURE_OPTIONS, grainAspectRatios, gFromGrainsPerMm2, grainStatistics, labelGrains } from '../../src/lib/analysis/grainStats';
import { generateGrainSample } from '../../src/lib/synth/grains/index';
import { recipe } from './helpers';

/** Square grains of side `cell` px separated by 1-px lines. */
function squareGrid(size: number, cell: number): Uint8Array {
  const mask = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (x % (cell + 1) === cell || y % (cell + 1) === cell) mask[y * size + x] = 1;
  return mask;
}

describe('grain statistics', () => {
  it('count square grains exactly and size them within 5 %, leaving border grains out of sizes', () => {
    // 210 px with 20-px cells and 1-px lines: 10 × 10 cells; the last line lies on the right and
    // bottom edges, so only the top row and left column (19 cells) touch the border.
    const mask = squareGrid(210, 20);
    const s = grainStatistics(mask, 210, 210, 1);
    expect(s.grainsInside + s.grainsOnBorder).toBe(100);
    // Thinning gives each grain its share of the 1-px lines: 21 × 21 px a grain on average.
    const g = labelGrains(mask, 210, 210);
    expect(g.area.slice(1).reduce((a, b) => a + b, 0)).toBe(210 * 210);
    expect(s.grainsOnBorder).toBeGreaterThanOrEqual(19);
    expect(s.grainsInside + s.grainsOnBorder).toBe(100);
    expect(Math.abs(s.meanArea - 441) / 441).toBeLessThan(0.05);
    expect(Math.abs(s.meanDiameter - Math.sqrt((4 * 441) / Math.PI)) / Math.sqrt((4 * 441) / Math.PI)).toBeLessThan(0.03);
  });

  it('gives ASTM E112 G within 0.3 of the analytic value for square grains', () => {
    // 0.5 µm per px: a 21-px period is 10.5 µm. N_A = 1 / (10.5e-3 mm)² per mm²; G = 3.3219·log10(N_A) − 2.954.
    const mask = squareGrid(420, 20);
    const s = grainStatistics(mask, 420, 420, 0.5);
    const nA = 1 / (10.5e-3) ** 2;
    expect(Math.abs(s.gPlanimetric - (3.321928 * Math.log10(nA) - 2.954))).toBeLessThan(0.3);
    // Straight test lines across squares meet a boundary every 10.5 µm; circles slightly more often.
    expect(s.meanIntercept).toBeGreaterThan(8.5);
    expect(s.meanIntercept).toBeLessThan(10.6);
    expect(Math.abs(s.gIntercept - (-6.643856 * Math.log10(10.5e-3) - 3.288))).toBeLessThan(0.6);
    expect(s.warning).toBeUndefined();
  });

  it('scores a pass through a triple point 1½ whichever grain holds the junction pixel, and a circle grazing one grain 1', () => {
    const side = 120;
    const line = (mask: Uint8Array, x0: number, y0: number, x1: number, y1: number) => {
      const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0));
      for (let k = 0; k <= steps; k++) mask[Math.round(y0 + ((y1 - y0) * k) / steps) * side + Math.round(x0 + ((x1 - x0) * k) / steps)] = 1;
    };
    // Three grains meeting at (50, 60), on the middle horizontal test line (y = 60): a Y and the
    // same drawn upside down give the junction pixel to different grains, and must score alike.
    const y = new Uint8Array(side * side), upsideDown = new Uint8Array(side * side);
    line(y, 50, 60, 0, 10); line(y, 50, 60, 110, 0); line(y, 50, 60, 50, side - 1);
    line(upsideDown, 50, 60, 0, 110); line(upsideDown, 50, 60, 110, 119); line(upsideDown, 50, 60, 50, 0);
    const a = grainStatistics(y, side, side, 1), b = grainStatistics(upsideDown, side, side, 1);
    expect(a.intersections % 1).toBe(0.5); // the one passage through the junction
    expect(a.intersections).toBe(b.intersections);
    expect(a.intercepts).toBe(b.intercepts);
    // A small square grain touched by the 66-px test circle for one sample only: a tangent, 1.
    const square = new Uint8Array(side * side);
    for (let k = 72; k <= 78; k++) square[72 * side + k] = square[78 * side + k] = square[k * side + 72] = square[k * side + 78] = 1;
    expect(grainStatistics(square, side, side, 1, { minGrainFraction: 0 }).intersections).toBe(1);
  });

  it('finds every grain of a synthetic micrograph from its label mask, and warns under 50', () => {
    const sample = generateGrainSample(recipe({ size: 256 }, { maskWidth: 1.5, grainDiameter: 40 }), 2);
    const g = labelGrains(sample.mask, 256, 256);
    const big = g.area.filter((a, k) => k > 0 && a >= 4).length;
    expect(Math.abs(big - sample.params.grainCount)).toBeLessThanOrEqual(Math.ceil(0.05 * sample.params.grainCount));
    const s = grainStatistics(sample.mask, 256, 256, 1);
    expect(s.warning).toContain('ASTM E112 asks for at least 50');
  });
});

describe('grain aspect ratio from second moments', () => {
  it('is a / b for an a × b rectangle, at any position, and the same rotated by 90°', () => {
    const width = 60, height = 40, labels = new Int32Array(width * height);
    for (let y = 5; y < 9; y++) for (let x = 10; x < 34; x++) labels[y * width + x] = 1; // 24 × 4
    for (let y = 12; y < 36; y++) for (let x = 40; x < 52; x++) labels[y * width + x] = 2; // 12 × 24
    for (let y = 20; y < 30; y++) for (let x = 2; x < 12; x++) labels[y * width + x] = 3; // square
    const r = grainAspectRatios(labels, width, 3);
    expect(r[1]).toBeCloseTo(6, 9);
    expect(r[2]).toBeCloseTo(2, 9);
    expect(r[3]).toBeCloseTo(1, 9);
  });

  it('is a / b for a rotated ellipse, within 5 %', () => {
    const size = 120, labels = new Int32Array(size * size), angle = 0.6, a = 45, b = 15;
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      const dx = x - 60, dy = y - 60, u = dx * Math.cos(angle) + dy * Math.sin(angle), v = -dx * Math.sin(angle) + dy * Math.cos(angle);
      if ((u / a) ** 2 + (v / b) ** 2 <= 1) labels[y * size + x] = 1;
    }
    expect(Math.abs(grainAspectRatios(labels, size, 1)[1] - 3) / 3).toBeLessThan(0.05);
  });

  it('E930 numbers one grain of area A mm² as G of N_A = 1 / A: a 1 mm² grain is G −2.95, each halving of area +1', () => {
    expect(gFromGrainsPerMm2(1)).toBeCloseTo(-2.954, 9);
    expect(gFromGrainsPerMm2(2) - gFromGrainsPerMm2(1)).toBeCloseTo(1, 5);
  });

  it('follows the labelling of a grain map', () => {
    // Two grains split by a vertical line: 10 × 20 each after the line is shared out.
    const width = 21, height = 20, boundary = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) boundary[y * width + 10] = 1;
    const g = labelGrains(boundary, width, height);
    const r = grainAspectRatios(g.labels, width, g.count);
    expect(g.count).toBe(2);
    for (const k of [1, 2]) expect(r[k]).toBeGreaterThan(1.8);
  });
});

/** Seeded uniform numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Voronoi grains from jittered seeds on a `cell`-px lattice; a pixel is boundary where its distance
 * to the nearest seed is within `width` of the distance to the second nearest (a band about
 * `width` px wide). Returns the mask and the seeds: every seed's cell is one grain.
 */
function voronoi(size: number, cell: number, width: number, seed: number): { mask: Uint8Array; seeds: [number, number][] } {
  const rnd = random(seed), n = Math.ceil(size / cell), seeds: [number, number][] = [];
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) seeds.push([(i + 0.15 + 0.7 * rnd()) * cell, (j + 0.15 + 0.7 * rnd()) * cell]);
  const kept = seeds.filter(([x, y]) => x < size && y < size);
  const mask = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    let d1 = Infinity, d2 = Infinity;
    const ci = Math.floor(x / cell), cj = Math.floor(y / cell);
    for (let j = Math.max(0, cj - 2); j <= Math.min(n - 1, cj + 2); j++) for (let i = Math.max(0, ci - 2); i <= Math.min(n - 1, ci + 2); i++) {
      const [sx, sy] = seeds[j * n + i], d = Math.hypot(x - sx, y - sy);
      if (d < d1) { d2 = d1; d1 = d; } else if (d < d2) d2 = d;
    }
    if (d2 - d1 < width) mask[y * size + x] = 1;
  }
  return { mask, seeds: kept };
}

/** Sets discs of radius 1–2 px at random places (false boundary specks). */
function addSpecks(mask: Uint8Array, size: number, count: number, seed: number): void {
  const rnd = random(seed);
  for (let k = 0; k < count; k++) {
    const cx = rnd() * size, cy = rnd() * size, r = 1 + rnd();
    for (let y = Math.floor(cy - r); y <= cy + r; y++) for (let x = Math.floor(cx - r); x <= cx + r; x++) {
      if (x >= 0 && y >= 0 && x < size && y < size && (x - cx) ** 2 + (y - cy) ** 2 <= r * r) mask[y * size + x] = 1;
    }
  }
}

/**
 * Cuts `count` breaks `gap` px long across boundaries: at boundary pixels with a clear direction
 * (principal axis of the boundary within 9 px), clears a strip `gap` px along the boundary and
 * 12 px across it. Returns the number cut.
 */
function cutGaps(mask: Uint8Array, size: number, count: number, gap: number, seed: number): number {
  const rnd = random(seed), src = mask.slice(), on: number[] = [];
  for (let i = 0; i < src.length; i++) if (src[i]) on.push(i);
  let cut = 0;
  for (let tries = 0; cut < count && tries < 50 * count; tries++) {
    const i = on[Math.floor(rnd() * on.length)], cx = i % size, cy = (i / size) | 0;
    if (cx < 20 || cy < 20 || cx >= size - 20 || cy >= size - 20) continue;
    let n = 0, mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
    const pts: [number, number][] = [];
    for (let y = cy - 9; y <= cy + 9; y++) for (let x = cx - 9; x <= cx + 9; x++) if (src[y * size + x] && (x - cx) ** 2 + (y - cy) ** 2 <= 81) { pts.push([x, y]); mx += x; my += y; n++; }
    mx /= n; my /= n;
    for (const [x, y] of pts) { sxx += (x - mx) ** 2; syy += (y - my) ** 2; sxy += (x - mx) * (y - my); }
    const root = Math.sqrt(((sxx - syy) / 2) ** 2 + sxy * sxy);
    if ((sxx + syy) / 2 - root > 0.2 * ((sxx + syy) / 2 + root)) continue; // a junction: no clear direction
    const th = 0.5 * Math.atan2(2 * sxy, sxx - syy), tx = Math.cos(th), ty = Math.sin(th);
    for (let y = cy - 9; y <= cy + 9; y++) for (let x = cx - 9; x <= cx + 9; x++) {
      const t = (x - cx) * tx + (y - cy) * ty, across = -(x - cx) * ty + (y - cy) * tx;
      if (Math.abs(t) <= gap / 2 && Math.abs(across) <= 6) mask[y * size + x] = 0;
    }
    cut++;
  }
  return cut;
}

const total = (s: { grainsInside: number; grainsOnBorder: number }) => s.grainsInside + s.grainsOnBorder;

describe('grain statistics on noisy boundaries', () => {
  const size = 400, cell = 40;

  it('counts every Voronoi grain of a 1–4 px boundary, and a 5 px one the same', () => {
    for (const width of [1, 2, 3, 4, 5]) {
      const { mask, seeds } = voronoi(size, cell, width, 11);
      const s = grainStatistics(mask, size, size, 1);
      expect(total(s), `width ${width}`).toBe(seeds.length);
    }
    const thin = grainStatistics(voronoi(size, cell, 1.5, 3).mask, size, size, 1);
    const thick = grainStatistics(voronoi(size, cell, 5, 3).mask, size, size, 1);
    expect(thick.grainsInside).toBe(thin.grainsInside);
    expect(thick.equivalentGrains).toBe(thin.equivalentGrains);
    // Thinning leaves each grain its share of the boundary: mean areas agree within 3 %.
    expect(Math.abs(thick.meanArea - thin.meanArea) / thin.meanArea).toBeLessThan(0.03);
    expect(Math.abs(thick.meanIntercept - thin.meanIntercept) / thin.meanIntercept).toBeLessThan(0.05);
  });

  it('is not moved by isolated boundary specks inside grains', () => {
    const { mask, seeds } = voronoi(size, cell, 3, 5);
    const clean = grainStatistics(mask, size, size, 1);
    addSpecks(mask, size, 150, 9);
    const s = grainStatistics(mask, size, size, 1);
    expect(total(clean)).toBe(seeds.length);
    expect(Math.abs(total(s) - seeds.length)).toBeLessThanOrEqual(Math.ceil(0.02 * seeds.length));
    expect(Math.abs(s.meanArea - clean.meanArea) / clean.meanArea).toBeLessThan(0.03);
  });

  it('keeps two grains apart across a 3 px gap in their boundary', () => {
    // Two grains split by a vertical boundary 1–5 px wide, broken by a 3 px gap in the middle.
    for (const width of [1, 3, 5]) {
      const w = 120, h = 80, mask = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (Math.abs(x - 60) < width / 2 + 0.01 && (y < 39 || y > 41)) mask[y * w + x] = 1;
      expect(labelGrains(mask, w, h).count).toBe(1); // the raw mask: one grain through the gap
      const s = grainStatistics(mask, w, h, 1);
      expect(s.grainsOnBorder, `width ${width}`).toBe(2);
    }
  });

  it('gets count and mean area within a few % from thick, speckled, broken boundaries', () => {
    for (const seed of [1, 2]) {
      const { mask, seeds } = voronoi(size, cell, 1 + (seed % 4), seed);
      const truth = grainStatistics(mask, size, size, 1);
      expect(total(truth)).toBe(seeds.length);
      const noisy = voronoi(size, cell, 5, seed).mask;
      addSpecks(noisy, size, 120, seed + 100);
      expect(cutGaps(noisy, size, 40, 3, seed + 200)).toBe(40);
      expect(labelGrains(noisy, size, size).count).toBeLessThan(0.85 * seeds.length); // gaps merge grains in the raw mask
      const s = grainStatistics(noisy, size, size, 1);
      expect(Math.abs(s.equivalentGrains - truth.equivalentGrains) / truth.equivalentGrains, `seed ${seed}`).toBeLessThan(0.03);
      expect(Math.abs(s.meanArea - truth.meanArea) / truth.meanArea, `seed ${seed} mean area`).toBeLessThan(0.05);
      expect(Math.abs(s.meanIntercept - truth.meanIntercept) / truth.meanIntercept, `seed ${seed} intercept`).toBeLessThan(0.05);
    }
  });

  it('counts intersections along the test lines as the true tiling changes grain, triple points included', () => {
    // E112's 1½ is for a line through a junction, not near one: within 2–3 px of a junction lie
    // 10–20 % of all crossings, and scoring those 1½ put the intersection count 6–10 % high.
    const errors: number[] = [];
    for (const seed of [1, 2, 3, 4]) {
      const { mask, seeds } = voronoi(size, cell, 3, seed);
      const owner = (i: number) => {
        const x = i % size, y = Math.floor(i / size);
        let best = 0, bestD = Infinity;
        seeds.forEach(([sx, sy], k) => { const d = (x - sx) ** 2 + (y - sy) ** 2; if (d < bestD) { bestD = d; best = k; } });
        return best;
      };
      // The same test lines and circles as grainStatistics, scored on the exact tiling.
      let changes = 0;
      const count = (path: number[], closed: boolean) => {
        const owners = path.map(owner);
        for (let k = 1; k < owners.length; k++) if (owners[k] !== owners[k - 1]) changes++;
        if (closed && owners[0] !== owners[owners.length - 1]) changes++;
      };
      for (let k = 1; k <= 5; k++) {
        const at = Math.round((k * size) / 6);
        count(Array.from({ length: size }, (_, i) => at * size + i), false);
        count(Array.from({ length: size }, (_, j) => j * size + at), false);
      }
      for (const fraction of [0.3, 0.55, 0.8]) {
        const r = (fraction * size) / 2, steps = Math.ceil(4 * Math.PI * r), path: number[] = [];
        for (let q = 0; q < steps; q++) {
          const i = Math.round(size / 2 + r * Math.sin((2 * Math.PI * q) / steps)) * size + Math.round(size / 2 + r * Math.cos((2 * Math.PI * q) / steps));
          if (path[path.length - 1] !== i) path.push(i);
        }
        if (path[0] === path[path.length - 1]) path.pop();
        count(path, true);
      }
      errors.push(grainStatistics(mask, size, size, 1).intersections / changes - 1);
    }
    expect(Math.abs(errors.reduce((a, b) => a + b, 0) / errors.length)).toBeLessThan(0.03);
    for (const e of errors) expect(Math.abs(e)).toBeLessThan(0.06);
  });

  it('absorbs grains below the minimum area, and takes options', () => {
    // A 6 × 6 px closed square inside a big grain is a speck grain: absorbed by default, kept when allowed.
    const w = 100, h = 100, mask = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) mask[y * w + 50] = 1;
    for (let k = 20; k <= 26; k++) { mask[20 * w + k] = mask[26 * w + k] = mask[k * w + 20] = mask[k * w + 26] = 1; }
    expect(total(grainStatistics(mask, w, h, 1))).toBe(2);
    expect(total(grainStatistics(mask, w, h, 1, { minGrainArea: 0, minGrainFraction: 0 }))).toBe(3);
    expect(DEFAULT_GRAIN_MEASURE_OPTIONS.gapLength).toBeGreaterThan(3);
    // A short spur is pruned from the boundary; a long dangling branch stays.
    const spur = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) spur[y * w + 50] = 1;
    for (let x = 51; x < 60; x++) spur[30 * w + x] = 1;
    for (let x = 20; x < 50; x++) spur[70 * w + x] = 1;
    const c = cleanBoundary(spur, w, h);
    expect(c[30 * w + 55]).toBe(0);
    expect(c[70 * w + 30]).toBe(1);
    // Not even the spur's first pixel stays as a bump, which would read as junctions on a straight line.
    expect(c[30 * w + 51]).toBe(0);
    for (let y = 1; y < h - 1; y++) {
      if (Math.abs(y - 70) <= 1) continue; // the long branch's real junction
      const around = [-1, 0, 1].flatMap((dy) => [49, 50, 51].map((x) => c[(y + dy) * w + x])).reduce((a, b) => a + b, 0) - c[y * w + 50];
      expect(around, `row ${y}`).toBeLessThanOrEqual(2);
    }
  });

  it('scores E112 border grains and test-line rules', () => {
    // Four grains split at x = y = 25: each holds one corner (¼ each) → 1 equivalent grain.
    const w = 101, h = 101, mask = new Uint8Array(w * h);
    for (let k = 0; k < 101; k++) mask[25 * w + k] = mask[k * w + 25] = 1;
    const s = grainStatistics(mask, w, h, 1);
    expect(s.grainsInside).toBe(0);
    expect(s.grainsOnBorder).toBe(4);
    expect(s.equivalentGrains).toBe(1);
    // Test lines (at 17, 34, 51, 67, 84) cross one boundary each; of the circles (radii 15, 27.75,
    // 40.4 about the centre) the smallest misses both boundaries, the others cross each twice.
    expect(s.intersections).toBe(10 + 2 * 4);
    // Intercepts: a line crossing once has two half intercepts at its ends = 1.
    expect(s.intercepts).toBe(10 + 2 * 4);
    // A grid of squares with 1-px lines: corner grains ¼, edge grains ½, inner grains 1.
    const g = grainStatistics(squareGrid(210, 20), 210, 210, 1);
    expect(g.equivalentGrains).toBeCloseTo(g.grainsInside + (g.grainsOnBorder - 4) / 2 + 1, 6);
    // A triple junction on the test line x = 17: boundaries from (17, 50) to the left edge, to the
    // top edge and to the right edge. The line passes through it: 1½ intersections there.
    const t = new Uint8Array(w * h);
    const line = (x0: number, y0: number, x1: number, y1: number) => {
      const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0));
      for (let k = 0; k <= n; k++) t[Math.round(y0 + ((y1 - y0) * k) / n) * w + Math.round(x0 + ((x1 - x0) * k) / n)] = 1;
    };
    line(17, 50, 0, 33); line(17, 50, 67, 0); line(17, 50, 100, 50);
    const ts = grainStatistics(t, w, h, 1);
    expect(ts.grainsOnBorder).toBe(3);
    expect(ts.intersections % 1).toBe(0.5);
  });

  it('keeps its test lines inside an image only a few pixels wide', () => {
    // Test line k of 5 sat at round(k · 3 / 6) = 3 in a 3 px wide image: past its last column.
    const s = grainStatistics(new Uint8Array(3 * 64), 3, 64, 1);
    expect(s.intersections).toBe(0);
    expect(s.gIntercept).toBeNaN();
  });

  it('measures an 800 × 600 mask fast', () => {
    const w = 800, h = 600, cellPx = 45, rnd = random(4), n = [Math.ceil(w / cellPx), Math.ceil(h / cellPx)];
    const seeds: [number, number][] = [];
    for (let j = 0; j < n[1]; j++) for (let i = 0; i < n[0]; i++) seeds.push([(i + rnd()) * cellPx, (j + rnd()) * cellPx]);
    const mask = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      let d1 = Infinity, d2 = Infinity;
      const ci = Math.floor(x / cellPx), cj = Math.floor(y / cellPx);
      for (let j = Math.max(0, cj - 2); j <= Math.min(n[1] - 1, cj + 2); j++) for (let i = Math.max(0, ci - 2); i <= Math.min(n[0] - 1, ci + 2); i++) {
        const d = Math.hypot(x - seeds[j * n[0] + i][0], y - seeds[j * n[0] + i][1]);
        if (d < d1) { d2 = d1; d1 = d; } else if (d < d2) d2 = d;
      }
      if (d2 - d1 < 5) mask[y * w + x] = 1;
    }
    addSpecks(mask, Math.min(w, h), 200, 5);
    grainStatistics(mask, w, h, 0.5); // warm up the JIT
    const t0 = performance.now();
    const s = grainStatistics(mask, w, h, 0.5);
    const ms = performance.now() - t0;
    expect(total(s)).toBeGreaterThan(200);
    expect(ms).toBeLessThan(400); // ~100 ms on a 2-core dev machine; generous for CI
  });
});
