/** Grain micrograph appearance: per-grain tone and texture, boundary lines, light, noise, blur. */
import { createNoise2D } from 'simplex-noise';
import { hashSeed, Rng } from '../../random';
import type { SampledParams } from '../../params/space';
import { firstRowsPass, gaussianBlur, gaussianBlurToBytes } from '../filters';
import { fillPolygons, squaredDistanceToPolylines } from '../raster';
import { buildGeometry, grainCountFor } from './geometry';

/** 1 / sd of the sum of four uniform bytes. */
const IRWIN_HALL_4_BYTES = 1 / Math.sqrt((4 * (256 * 256 - 1)) / 12);

/**
 * Work buffers kept from one sample to the next, as a worker makes many samples of one size: a
 * 512² sample allocated and zeroed about 8 MiB of them. None of them is returned, and every one is
 * written before it is read (see each use). An idle worker keeps them (32 MiB at 1024²).
 */
interface Work {
  size: number;
  /** The float image; paintTexture writes every pixel. */
  value: Float64Array;
  /** Squared distance to the boundaries; squaredDistanceToPolylines resets it. */
  dist2: Float32Array;
  /** Nearest boundary; written wherever dist2 is finite, read only there. */
  nearest: Int32Array;
  /** The same two for scratches, made on first use. */
  scratchDist2?: Float32Array;
  scratchNearest?: Int32Array;
  /** Per row, the first and last x the scratches' rasteriser visited. */
  scratchRows?: Int32Array;
  /** The illumination gradient along x (size values), made on first use. */
  ramp?: Float64Array;
  /** gaussianBlur's scratch image, made on first use. */
  blur?: Float64Array;
}
let kept: Work | null = null;

function workFor(size: number): Work {
  if (kept?.size !== size) {
    const n = size * size;
    kept = { size, value: new Float64Array(n), dist2: new Float32Array(n), nearest: new Int32Array(n) };
  }
  return kept;
}

export interface GrainRender {
  /** Grey image, one byte per pixel. */
  image: Uint8Array;
  /** Label: 255 on grain boundaries, 0 inside grains. */
  mask: Uint8Array;
  /** Which grain owns each pixel (0 … grainCount − 1), for grain statistics. */
  grainIds: Uint16Array;
  grainCount: number;
}

/**
 * Renders one micrograph from fully sampled parameters. Geometry and appearance draw from their
 * own seeded streams, so changing an appearance parameter keeps the same grain structure.
 */
