/**
 * Exemplar-based texture synthesis, dictionary style (as in the paper, after Criminisi et al.
 * and Efros–Freeman quilting): patches cut from crack-free real texture form a dictionary; a
 * 32×32 seed tile that is not in the dictionary starts the texture, which then grows patch by
 * patch in raster order, each patch chosen at random among those that fit what is already there
 * almost as well as the best (sum of squared differences over the overlap), and feathered in.
 * Speed: each placement compares only a random subset of the dictionary, over the overlap pixels
 * only, so a 128² texture costs well under a millisecond or two.
 */
import type { Rng } from '../../random';

export interface Exemplar {
  width: number;
  height: number;
  /** Grey, one byte per pixel. */
  pixels: Uint8Array;
}

export interface TextureParams {
  patchSize: number;
  overlap: number;
  /** Accept any patch whose cost is within (1 + randomness) × the best cost. */
  randomness: number;
  /** Dictionary patches compared per placement. */
  candidates: number;
}

export const SEED_TILE = 32;

/** The smallest side an exemplar image may have: its patches and the seed tile must fit inside it. */
export function minExemplarSide(settings: { patchSize?: { hi: number } }): number {
  return Math.max(settings.patchSize?.hi ?? 32, SEED_TILE + 8);
}

export interface PatchDictionary {
  size: number;
  /** Grid step at which patches were cut; a seed tile off this grid is not in the dictionary. */
  stride: number;
  count: number;
  pixels: Uint8Array;
}

/** Cuts every patch on a grid of step patchSize / 4 from every exemplar, plus its mirror image. */
export function buildDictionary(exemplars: readonly Exemplar[], patchSize: number): PatchDictionary {
  const stride = Math.max(2, Math.floor(patchSize / 4));
  const patches: Uint8Array[] = [];
  for (const ex of exemplars) {
    for (let y = 0; y + patchSize <= ex.height; y += stride) {
      for (let x = 0; x + patchSize <= ex.width; x += stride) {
        const patch = new Uint8Array(patchSize * patchSize);
        const mirror = new Uint8Array(patchSize * patchSize);
        for (let v = 0; v < patchSize; v++) {
          for (let u = 0; u < patchSize; u++) {
            const value = ex.pixels[(y + v) * ex.width + x + u];
            patch[v * patchSize + u] = value;
            mirror[v * patchSize + (patchSize - 1 - u)] = value;
          }
        }
        patches.push(patch, mirror);
      }
    }
  }
  if (patches.length === 0) {
    throw new RangeError(`Texture exemplars must be at least ${patchSize}×${patchSize} px to cut ${patchSize} px patches.`);
  }
  const pixels = new Uint8Array(patches.length * patchSize * patchSize);
  patches.forEach((p, k) => pixels.set(p, k * patchSize * patchSize));
  return { size: patchSize, stride, count: patches.length, pixels };
}

/** Where patches go along one axis: every step, the last one flush with the far edge. */
function placements(size: number, patch: number, step: number): number[] {
  const out: number[] = [];
  for (let p = 0; ; p += step) {
    if (p + patch >= size) {
      out.push(size - patch);
      return out;
    }
    out.push(p);
  }
}

export function synthesizeTexture(dictionary: PatchDictionary, exemplars: readonly Exemplar[], size: number,
  params: TextureParams, rng: Rng): Float64Array {
  const P = dictionary.size;
  const overlap = Math.min(params.overlap, P - 1);
  if (size < SEED_TILE || size < P) throw new RangeError(`A texture must be at least ${Math.max(SEED_TILE, P)} px wide.`);
  const out = new Float64Array(size * size);
  const filled = new Uint8Array(size * size);
  placeSeedTile(out, filled, size, dictionary.stride, exemplars, rng);

  // The window's filled pixels in raster order: the texture's value at each, and where they lie in
  // a patch as runs of consecutive pixels (start, length), so a candidate reads its patch in runs.
  const targets = new Float64Array(P * P);
  const runs = new Int32Array(P * P + 1);
  const scratch = { candidates: new Int32Array(params.candidates), costs: new Float64Array(params.candidates) };
  const xs = placements(size, P, P - overlap), ys = placements(size, P, P - overlap);
  for (const py of ys) {
    for (const px of xs) {
      let n = 0, r = 0;
      for (let v = 0; v < P; v++) {
        for (let u = 0; u < P; u++) {
          const i = (py + v) * size + px + u;
          if (filled[i]) {
            if (u === 0 || !filled[i - 1]) {
              runs[r++] = v * P + u;
              runs[r++] = 0;
            }
            runs[r - 1]++;
            targets[n++] = out[i]; // read once here, not once per candidate
          }
        }
      }
      if (n === P * P) continue; // inside the seed tile
      const choice = n === 0 ? rng.int(0, dictionary.count - 1) : bestFit(dictionary, runs, r, targets, params, rng, scratch);
      paste(dictionary, choice, out, filled, size, px, py, overlap);
    }
  }
  return out;
}

