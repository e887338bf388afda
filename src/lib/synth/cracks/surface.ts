/**
 * Random surfaces for crack tiles: a procedural texture blended into a tile's synthesised one, so
 * that a share of the tiles show a surface unlike the exemplars (smoother or grainier, finer or
 * coarser, flatter or more contrasted). A model trained on one surface learns cues of that surface;
 * the user's real images are often another (a different package moulding, glaze or magnification),
 * and what stays the same across surfaces is the crack. Domain randomisation, as in sim-to-real
 * transfer: the label never changes.
 *
 * The texture is value noise: random values on coarse grids interpolated smoothly (smoothstep), three
 * octaves halving in wavelength, plus per-pixel grain; cheap (a few grid values and one pass per
 * octave) and seeded. It is scaled to the tile's own spread around the tile's mean, so the blend
 * keeps the tile's brightness.
 */
import type { Rng } from '../../random';

/** What was drawn, for the sample's record. */
export interface SurfaceDraw {
  /** Share of the procedural texture in the blend (0.3–1). */
  surfaceWeight: number;
  /** Wavelength of the coarsest octave, px. */
  surfaceWavelength: number;
  /** Spread of the procedural texture relative to the tile's own (0.5–2). */
  surfaceContrast: number;
  /** Per-pixel grain, grey levels (sd). */
  surfaceGrain: number;
}

const OCTAVES = 3;

/** Blends a random procedural texture into `texture` (grey 0–255, size²) in place. */
export function paintRandomSurface(texture: Float64Array, size: number, rng: Rng): SurfaceDraw {
  const draw: SurfaceDraw = {
    surfaceWeight: 0.3 + 0.7 * rng.next(),
    surfaceWavelength: 4 * Math.pow(16, rng.next()), // 4–64 px, log-uniform
    surfaceContrast: 0.5 * Math.pow(4, rng.next()), // 0.5–2 ×, log-uniform
    surfaceGrain: 12 * rng.next() * rng.next(), // mostly little, sometimes strong
  };
  const n = size * size;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += texture[i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (texture[i] - mean) ** 2;
  const spread = Math.max(4, Math.sqrt(variance / n)); // a flat tile still gets some texture

  const field = new Float64Array(n);
  let amplitude = 1, total = 0;
  for (let o = 0, wavelength = draw.surfaceWavelength; o < OCTAVES; o++, wavelength /= 2, amplitude /= 2) {
    addValueNoise(field, size, Math.max(2, wavelength), amplitude, rng);
    total += amplitude * amplitude;
  }
  // Value noise of unit-variance grid values interpolated has about half their variance.
  const scale = (draw.surfaceContrast * spread) / Math.sqrt(total / 2);
  const w = draw.surfaceWeight;
  for (let i = 0; i < n; i++) {
    const grain = draw.surfaceGrain * (rng.next() + rng.next() + rng.next() - 1.5) * 2; // about normal, sd ≈ grain
    const procedural = mean + scale * field[i] + grain;
    texture[i] = (1 - w) * texture[i] + w * procedural;
  }
  return draw;
}

/** Adds `amplitude` × value noise of this wavelength: zero-mean uniform values (sd 1) on a grid, smoothstep-interpolated. */
function addValueNoise(field: Float64Array, size: number, wavelength: number, amplitude: number, rng: Rng) {
  const cells = Math.ceil(size / wavelength) + 1;
  const grid = new Float64Array((cells + 1) * (cells + 1));
  for (let k = 0; k < grid.length; k++) grid[k] = (rng.next() - 0.5) * Math.sqrt(12);
  const ox = rng.next(), oy = rng.next(); // a random phase, so grid lines do not fall on the same pixels each octave
  const smooth = (t: number) => t * t * (3 - 2 * t);
  for (let y = 0, i = 0; y < size; y++) {
    const fy = y / wavelength + oy, b = Math.floor(fy), ty = smooth(fy - b);
    for (let x = 0; x < size; x++, i++) {
      const fx = x / wavelength + ox, a = Math.floor(fx), tx = smooth(fx - a);
      const o = b * (cells + 1) + a;
      const top = grid[o] + tx * (grid[o + 1] - grid[o]);
      const bottom = grid[o + cells + 1] + tx * (grid[o + cells + 2] - grid[o + cells + 1]);
      field[i] += amplitude * (top + ty * (bottom - top));
    }
  }
}