export function renderGrains(size: number, p: SampledParams, seed: number): GrainRender {
  const grainCount = grainCountFor(size, p.grainDiameter);
  const geometry = buildGeometry(size, {
    grainCount,
    lloydIterations: p.lloydIterations,
    splinePoints: p.splinePoints,
    boundaryWaviness: p.boundaryWaviness,
  }, new Rng(hashSeed(seed, 1)));
  const rng = new Rng(hashSeed(seed, 2));
  const grainIds = fillPolygons(geometry.outlines, size);
  // Doubled (grooved) boundaries: two thin lines either side of the boundary, at ±groove px.
  const groove = p.lineWidth / 2 + 1, grooveHalf = Math.max(0.35, p.lineWidth / 4);
  // The anti-aliased line's edge, or the label's (or a doubled line's outer edge).
  const reach = Math.max(p.lineWidth / 2 + 0.5, p.maskWidth / 2, p.doubledLines > 0 ? groove + grooveHalf + 0.5 : 0);
  // Distractors draw from a stream of their own: with all of them off, the bytes are as before they existed.
  const distractorRng = new Rng(hashSeed(seed, 3));
  const faint = p.faintBoundaries > 0 ? boundaryStrengths(geometry.boundaries.length, p.faintBoundaries, distractorRng) : null;
  const doubled = p.doubledLines > 0 ? Uint8Array.from(geometry.boundaries, () => (distractorRng.next() < p.doubledLines ? 1 : 0)) : null;
  const work = workFor(size);
  const nearest = faint || doubled ? work.nearest : undefined;
  const dist2 = squaredDistanceToPolylines(geometry.boundaries, size, reach, work.dist2, nearest);
  const reach2 = reach * reach;

  const tone = grainTones(geometry.neighbours, p, rng);
  const value = work.value;
  // Stains multiply each pixel as the texture makes it (the product a pass of their own would form
  // afterwards; they draw from their own stream).
  const stains = p.stains > 0 ? stainRows(size, p, distractorRng) : null;
  paintTexture(value, grainIds, outlineBoxes(geometry.outlines, size), tone, size, p, rng, stains);
  if (p.pitDensity > 0) paintPits(value, size, p, distractorRng);
  if (p.scratches > 0) paintScratches(value, size, p, distractorRng, work);

  // Parameters are read into locals: a params record is a dictionary object, slow in hot loops.
  const halfLine = p.lineWidth / 2;
  const thinFade = Math.min(1, p.lineWidth); // lines thinner than a pixel darken proportionally less
  const darkness = p.lineDarkness;
  const bright = p.brightEdges; // SEM: boundaries light up (edge effect) instead of etching dark
  const halfMask = p.maskWidth / 2;
  const noiseSigma = p.noiseSigma;
  const angle = rng.next() * 2 * Math.PI;
  const gx = (p.illumination * Math.cos(angle)) / size, gy = (p.illumination * Math.sin(angle)) / size;
  const half = size / 2;
  // The illumination's x term, the same doubles for every row: one load instead of a conversion,
  // a subtraction and a multiplication per pixel.
  const ramp = (work.ramp ??= new Float64Array(size));
  for (let x = 0; x < size; x++) ramp[x] = gx * (x - half);
  const mask = new Uint8Array(size * size);
  if (p.twins > 0) paintTwins(value, mask, grainIds, outlineBoxes(geometry.outlines, size), size, p, distractorRng);
  let state = rng.uint32() | 1; // xorshift state must not be 0
  // Uint8ClampedArray clamps and rounds natively (ties to even, as the spec fixes for every engine).
  const bytes = new Uint8ClampedArray(size * size);
  // The blur's first pass along rows runs on each row as it is made, while the row is in cache.
  const blurScratch = (work.blur ??= new Float64Array(size * size));
  const rowPass = firstRowsPass(size, p.blurSigma);
  for (let y = 0, i = 0; y < size; y++) {
    const light = 1 + gy * (y - half);
    for (let x = 0; x < size; x++, i++) {
      let v = value[i];
      const d2 = dist2[i];
      if (d2 <= reach2) {
        const d = Math.fround(Math.sqrt(d2)); // what a Float32Array of distances would hold
        const coverage = doubled && doubled[nearest![i]]
          ? Math.min(1, Math.max(0, grooveHalf + 0.5 - Math.abs(d - groove))) * Math.min(1, 2 * grooveHalf)
          : Math.min(1, Math.max(0, halfLine + 0.5 - d)) * thinFade;
        const strength = faint ? faint[nearest![i]] : 1;
        v *= 1 - darkness * strength * coverage;
        if (bright > 0) v += bright * strength * coverage * (1 - v);
        if (d <= halfMask) mask[i] = 255;
      }
      // Approximately normal noise: four uniform bytes of one xorshift32 draw (Irwin–Hall), inlined
      // because a call per pixel costs more than the rest of this loop.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const normal = ((state & 255) + ((state >>> 8) & 255) + ((state >>> 16) & 255) + (state >>> 24) - 510) * IRWIN_HALL_4_BYTES;
      value[i] = v * (light + ramp[x]) + noiseSigma * normal;
    }
    if (rowPass) rowPass(value, blurScratch, y);
  }
  const rowsDone = rowPass !== null;
  if (p.defocus > 0) {
    gaussianBlur(value, size, p.blurSigma, blurScratch, rowsDone);
    paintDefocus(value, size, p, distractorRng);
    for (let i = 0; i < value.length; i++) bytes[i] = value[i] * 255;
  } else {
    gaussianBlurToBytes(value, size, p.blurSigma, blurScratch, bytes, rowsDone); // the blur's last pass writes the bytes
  }
  const image = new Uint8Array(bytes.buffer);
  return { image, mask, grainIds, grainCount };
}

/** Per boundary, how strongly it is etched: 1, or for a `share` of them 0–0.3 (faint or missing). */
function boundaryStrengths(count: number, share: number, rng: Rng): Float32Array {
  const strength = new Float32Array(count);
  for (let b = 0; b < count; b++) strength[b] = rng.next() < share ? 0.3 * rng.next() : 1;
  return strength;
}

