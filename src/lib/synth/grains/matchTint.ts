/**
 * "Match my images" for colour (tint-etched) micrographs: the grain tints, in the colour
 * generator's own terms (colour.ts). There every grain's tint is white mixed with a pure hue, scaled
 * to the grey render's brightness, so a pixel's HSV hue is its grain's hue and its HSV saturation
 * its grain's saturation (the brightness scaling changes neither). The generator draws each grain's
 * hue uniformly over `hueSpread` × 360° around `hueCentre`, or around the opposite hue for a share
 * `oppositeHueShare` of grains, and its saturation uniformly over 60–100 % of `tintSaturation`.
 *
 * Measured on pixels lightly smoothed (a 5 × 5 mean, so that noise does not read as colour):
 * - hue centre: the circular mean of the hues near the fullest hue bin;
 * - opposite share: the share of coloured pixels closer to the opposite hue than to the centre
 *   (pixels stand in for grains, which are about the same size on average);
 * - hue spread: the circular standard deviation of hues about their own cluster's centre, × √12
 *   (a uniform range of width W has deviation W / √12);
 * - saturation: the median pixel saturation / 0.8 (the median of 60–100 % of it).
 * Clusters are told apart at 90° from the centre, so hues spread over more than about half the
 * circle read as a narrower spread plus an opposite share. Large images are read on a central crop
 * of about MAX_PIXELS × 4 pixels (the smoothing holds four planes of it). Pure: no DOM, no I/O.
 */
import { centralBox } from '../../data/tiling';
import type { Estimate } from './match';

/** A colour image: interleaved RGB bytes, width × height × 3. */
export interface ColourImage {
  width: number;
  height: number;
  colour: Uint8Array;
}

export interface TintEstimates {
  hueCentre: Estimate;
  oppositeHueShare: Estimate;
  hueSpread: Estimate;
  tintSaturation: Estimate;
}

/** Pixels of less HSV saturation than this carry no reliable hue (noise and rounding alone give about 0.03). */
const HUE_FLOOR = 0.08;
/** Pixels darker than this carry no reliable hue or saturation either. */
const DARK = 0.06;
/** Fewer coloured pixels than this share (or than MIN_HUED pixels) and the images are taken as grey. */
const MIN_HUED_SHARE = 0.05;
const MIN_HUED = 500;
/** At most this many pixels are read per image (a regular stride over larger ones). */
const MAX_PIXELS = 250_000;
/** Median saturation of a uniform draw over 60–100 % of the tint saturation, as a share of it. */
const MEDIAN_SATURATION_SHARE = 0.8;

const wrap = (deg: number) => ((deg % 360) + 360) % 360;
/** Signed difference a − b in degrees, in (−180, 180]. */
const angleDiff = (a: number, b: number) => {
  const d = wrap(a - b);
  return d > 180 ? d - 360 : d;
};

/** Circular mean (degrees) of the hues within `reach` degrees of `around`; NaN when none is. */
function circularMean(hues: Float64Array, count: number, around: number, reach: number): number {
  let sx = 0, sy = 0, n = 0;
  for (let i = 0; i < count; i++) {
    if (Math.abs(angleDiff(hues[i], around)) > reach) continue;
    const r = (hues[i] * Math.PI) / 180;
    sx += Math.cos(r); sy += Math.sin(r); n++;
  }
  return n ? wrap((Math.atan2(sy, sx) * 180) / Math.PI) : NaN;
}

/** The mean of each 5 × 5 neighbourhood (clipped at the borders) of one channel, 0–1. */
function smoothedChannel(im: ColourImage, channel: number): Float64Array {
  const { width: w, height: h, colour } = im;
  const sums = new Float64Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += colour[3 * (y * w + x) + channel];
      sums[(y + 1) * (w + 1) + x + 1] = sums[y * (w + 1) + x + 1] + row;
    }
  }
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - 2), y1 = Math.min(h, y + 3);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - 2), x1 = Math.min(w, x + 3);
      const s = sums[y1 * (w + 1) + x1] - sums[y0 * (w + 1) + x1] - sums[y1 * (w + 1) + x0] + sums[y0 * (w + 1) + x0];
      out[y * w + x] = s / ((y1 - y0) * (x1 - x0) * 255);
    }
  }
  return out;
}

/** The central part of an image of at most `budget` pixels, of its shape (the image itself when small enough). */
function centralCrop(im: ColourImage, budget: number): ColourImage {
  if (im.width * im.height <= budget) return im;
  const { x0, y0, width, height } = centralBox(im.width, im.height, budget);
  const colour = new Uint8Array(3 * width * height);
  for (let y = 0; y < height; y++) colour.set(im.colour.subarray(3 * ((y + y0) * im.width + x0), 3 * ((y + y0) * im.width + x0 + width)), 3 * y * width);
  return { width, height, colour };
}

