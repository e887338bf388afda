import { describe, expect, it } from 'vitest';
import { boxWidths, firstRowsPass, gaussianBlur, gaussianBlurToBytes } from '../../src/lib/synth/filters';
import { distanceToPolylines, fillPolygons, UNFILLED } from '../../src/lib/synth/raster';

describe('polygon fill', () => {
  it('gives every pixel exactly one owner when polygons tile the square', () => {
    // Two halves split by a zig-zag, sharing the exact same vertices.
    const zig = [10, 0, 4, 5.3, 13.7, 9.1, 7.2, 16];
    const left = Float64Array.of(0, 0, ...zig, 0, 16);
    const right = Float64Array.of(16, 0, 16, 16, 7.2, 16, 13.7, 9.1, 4, 5.3, 10, 0);
    const ids = fillPolygons([left, right], 16);
    expect(ids.includes(UNFILLED)).toBe(false);
    expect(ids[0]).toBe(0);
    expect(ids[15]).toBe(1);
    const counts = [0, 0];
    for (const g of ids) counts[g]++;
    // Shoelace areas of the two halves, against pixel counts.
    const area = (p: Float64Array) => {
      let a = 0;
      for (let k = 0; k < p.length; k += 2) a += p[k] * p[(k + 3) % p.length] - p[(k + 2) % p.length] * p[k + 1];
      return Math.abs(a / 2);
    };
    expect(Math.abs(counts[0] - area(left))).toBeLessThan(8);
    expect(Math.abs(counts[1] - area(right))).toBeLessThan(8);
  });
});

describe('distance to polylines', () => {
  it('is the Euclidean distance to the nearest segment within reach, Infinity beyond', () => {
    const d = distanceToPolylines([Float64Array.of(0, 8, 16, 8)], 16, 3);
    expect(d[8 * 16 + 4]).toBeCloseTo(0.5); // pixel centre (4.5, 8.5)
    expect(d[10 * 16 + 4]).toBeCloseTo(2.5);
    expect(d[0]).toBe(Infinity);
  });
});

describe('Gaussian blur', () => {
  it('box widths reproduce the Gaussian variance', () => {
    for (const sigma of [1.5, 1.7, 2.5, 4]) {
      const variance = boxWidths(sigma, 3).reduce((v, w) => v + (w * w - 1) / 12, 0);
      expect(Math.abs(Math.sqrt(variance) - sigma) / sigma).toBeLessThan(0.1);
    }
  });

  it('spreads an impulse with the requested sigma and keeps its mass', () => {
    for (const sigma of [0.6, 1.5, 3]) {
      const size = 64, image = new Float64Array(size * size);
      image[32 * size + 32] = 1;
      gaussianBlur(image, size, sigma);
      let mass = 0, second = 0;
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
        mass += image[y * size + x];
        second += image[y * size + x] * (x - 32) ** 2;
      }
      expect(mass).toBeCloseTo(1, 4);
      expect(Math.abs(Math.sqrt(second / mass) - sigma) / sigma).toBeLessThan(0.1);
    }
  });

  it('gives the same doubles and bytes when its first rows pass is made row by row', () => {
    const size = 37; // odd, so the four-pixel loops leave a remainder
    const noisy = Float64Array.from({ length: size * size }, (_, i) => ((i * 2654435761) % 1000) / 1000);
    for (const sigma of [0.1, 0.5, 0.9, 1.3, 1.6, 2.4, 4]) {
      const whole = Float64Array.from(noisy);
      gaussianBlur(whole, size, sigma);
      const rows = Float64Array.from(noisy), scratch = new Float64Array(size * size);
      const pass = firstRowsPass(size, sigma);
      if (pass) for (let y = 0; y < size; y++) pass(rows, scratch, y);
      gaussianBlur(rows, size, sigma, scratch, pass !== null);
      expect(rows).toEqual(whole);
      const bytesWhole = new Uint8ClampedArray(size * size), bytesRows = new Uint8ClampedArray(size * size);
      gaussianBlurToBytes(Float64Array.from(noisy), size, sigma, null, bytesWhole);
      const again = Float64Array.from(noisy);
      if (pass) for (let y = 0; y < size; y++) pass(again, scratch, y);
      gaussianBlurToBytes(again, size, sigma, scratch, bytesRows, pass !== null);
      expect(bytesRows).toEqual(bytesWhole);
    }
    expect(firstRowsPass(size, 0.1)).toBeNull();
  });
});