/**
 * Stains and patchy etching: the image times 1 + strength · (slow noise), the noise a few grains
 * across, evaluated on a coarse grid and interpolated (it is smooth at that scale). Draws the
 * noise now and returns what applies it to row y of `value`.
 */
function stainRows(size: number, p: SampledParams, rng: Rng): Stains {
  const noise = createNoise2D(rng.next);
  const wavelength = p.grainDiameter * (2 + 2 * rng.next());
  const step = Math.max(2, wavelength / 4);
  const cols = Math.ceil(size / step) + 2;
  const grid = new Float32Array(cols * cols);
  const ox = rng.next() * 1000, oy = rng.next() * 1000;
  for (let b = 0; b < cols; b++) {
    for (let a = 0; a < cols; a++) grid[b * cols + a] = p.stains * noise((a * step) / wavelength + ox, (b * step) / wavelength + oy);
  }
  // Every grid row interpolated along x once (a grid row serves `step` image rows, 15–100 px in
  // the default preset); a pixel then blends two of these lines, with the same expression it used
  // to evaluate from four grid nodes, so the same doubles.
  const inv = 1 / step;
  const lines = keptBuffer('stainLines', cols * size);
  for (let b = 0, l = 0; b < cols; b++) {
    for (let x = 0; x < size; x++, l++) {
      const fx = x * inv, a = fx | 0, tx = fx - a, o = b * cols + a;
      lines[l] = grid[o] + tx * (grid[o + 1] - grid[o]);
    }
  }
  return { lines, inv };
}

interface Stains {
  /** Grid row b interpolated along x, at b · size + x. */
  lines: Float64Array;
  inv: number;
}

/** Applies the stains to row y (a plain function, not a closure: its loop keeps them in registers). */
function stainRow(value: Float64Array, size: number, stains: Stains, y: number): void {
  const { lines, inv } = stains;
  const fy = y * inv, b = fy | 0, ty = fy - b;
  const top = b * size, bottom = top + size;
  for (let x = 0, i = y * size; x < size; x++, i++) value[i] *= 1 + lines[top + x] + ty * (lines[bottom + x] - lines[top + x]);
}

/** Pits, inclusions and dust: anti-aliased dark discs, a Poisson-like count from the density. */
function paintPits(value: Float64Array, size: number, p: SampledParams, rng: Rng): void {
  const count = Math.floor((p.pitDensity * size * size) / 10_000 + rng.next());
  for (let k = 0; k < count; k++) {
    const cx = rng.next() * size, cy = rng.next() * size;
    const radius = (p.pitSize * (0.5 + rng.next())) / 2;
    const depth = 0.4 + 0.5 * rng.next();
    const x0 = Math.max(0, Math.floor(cx - radius - 1)), x1 = Math.min(size - 1, Math.ceil(cx + radius + 1));
    const y0 = Math.max(0, Math.floor(cy - radius - 1)), y1 = Math.min(size - 1, Math.ceil(cy + radius + 1));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const coverage = Math.min(1, Math.max(0, radius + 0.5 - Math.hypot(x + 0.5 - cx, y + 0.5 - cy)));
        value[y * size + x] *= 1 - depth * coverage;
      }
    }
  }
}

/**
 * Polishing scratches: long thin lines, straight or gently bowed, across grains and boundaries;
 * two in three darken, one in three lightens. Each has its own width and contrast.
 */
