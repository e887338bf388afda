/** Grey-level percentiles and a 32-bin histogram: what "match my images" reports and shows beside a synthetic sample's. */
import type { GreyImage } from './tiling';

export interface GreyLevels {
  /** Grey levels (0–1) below which 1, 5, 50, 95 and 99 % of the pixels lie. */
  percentiles: { p1: number; p5: number; p50: number; p95: number; p99: number; note: string };
  /** Fractions of all pixels in 32 equal bins of the 8-bit grey level (bin k: levels 8k … 8k + 7). */
  histogram: { bins: number[]; note: string };
}

/** Grey-level percentiles and a 32-bin histogram over all pixels of the images (also used to show a synthetic sample beside real ones). */
export function greyLevels(images: GreyImage[]): GreyLevels {
  const counts = new Uint32Array(256);
  let total = 0;
  for (const im of images) {
    const p = im.pixels;
    for (let i = 0; i < p.length; i++) counts[p[i]]++;
    total += p.length;
  }
  const level = (q: number) => {
    const target = q * total;
    let acc = 0;
    for (let v = 0; v < 256; v++) {
      acc += counts[v];
      if (acc >= target) return v / 255;
    }
    return 1;
  };
  const bins = Array.from({ length: 32 }, (_, k) => {
    let s = 0;
    for (let v = 8 * k; v < 8 * k + 8; v++) s += counts[v];
    return s / total;
  });
  return {
    percentiles: {
      p1: level(0.01), p5: level(0.05), p50: level(0.5), p95: level(0.95), p99: level(0.99),
      note: `Grey levels (0–1) below which 1, 5, 50, 95 and 99 % of all ${total} pixels lie.`,
    },
    histogram: { bins, note: 'Fraction of all pixels in each of 32 grey-level bins of 8 levels (0–7, 8–15, …).' },
  };
}