/** A 32² crop at an offset off the dictionary grid, so the seed is never a dictionary patch. */
function placeSeedTile(out: Float64Array, filled: Uint8Array, size: number, stride: number,
  exemplars: readonly Exemplar[], rng: Rng) {
  const ex = exemplars[rng.int(0, exemplars.length - 1)];
  if (ex.width < SEED_TILE + stride || ex.height < SEED_TILE) {
    throw new RangeError(`Texture exemplars must be at least ${SEED_TILE + stride}×${SEED_TILE} px.`);
  }
  const cellsX = Math.floor((ex.width - SEED_TILE - 1) / stride);
  const ox = stride * rng.int(0, Math.max(0, cellsX - 1)) + 1 + rng.int(0, stride - 2);
  const oy = rng.int(0, ex.height - SEED_TILE);
  for (let v = 0; v < SEED_TILE; v++) {
    for (let u = 0; u < SEED_TILE; u++) {
      out[v * size + u] = ex.pixels[(oy + v) * ex.width + ox + u];
      filled[v * size + u] = 1;
    }
  }
}

/**
 * `targets` holds the texture's values at the window's filled pixels, `runs` (count entries) their
 * places in a patch as (start, length) pairs. A candidate's sum stops once it reaches
 * (1 + randomness) × the best so far; that bound is the same double for the whole candidate, so it
 * is computed once per candidate (this loop is two thirds of a crack tile's time).
 */
function bestFit(dictionary: PatchDictionary, runs: Int32Array, count: number, targets: Float64Array,
  params: TextureParams, rng: Rng, scratch: { candidates: Int32Array; costs: Float64Array }): number {
  const P = dictionary.size, area = P * P, pixels = dictionary.pixels, spread = 1 + params.randomness;
  const tries = Math.min(params.candidates, dictionary.count);
  const { candidates, costs } = scratch;
  let best = Infinity;
  for (let c = 0; c < tries; c++) {
    const k = rng.int(0, dictionary.count - 1);
    const base = k * area;
    const stop = best * spread;
    let cost = 0;
    run: for (let q = 0, j = 0; q < count; q += 2) {
      const from = base + runs[q], to = from + runs[q + 1];
      for (let o = from; o < to; o++, j++) {
        if (!(cost < stop)) break run;
        const d = pixels[o] - targets[j];
        cost += d * d;
      }
    }
    candidates[c] = k;
    costs[c] = cost;
    if (cost < best) best = cost;
  }
  const limit = best * (1 + params.randomness) + 1e-9;
  let accepted = 0;
  for (let c = 0; c < tries; c++) if (costs[c] <= limit) candidates[accepted++] = candidates[c];
  return candidates[rng.int(0, accepted - 1)];
}

/** Pastes a patch; across the overlap it fades in linearly so seams do not show as edges. */
function paste(dictionary: PatchDictionary, k: number, out: Float64Array, filled: Uint8Array, size: number,
  px: number, py: number, overlap: number) {
  const P = dictionary.size, base = k * P * P;
  // Raster order: a patch past the first column has one on its left, past the first row one above.
  const left = px > 0, top = py > 0;
  for (let v = 0; v < P; v++) {
    for (let u = 0; u < P; u++) {
      const i = (py + v) * size + px + u;
      let alpha = 1;
      if (filled[i]) {
        const ax = left && u < overlap ? (u + 1) / (overlap + 1) : 1;
        const ay = top && v < overlap ? (v + 1) / (overlap + 1) : 1;
        alpha = Math.min(ax, ay);
        if (alpha === 1) alpha = 0.5; // filled but outside the strips (inside the seed tile): share it
      }
      out[i] = alpha * dictionary.pixels[base + v * P + u] + (1 - alpha) * out[i];
      filled[i] = 1;
    }
  }
}