function paintScratches(value: Float64Array, size: number, p: SampledParams, rng: Rng, work: Work): void {
  const count = Math.floor(p.scratches + rng.next());
  if (count === 0) return;
  const lines: Float64Array[] = [];
  const widths: number[] = [], contrasts: number[] = [];
  for (let k = 0; k < count; k++) {
    const cx = rng.next() * size, cy = rng.next() * size, angle = rng.next() * Math.PI;
    const length = size * (0.5 + rng.next());
    const bow = (rng.next() - 0.5) * 0.1 * length;
    const ux = Math.cos(angle), uy = Math.sin(angle);
    const points = 16;
    const line = new Float64Array(2 * points);
    for (let j = 0; j < points; j++) {
      const t = j / (points - 1) - 0.5;
      const side = bow * (1 - 4 * t * t);
      line[2 * j] = cx + t * length * ux - side * uy;
      line[2 * j + 1] = cy + t * length * uy + side * ux;
    }
    lines.push(line);
    widths.push(0.5 + 1.5 * rng.next());
    contrasts.push(p.scratchContrast * (0.5 + 0.5 * rng.next()) * (rng.next() < 1 / 3 ? -1 : 1));
  }
  const nearest = (work.scratchNearest ??= new Int32Array(size * size));
  const reach = Math.max(...widths) / 2 + 0.5, reach2 = reach * reach;
  // Only the pixels the rasteriser visited, row by row: a pass over the whole image to find a few
  // thin lines was about 3 % of a 512² sample in a profile.
  const rows = (work.scratchRows ??= new Int32Array(2 * size));
  const dist2 = squaredDistanceToPolylines(lines, size, reach, (work.scratchDist2 ??= new Float32Array(size * size)), nearest, rows);
  for (let y = 0; y < size; y++) {
    for (let i = y * size + rows[2 * y], end = y * size + rows[2 * y + 1]; i <= end; i++) {
      if (!(dist2[i] <= reach2)) continue;
      const s = nearest[i];
      const coverage = Math.min(1, Math.max(0, widths[s] / 2 + 0.5 - Math.fround(Math.sqrt(dist2[i]))));
      const c = contrasts[s] * coverage;
      value[i] = c > 0 ? value[i] * (1 - c) : value[i] - c * (1 - value[i]);
    }
  }
}

/**
 * Annealing twins: in a share of grains, a straight band with parallel sides across the grain, of a
 * different tone, its edges drawn like thin boundaries. Labelled as boundary or not (`twinsLabelled`:
 * ASTM E112 leaves twin boundaries out of grain counts, so the default is not).
 */
function paintTwins(value: Float64Array, mask: Uint8Array, ids: Uint16Array, boxes: Int32Array, size: number, p: SampledParams, rng: Rng): void {
  const halfLine = Math.max(0.5, p.lineWidth / 3), halfMask = p.maskWidth / 2;
  const labelled = p.twinsLabelled >= 0.5;
  for (let g = 0; g < boxes.length / 4; g++) {
    if (rng.next() >= p.twins) continue;
    const x0 = boxes[4 * g], y0 = boxes[4 * g + 1], x1 = boxes[4 * g + 2], y1 = boxes[4 * g + 3];
    if (x1 < x0 || y1 < y0) continue;
    const cx = x0 + (x1 - x0) * (0.3 + 0.4 * rng.next()), cy = y0 + (y1 - y0) * (0.3 + 0.4 * rng.next());
    const angle = rng.next() * Math.PI, nx = -Math.sin(angle), ny = Math.cos(angle);
    const extent = Math.min(x1 - x0, y1 - y0); // the band is a fraction of this grain, not of the mean
    const half = (extent * (0.1 + 0.2 * rng.next())) / 2;
    if (half < 1.5) continue;
    const shift = (rng.next() < 0.5 ? -1 : 1) * (0.05 + 0.15 * rng.next());
    const edge = p.lineDarkness * 0.6;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const i = y * size + x;
        if (ids[i] !== g) continue;
        const s = Math.abs((x + 0.5 - cx) * nx + (y + 0.5 - cy) * ny);
        if (s < half) value[i] *= 1 + shift;
        const e = Math.abs(s - half);
        const coverage = Math.min(1, Math.max(0, halfLine + 0.5 - e));
        if (coverage > 0) value[i] *= 1 - edge * coverage;
        if (labelled && e <= halfMask) mask[i] = 255;
      }
    }
  }
}

/**
 * Out-of-focus regions: where a slow noise field is high (about a `defocus` share of the image),
 * the image blends into a copy blurred by 2–4 px more. Labels stay: the boundaries are still there.
 */
function paintDefocus(value: Float64Array, size: number, p: SampledParams, rng: Rng): void {
  const blurred = Float64Array.from(value);
  gaussianBlur(blurred, size, 2 + 2 * rng.next());
  const noise = createNoise2D(rng.next);
  const wavelength = size / (1 + rng.next());
  const ox = rng.next() * 1000, oy = rng.next() * 1000;
  const threshold = 1 - 2 * p.defocus; // noise in −1…1: roughly the share above it
  for (let y = 0, i = 0; y < size; y++) {
    for (let x = 0; x < size; x++, i++) {
      const n = noise(x / wavelength + ox, y / wavelength + oy);
      const w = Math.min(1, Math.max(0, (n - threshold) / 0.3 + 0.5));
      if (w > 0) value[i] += w * (blurred[i] - value[i]);
    }
  }
}

