/**
 * Colour etching, applied after the grey render: every grain gets a tint of its own (tint etchants
 * such as Klemm's or Beraha's grow an interference film whose colour follows the grain's
 * orientation) and boundaries may take a colour of their own. The grey render stays the
 * brightness: each tint is scaled to BT.601 luma 1, so the luma of a colour sample is its grey
 * sample wherever no channel clips, and the same recipe with colour off gives the grey bytes.
 */
import { hashSeed, Rng } from '../../random';
import type { SampledParams, Settings } from '../../params/space';
import { gaussianBlur } from '../filters';

/** BT.601 luma weights, the ones uploads are converted with. */
export const LUMA = [0.299, 0.587, 0.114] as const;

/** Whether sampled parameters ask for a colour image. */
export function isColour(p: SampledParams): boolean {
  return (p.colour ?? 0) >= 1;
}

/** Channels of a grain recipe's images: 3 when its colour parameter is fixed at 1, else 1. */
export function recipeChannels(settings: Settings): 1 | 3 {
  return settings.colour && settings.colour.lo >= 1 ? 3 : 1;
}

/** A fully saturated colour of this hue (degrees), channels 0–1 (the HSV hexagon at S = V = 1). */
function pureHue(hue: number): [number, number, number] {
  const h = (((hue % 360) + 360) % 360) / 60;
  const x = 1 - Math.abs((h % 2) - 1);
  const sector = Math.floor(h);
  switch (sector) {
    case 0: return [1, x, 0];
    case 1: return [x, 1, 0];
    case 2: return [0, 1, x];
    case 3: return [0, x, 1];
    case 4: return [x, 0, 1];
    default: return [1, 0, x];
  }
}

/** A tint: white mixed with `saturation` of the hue, scaled to luma 1 so it keeps the grey's brightness. */
export function tint(hue: number, saturation: number): [number, number, number] {
  const pure = pureHue(hue);
  const c = pure.map((v) => 1 - saturation + saturation * v) as [number, number, number];
  const luma = LUMA[0] * c[0] + LUMA[1] * c[1] + LUMA[2] * c[2];
  return [c[0] / luma, c[1] / luma, c[2] / luma];
}

/**
 * RGB (interleaved, 3 bytes per pixel) from a grey render and its grain-id map. Each grain's hue and
 * saturation come from its own stream (seed, 4, grain id), so they do not depend on the order grains
 * are visited in. Tint planes are blurred like the grey image was, so colour changes as softly as
 * tone does; boundaries (where the grain id changes) blend towards the boundary tint.
 */
export function colourise(grey: Uint8Array, grainIds: Uint16Array, grainCount: number, size: number, p: SampledParams, seed: number): Uint8Array {
  const n = size * size;
  const tints = new Float64Array(grainCount * 3);
  for (let g = 0; g < grainCount; g++) {
    const rng = new Rng(hashSeed(seed, 4, g));
    const opposite = (p.oppositeHueShare ?? 0) > 0 && rng.next() < p.oppositeHueShare ? 180 : 0;
    const hue = p.hueCentre + opposite + (rng.next() - 0.5) * p.hueSpread * 360;
    const saturation = p.tintSaturation * (0.6 + 0.4 * rng.next());
    tints.set(tint(hue, saturation), 3 * g);
  }
  const planes = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  for (let i = 0; i < n; i++) {
    const o = 3 * grainIds[i];
    planes[0][i] = tints[o];
    planes[1][i] = tints[o + 1];
    planes[2][i] = tints[o + 2];
  }
  if (p.boundaryTint > 0) {
    // Pixels whose right or lower neighbour belongs to another grain, on both sides of the edge,
    // blurred to a band about as wide as the drawn line.
    const edge = new Float64Array(n);
    for (let y = 0, i = 0; y < size; y++) {
      for (let x = 0; x < size; x++, i++) {
        if (x + 1 < size && grainIds[i] !== grainIds[i + 1]) edge[i] = edge[i + 1] = 1;
        if (y + 1 < size && grainIds[i] !== grainIds[i + size]) edge[i] = edge[i + size] = 1;
      }
    }
    gaussianBlur(edge, size, Math.max(0.7, p.lineWidth / 2));
    const b = tint(p.boundaryHue, 1);
    for (let i = 0; i < n; i++) {
      const w = p.boundaryTint * Math.min(1, 2 * edge[i]);
      for (let k = 0; k < 3; k++) planes[k][i] += w * (b[k] - planes[k][i]);
    }
  }
  for (const plane of planes) gaussianBlur(plane, size, p.blurSigma);
  // Uint8ClampedArray clamps and rounds natively (ties to even), as the grey render does.
  const rgb = new Uint8ClampedArray(3 * n);
  const [r, g, b] = planes;
  for (let i = 0; i < n; i++) {
    const v = grey[i];
    rgb[3 * i] = v * r[i];
    rgb[3 * i + 1] = v * g[i];
    rgb[3 * i + 2] = v * b[i];
  }
  return new Uint8Array(rgb.buffer);
}

/** Integer BT.601 luma in 8-bit fixed point; `data/png.ts` reads uploads with this one. */
export const luma = (r: number, g: number, b: number) => (77 * r + 150 * g + 29 * b + 128) >> 8;

/** Grey from interleaved RGB, one byte per pixel: what a grey model sees of a colour image. */
export function lumaOf(rgb: Uint8Array): Uint8Array {
  const grey = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < grey.length; i++) grey[i] = luma(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
  return grey;
}

/** Grey as interleaved RGB, the grey in all three channels: what an RGB model sees of a grey image (a colour image without colour). */
export function repeatGrey(grey: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(3 * grey.length);
  for (let i = 0; i < grey.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey[i];
  return rgb;
}

/**
 * Whether interleaved RGB values hold colour: channels apart by more than `tolerance` levels on
 * more than 0.1 % of pixels. A grey picture saved as an RGB JPEG comes back with channels a level
 * or two apart from chroma rounding; kept as colour it would take four times the storage and be
 * called RGB. `tolerance` is in the values' own levels (2 for 8-bit).
 */
export function hasColour(rgb: ArrayLike<number>, tolerance = 2): boolean {
  const pixels = rgb.length / 3, allowed = Math.floor(pixels / 1000);
  let coloured = 0;
  for (let i = 0; i < rgb.length; i += 3) {
    const r = rgb[i], g = rgb[i + 1], b = rgb[i + 2];
    if (Math.max(r, g, b) - Math.min(r, g, b) > tolerance && ++coloured > allowed) return true;
  }
  return false;
}