/** Hue (degrees) of an RGB triple with max − min = chroma > 0. */
function hueOf(r: number, g: number, b: number, max: number, chroma: number): number {
  const sector = max === r ? ((g - b) / chroma + 6) % 6 : max === g ? (b - r) / chroma + 2 : (r - g) / chroma + 4;
  return sector * 60;
}

/**
 * The tints of colour micrographs, or null with the reason when they hold too little colour to say
 * (then the recipe's own tint ranges stand).
 */
export function measureTints(images: ColourImage[]): { tints: TintEstimates | null; note: string } {
  const pixels = images.reduce((a, im) => a + Math.min(im.width * im.height, MAX_PIXELS), 0);
  const hues = new Float64Array(pixels);
  const saturations = new Float64Array(pixels);
  let hued = 0, read = 0;
  for (const whole of images) {
    const im = centralCrop(whole, 4 * MAX_PIXELS);
    const [r, g, b] = [0, 1, 2].map((c) => smoothedChannel(im, c));
    const stride = Math.max(1, Math.ceil(Math.sqrt((im.width * im.height) / MAX_PIXELS)));
    for (let y = 0; y < im.height; y += stride) {
      for (let x = 0; x < im.width; x += stride) {
        const i = y * im.width + x;
        const max = Math.max(r[i], g[i], b[i]);
        if (max < DARK || read >= pixels) continue;
        const chroma = max - Math.min(r[i], g[i], b[i]);
        const saturation = chroma / max;
        saturations[read++] = saturation;
        if (saturation >= HUE_FLOOR) hues[hued++] = hueOf(r[i], g[i], b[i], max, chroma);
      }
    }
  }
  if (hued < MIN_HUED || hued < MIN_HUED_SHARE * read) {
    return { tints: null, note: `Only ${hued} of ${read} pixels read are clearly coloured (saturation ≥ ${HUE_FLOOR}): the tints were not measured.` };
  }

  // The fullest of 36 hue bins (smoothed around the circle), then the circular mean near it.
  const bins = new Float64Array(36);
  for (let i = 0; i < hued; i++) bins[Math.floor(hues[i] / 10) % 36]++;
  let peak = 0, best = -1;
  for (let k = 0; k < 36; k++) {
    const v = bins[(k + 35) % 36] + 2 * bins[k] + bins[(k + 1) % 36];
    if (v > best) { best = v; peak = k; }
  }
  let centre = circularMean(hues, hued, peak * 10 + 5, 45);
  centre = circularMean(hues, hued, centre, 60);
  // Main cluster: within 90° of the centre; the rest is the opposite cluster.
  let opposite = 0;
  for (let i = 0; i < hued; i++) if (Math.abs(angleDiff(hues[i], centre)) > 90) opposite++;
  const oppositeCentre = opposite >= MIN_HUED / 10 ? circularMean(hues, hued, centre + 180, 90) : wrap(centre + 180);
  let squares = 0;
  for (let i = 0; i < hued; i++) {
    const main = Math.abs(angleDiff(hues[i], centre)) <= 90;
    squares += angleDiff(hues[i], main ? centre : oppositeCentre) ** 2;
  }
  const spread = Math.min(1, (Math.sqrt(squares / hued) * Math.sqrt(12)) / 360);
  let share = opposite / hued;
  // The generator knows one centre and its opposite; either may be called the centre. Take the
  // one whose range does not cross 0°/360° (a parameter range cannot wrap around).
  const separation = Math.abs(angleDiff(oppositeCentre, centre));
  let hueNote = `circular mean of ${hued} coloured pixels' hues near the commonest hue`;
  if (centre < 20 || centre > 340) {
    centre = wrap(centre + 180);
    share = 1 - share;
    hueNote += ', taken from the opposite side so that its range does not cross 0°';
  }
  const sorted = saturations.subarray(0, read).sort();
  const medianSaturation = sorted[Math.floor(read / 2)];

  return {
    note: `${hued} of ${read} pixels read (5 × 5 means) are coloured.`,
    tints: {
      hueCentre: { value: centre, note: `Hue (°): the ${hueNote}.` },
      oppositeHueShare: {
        value: share,
        note: `Share of coloured pixels more than 90° from the centre hue (their own centre is ${Math.round(separation)}° from it; the generator puts it at 180°).`,
      },
      hueSpread: { value: spread, note: 'Circular standard deviation of the hues about their own cluster\'s centre × √12 / 360°, the width of a uniform range with that deviation (noise widens it a little).' },
      tintSaturation: {
        value: Math.min(1, medianSaturation / MEDIAN_SATURATION_SHARE),
        note: `Median HSV saturation of all ${read} pixels read (${medianSaturation.toFixed(2)}) / ${MEDIAN_SATURATION_SHARE}, the median of the generator's 60–100 % of the tint saturation.`,
      },
    },
  };
}