/** Base tone per grain, redrawn (a few tries) where it is too close to an already toned neighbour. */
function grainTones(neighbours: number[][], p: SampledParams, rng: Rng): Float32Array {
  const n = neighbours.length;
  const tone = new Float32Array(n).fill(NaN);
  const draw = () => Math.min(1, Math.max(0, p.meanIntensity + p.grainContrast * (rng.next() - 0.5)));
  for (let i = 0; i < n; i++) {
    let t = draw();
    for (let attempt = 0; attempt < 8 && tooClose(t, neighbours[i], tone, p.minNeighbourContrast); attempt++) t = draw();
    tone[i] = t;
  }
  return tone;
}

function tooClose(t: number, neighbours: number[], tone: Float32Array, minContrast: number): boolean {
  if (minContrast <= 0) return false;
  for (const j of neighbours) if (Math.abs(tone[j] - t) < minContrast) return true; // NaN compares false
  return false;
}

/**
 * Base tone plus two octaves of simplex noise whose wavelength differs from grain to grain.
 * The noise is smooth at the scale of a wavelength, so each grain's noise is evaluated on a coarse
 * grid over its bounding box (4 nodes per base wavelength; the blur hides the rest) and
 * interpolated bilinearly in one pass over the image: several times fewer noise calls than per
 * pixel, and no bleeding between grains.
 */
function paintTexture(value: Float64Array, ids: Uint16Array, boxes: Int32Array, tone: Float32Array, size: number,
  p: SampledParams, rng: Rng, stains: Stains | null): void {
  const n = tone.length;
  const amp = p.textureStrength;
  if (amp === 0) {
    for (let y = 0, i = 0; y < size; y++) {
      for (let x = 0; x < size; x++, i++) value[i] = tone[ids[i]];
      if (stains) stainRow(value, size, stains, y);
    }
    return;
  }
  const noise = createNoise2D(rng.next);
  // Per grain: grid origin, 1/step, columns and where its nodes start in `nodes`.
  const originX = new Int32Array(n), originY = new Int32Array(n), cols = new Int32Array(n), start = new Int32Array(n);
  const invStep = new Float32Array(n);
  const steps = new Float64Array(n), rows = new Int32Array(n);
  let total = 0;
  for (let g = 0; g < n; g++) {
    const x0 = boxes[4 * g], y0 = boxes[4 * g + 1], x1 = boxes[4 * g + 2], y1 = boxes[4 * g + 3];
    const wavelength = Math.min(0.667, Math.max(0.2, p.textureWavelength * (0.75 + 0.5 * rng.next()))) * p.grainDiameter;
    steps[g] = Math.max(1, wavelength / 4);
    invStep[g] = 1 / steps[g];
    originX[g] = x0;
    originY[g] = y0;
    cols[g] = x1 < x0 ? 0 : Math.floor((x1 - x0) / steps[g]) + 2;
    rows[g] = y1 < y0 ? 0 : Math.floor((y1 - y0) / steps[g]) + 2;
    start[g] = total;
    total += cols[g] * rows[g];
  }
  const offsetX = new Float64Array(n), offsetY = new Float64Array(n);
  for (let g = 0; g < n; g++) {
    offsetX[g] = rng.next() * 1000;
    offsetY[g] = rng.next() * 1000;
  }
  // Each grid row ("line") of a grain is interpolated along x once: a pixel then blends two lines,
  // where it used to interpolate both from four nodes, and a line serves all the image rows up to
  // the next (a quarter wavelength: 1–20 px in the default preset). Each value is the expression
  // the pixel computed, so the bytes are the same. Lines are made only over the columns that the
  // grain's pixels use, and nodes evaluated only where those lines need them: the grid covers the
  // grain's bounding box, and a third of its nodes lie in corners no pixel reads (and each call of
  // the noise, too large for V8 to inline, boxes its arguments and result).
  const widths = new Int32Array(n), lineStart = new Int32Array(n), firstLine = new Int32Array(n);
  let lineTotal = 0, lineCount = 0;
  for (let g = 0; g < n; g++) {
    widths[g] = cols[g] === 0 ? 0 : boxes[4 * g + 2] - originX[g] + 1;
    lineStart[g] = lineTotal;
    lineTotal += widths[g] * rows[g];
    firstLine[g] = lineCount;
    lineCount += rows[g];
  }
  // Runs of one grain along each image row (grain, first x, end), and per line the columns used.
  let runs = keptRuns;
  const lo = new Int32Array(lineCount).fill(size), hi = new Int32Array(lineCount).fill(-1);
  let runCount = 0, outside = false;
  // Runs are scanned two pixels to a comparison where aligned (runs are a few dozen pixels long):
  // the scan 1.3× faster at 512². Two equal ids read as the same 32 bits in either byte order.
  const pairs = new Uint32Array(ids.buffer, ids.byteOffset, ids.byteOffset % 4 === 0 ? ids.length >> 1 : 0);
  for (let y = 0; y < size; y++) {
    const rowStart = y * size, rowEnd = rowStart + size;
    for (let x = 0, i = rowStart; x < size;) {
      const g = ids[i], pair = g * 0x10001;
      let j = i + 1;
      if ((j & 1) === 1 && j < rowEnd && ids[j] === g) j++;
      if ((j & 1) === 0 && pairs.length > 0) while (j + 1 < rowEnd && pairs[j >> 1] === pair) j += 2;
      while (j < rowEnd && ids[j] === g) j++;
      const end = j - rowStart;
      const fy = (y - originY[g]) * invStep[g], b = fy | 0;
      if (x >= originX[g] && end <= originX[g] + widths[g] && fy >= 0 && b + 1 < rows[g]) {
        for (let l = firstLine[g] + b; l <= firstLine[g] + b + 1; l++) {
          if (x < lo[l]) lo[l] = x;
          if (end - 1 > hi[l]) hi[l] = end - 1;
        }
      } else {
        outside = true; // read from the nodes directly, below
      }
      if (runCount + 3 > runs.length) runs = growRuns();
      runs[runCount++] = g;
      runs[runCount++] = x;
      runs[runCount++] = end;
      i += end - x;
      x = end;
    }
  }
  const nodes = keptNodes(total).fill(NaN, 0, total);
  const evaluate = (g: number, a: number, b: number) => {
    const o = start[g] + b * cols[g] + a;
    if (nodes[o] === nodes[o]) return;
    const k = invStep[g] / 4; // 1 / wavelength
    const v = (originY[g] + b * steps[g]) * k + offsetY[g];
    const u = (originX[g] + a * steps[g]) * k + offsetX[g];
    nodes[o] = amp * (0.67 * noise(u, v) + 0.33 * noise(2 * u, 2 * v));
  };
  if (outside) {
    // A run outside its grain's box (gap filling can give a grain a pixel beyond it) reads nodes
    // as the pixel loop always did, possibly another grain's: then every node is made.
    for (let g = 0; g < n; g++) for (let b = 0; b < rows[g]; b++) for (let a = 0; a < cols[g]; a++) evaluate(g, a, b);
  }
  const lines = keptBuffer('textureLines', lineTotal);
  for (let g = 0; g < n; g++) {
    const inv = invStep[g], w = widths[g], x0 = originX[g];
    for (let b = 0; b < rows[g]; b++) {
      const from = lo[firstLine[g] + b], to = hi[firstLine[g] + b];
      if (to < from) continue;
      const last = ((to - x0) * inv) | 0;
      for (let a = ((from - x0) * inv) | 0; a <= last + 1; a++) evaluate(g, a, b);
      const row = start[g] + b * cols[g];
      for (let x = from, l = lineStart[g] + b * w + from - x0; x <= to; x++, l++) {
        const fx = (x - x0) * inv, a = fx | 0, tx = fx - a;
        const o = row + a;
        lines[l] = nodes[o] + tx * (nodes[o + 1] - nodes[o]);
      }
    }
  }
  // Stains multiply each pixel as it is made (the product stainRow would form afterwards).
  const stainLines = stains ? stains.lines : null;
  for (let y = 0, r = 0; y < size; y++) {
    let sTop = 0, sBottom = 0, sty = 0;
    if (stains) {
      const fy = y * stains.inv, b = fy | 0;
      sty = fy - b;
      sTop = b * size;
      sBottom = sTop + size;
    }
    for (let x = 0, i = y * size; x < size;) {
      const g = runs[r], end = runs[r + 2];
      r += 3;
      const inv = invStep[g], c = cols[g], x0 = originX[g], base = tone[g];
      const fy = (y - originY[g]) * inv, b = fy | 0, ty = fy - b;
      const w = widths[g];
      if (x >= x0 && end <= x0 + w && fy >= 0 && b + 1 < rows[g]) {
        const top = lineStart[g] + b * w - x0, bottom = top + w;
        if (stainLines) {
          for (; x < end; x++, i++) {
            value[i] = (base + lines[top + x] + ty * (lines[bottom + x] - lines[top + x]))
              * (1 + stainLines[sTop + x] + sty * (stainLines[sBottom + x] - stainLines[sTop + x]));
          }
        } else {
          for (; x < end; x++, i++) value[i] = base + lines[top + x] + ty * (lines[bottom + x] - lines[top + x]);
        }
        continue;
      }
      const row = start[g] + b * c;
      for (; x < end; x++, i++) {
        const fx = (x - x0) * inv, a = fx | 0, tx = fx - a;
        const o = row + a;
        const top = nodes[o] + tx * (nodes[o + 1] - nodes[o]);
        const bottom = nodes[o + c] + tx * (nodes[o + c + 1] - nodes[o + c]);
        let v = base + top + ty * (bottom - top);
        if (stainLines) v *= 1 + stainLines[sTop + x] + sty * (stainLines[sBottom + x] - stainLines[sTop + x]);
        value[i] = v;
      }
    }
  }
}

/**
 * The texture's interpolated grid rows and noise nodes and the stains' rows, kept between samples
 * and grown as needed (like Work): each is written before it is read. Made afresh, each was a large
 * zeroed allocation per sample for the collector to free (a 512² sample with a fine texture made
 * half a megabyte of nodes).
 */
const keptLines = { textureLines: new Float64Array(0), stainLines: new Float64Array(0) };
function keptBuffer(which: keyof typeof keptLines, length: number): Float64Array {
  if (keptLines[which].length < length) keptLines[which] = new Float64Array(Math.ceil(length * 1.25));
  return keptLines[which];
}
let keptNodeArray = new Float32Array(0);
function keptNodes(length: number): Float32Array {
  if (keptNodeArray.length < length) keptNodeArray = new Float32Array(Math.ceil(length * 1.25));
  return keptNodeArray;
}

/** The texture's runs, three numbers each, kept like Work and doubled when full. */
const FIRST_RUNS = 3 * 4096;
let keptRuns: Int32Array = new Int32Array(FIRST_RUNS);

/** Lets the kept work buffers go (a worker that has gone idle); the next sample makes them anew. */
export function releaseWorkBuffers(): void {
  kept = null;
  keptLines.textureLines = new Float64Array(0);
  keptLines.stainLines = new Float64Array(0);
  keptNodeArray = new Float32Array(0);
  keptRuns = new Int32Array(FIRST_RUNS);
}
function growRuns(): Int32Array {
  const more = new Int32Array(2 * keptRuns.length);
  more.set(keptRuns);
  return (keptRuns = more);
}

/**
 * Per grain: minX, minY, maxX, maxY of its outline, one pixel wider on each side (for pixels that
 * gap filling gave it), clamped to the image. Reading outlines is far cheaper than scanning pixels.
 */
function outlineBoxes(outlines: readonly Float64Array[], size: number): Int32Array {
  const boxes = new Int32Array(4 * outlines.length);
  outlines.forEach((outline, g) => {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let k = 0; k < outline.length; k += 2) {
      x0 = Math.min(x0, outline[k]);
      x1 = Math.max(x1, outline[k]);
      y0 = Math.min(y0, outline[k + 1]);
      y1 = Math.max(y1, outline[k + 1]);
    }
    boxes[4 * g] = Math.max(0, Math.floor(x0) - 1);
    boxes[4 * g + 1] = Math.max(0, Math.floor(y0) - 1);
    boxes[4 * g + 2] = Math.min(size - 1, Math.ceil(x1) + 1);
    boxes[4 * g + 3] = Math.min(size - 1, Math.ceil(y1) + 1);
  });
  return boxes;
}
