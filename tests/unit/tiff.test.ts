/** TIFF micrographs: 8- and 16-bit, grey and RGB, the pixel size from the file, and clear refusals. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/lib/data/decodeImage';
import { checkImage } from '../../src/lib/data/imageType';
import { encodePng, luma } from '../../src/lib/data/png';
import { decodeTiffGrey, pixelSize } from '../../src/lib/data/tiff';
import { window16 } from '../../src/lib/data/window16';
import { hasColour } from '../../src/lib/synth/grains/colour';
import { tiff } from '../tiffWriter';

describe('TIFF micrographs', () => {
  it('8-bit grey reads exactly, named by content whatever the extension', async () => {
    const values = Array.from({ length: 12 * 8 }, (_, i) => (i * 7) % 256);
    const image = await decodeImage({ path: 'scan.png', bytes: tiff(12, 8, values) });
    expect([image.width, image.height]).toEqual([12, 8]);
    expect(Array.from(image.pixels)).toEqual(values);
    expect(image.note).toMatch(/^8-bit grey TIFF/);
    expect(checkImage(tiff(12, 8, values), 'x.bin').type).toBe('tiff');
  });

  it('16-bit maps the 0.5–99.5 percentile window to 0–255 and says so', () => {
    // A 1000-level ramp on a 40 000 offset, with a few hot pixels the window ignores.
    const n = 100 * 100;
    const values = Array.from({ length: n }, (_, i) => (i < 20 ? 65535 : 40_000 + (i % 1000)));
    const image = decodeTiffGrey(tiff(100, 100, values, { bits: 16 }), 'cam.tif');
    const [lo, hi] = window16(Uint16Array.from(values));
    expect(lo).toBeGreaterThanOrEqual(40_000);
    expect(hi).toBeLessThan(41_000);
    expect(image.note).toContain(`levels ${lo}–${hi}`);
    expect(Math.min(...image.pixels)).toBe(0);
    expect(Math.max(...image.pixels)).toBe(255);
    expect(image.pixels[500]).toBeGreaterThan(100); // mid-ramp lands mid-grey
    expect(image.pixels[500]).toBeLessThan(160);
  });

  it('signed 16-bit keeps the order of its values (negative below positive) and states its levels as signed', () => {
    const values = Array.from({ length: 64 * 64 }, (_, i) => -300 + (i % 601));
    const image = decodeTiffGrey(tiff(64, 64, values, { bits: 16, signed: true }), 'signed.tif');
    expect(image.note).toMatch(/16-bit signed grey TIFF, levels -29\d–29\d/);
    expect(image.pixels[0]).toBe(0); // −300
    expect(image.pixels[600]).toBe(255); // +300
    for (let i = 1; i <= 600; i++) expect(image.pixels[i]).toBeGreaterThanOrEqual(image.pixels[i - 1]);
  });

  it('reads grey tiles, and refuses colour tiles (which the TIFF reader lays out wrongly) with what to do', () => {
    const grey = Array.from({ length: 32 * 32 }, (_, i) => i % 256);
    expect(Array.from(decodeTiffGrey(tiff(32, 32, grey, { tiled: true }), 'tiles.tif').pixels)).toEqual(grey);
    const rgb = Array.from({ length: 32 * 32 * 3 }, (_, i) => [200, 50, 10][i % 3]);
    expect(() => decodeTiffGrey(tiff(32, 32, rgb, { samples: 3, tiled: true }), 'tiles.tif')).toThrow('tiles.tif stores its colour in tiles; save it in strips');
  });

  it('RGB becomes BT.601 luma', () => {
    const image = decodeTiffGrey(tiff(2, 1, [255, 0, 0, 0, 0, 255], { samples: 3 }), 'c.tif');
    expect(Array.from(image.pixels)).toEqual([luma(255, 0, 0), luma(0, 0, 255)]);
    expect(image.note).toMatch(/RGB/);
  });

  it('an 8-bit RGB TIFF keeps its colour as an RGB PNG of the same pixels does, with today\'s grey', async () => {
    const rng = (i: number) => (i * 97 + 13) % 256;
    const rgb = Uint8Array.from({ length: 3 * 9 * 7 }, (_, i) => rng(i));
    const fromTiff = await decodeImage({ path: 'etched.tif', bytes: tiff(9, 7, rgb, { samples: 3 }), keepColour: true });
    const fromPng = await decodeImage({ path: 'etched.png', bytes: encodePng(rgb, 9, 7), keepColour: true });
    expect(Array.from(fromTiff.colour!)).toEqual(Array.from(rgb));
    expect(Array.from(fromTiff.colour!)).toEqual(Array.from(fromPng.colour!));
    expect(Array.from(fromTiff.pixels)).toEqual(Array.from(decodeTiffGrey(tiff(9, 7, rgb, { samples: 3 }), 'etched.tif').pixels));
    expect(Array.from(fromTiff.pixels)).toEqual(Array.from(fromPng.pixels));
    // Asked for RGB (colour experiments), a TIFF gives it too; a grey TIFF repeats its grey.
    const asRgb = await decodeImage({ path: 'etched.tif', bytes: tiff(9, 7, rgb, { samples: 3 }), channels: 3 });
    expect(Array.from(asRgb.pixels)).toEqual(Array.from(rgb));
    const greyAsRgb = await decodeImage({ path: 'g.tif', bytes: tiff(2, 1, [10, 200]), channels: 3 });
    expect(Array.from(greyAsRgb.pixels)).toEqual([10, 10, 10, 200, 200, 200]);
    // A grey image saved as RGB stays grey, as PNGs do; a grey read never carries colour.
    expect((await decodeImage({ path: 'n.tif', bytes: tiff(2, 1, [5, 5, 5, 9, 9, 9], { samples: 3 }), keepColour: true })).colour).toBeUndefined();
    expect((await decodeImage({ path: 'etched.tif', bytes: tiff(9, 7, rgb, { samples: 3 }) })).colour).toBeUndefined();
  });

  it('colour means channels apart by more than rounding on more than 0.1 % of pixels', () => {
    const n = 10_000;
    const jittered = new Uint8Array(3 * n);
    for (let i = 0; i < n; i++) { const v = 40 + (i % 150); jittered[3 * i] = v; jittered[3 * i + 1] = v + (i % 3) - 1; jittered[3 * i + 2] = v + 1; }
    expect(hasColour(jittered)).toBe(false); // a grey JPEG's chroma rounding
    const dot = jittered.slice();
    for (let i = 0; i < 10; i++) dot[3 * i] = 200; // ten pixels: 0.1 %, a speck of dust
    expect(hasColour(dot)).toBe(false);
    for (let i = 0; i < 50; i++) dot[3 * i] = 200; // 0.5 %: a coloured feature
    expect(hasColour(dot)).toBe(true);
  });

  it('a 16-bit RGB TIFF keeps its colour under one window for all three channels; its grey is today\'s', () => {
    // Amber on a 30 000 offset: red above green above blue everywhere, plus a few hot pixels.
    const n = 60 * 50, values: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = i < 10 ? 25_000 : (i * 37) % 2000;
      values.push(30_000 + 2 * t, 30_000 + t, 30_000 + Math.floor(t / 2));
    }
    const bytes = tiff(60, 50, values, { bits: 16, samples: 3 });
    const image = decodeTiffGrey(bytes, 'amber.tif', true);
    expect(Array.from(image.pixels)).toEqual(Array.from(decodeTiffGrey(bytes, 'amber.tif').pixels));
    const [lo, hi] = window16(Uint16Array.from(values));
    expect(image.note).toContain(`colour kept, levels ${lo}–${hi} of all three channels`);
    const c = image.colour!;
    expect(c).toHaveLength(3 * n);
    // One window keeps the channels' order and ratios of offsets (a window per channel would make every pixel grey-ish).
    for (let i = 10; i < n; i++) {
      expect(c[3 * i]).toBeGreaterThanOrEqual(c[3 * i + 1]);
      expect(c[3 * i + 1]).toBeGreaterThanOrEqual(c[3 * i + 2]);
      const expected = (v: number) => Math.max(0, Math.min(255, Math.round(((v - lo) / Math.max(1, hi - lo)) * 255)));
      expect([c[3 * i], c[3 * i + 1], c[3 * i + 2]]).toEqual(values.slice(3 * i, 3 * i + 3).map(expected));
    }
  });

  it('reads the pixel size from ImageJ metadata or centimetre tags, not from screen dpi', () => {
    expect(decodeTiffGrey(tiff(4, 4, new Array(16).fill(9), { resolution: 4, description: 'ImageJ=1.54f\nunit=micron\n' }), 'a.tif').micronsPerPixel).toBeCloseTo(0.25, 9);
    expect(decodeTiffGrey(tiff(4, 4, new Array(16).fill(9), { resolution: 20_000, unit: 3 }), 'b.tif').micronsPerPixel).toBeCloseTo(0.5, 9);
    expect(decodeTiffGrey(tiff(4, 4, new Array(16).fill(9), { resolution: 72, unit: 2 }), 'c.tif').micronsPerPixel).toBeUndefined();
    expect(pixelSize('ImageJ=1\nunit=\\u00B5m\n', 2, 2)).toBe(0.5);
  });

  it('refuses floating-point, damaged and oversized TIFFs with a message naming the file', async () => {
    expect(() => decodeTiffGrey(tiff(2, 2, [0.1, 0.2, 0.3, 0.4], { bits: 32, float: true }), 'f.tif')).toThrow('f.tif holds 32-bit floating-point values; save it as an 8- or 16-bit TIFF');
    const cut = tiff(8, 8, new Array(64).fill(1)).slice(0, 20);
    await expect(decodeImage({ path: 'cut.tif', bytes: cut })).rejects.toThrow(/cut.tif is a damaged or unsupported TIFF/);
    const huge = tiff(1, 1, [0]);
    new DataView(huge.buffer).setUint32(10 + 8, 20_000, true); // ImageWidth
    new DataView(huge.buffer).setUint32(10 + 12 + 8, 20_000, true); // ImageLength
    expect(() => checkImage(huge, 'huge.tif')).toThrow('huge.tif is 20,000×20,000 px, over the 100-megapixel limit');
  });

  function damagedTiffsFailCleanly(parameters: fc.Parameters<[[number, number][], number]>) {
    const good = tiff(16, 12, Array.from({ length: 16 * 12 }, (_, i) => i), { description: 'ImageJ=1\nunit=micron\n', resolution: 2 });
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(good.length), (edits, cut) => {
      const bytes = good.slice(0, Math.max(8, cut));
      for (const [at, v] of edits) if (at < bytes.length) bytes[at] = v;
      try {
        checkImage(bytes, 'x.tif');
        decodeTiffGrey(bytes, 'x.tif');
      } catch (e) {
        expect(e).not.toBeInstanceOf(TypeError);
        expect((e as Error).message).toMatch(/x\.tif/);
      }
    }), parameters);
  }

  it('damaged TIFFs (fuzzed bytes) decode or give a message naming the file, never a TypeError', () => {
    damagedTiffsFailCleanly({ numRuns: 300 });
  });

  it('a damaged description tag that holds numbers, not text, gives no scale and no TypeError', () => {
    // The case fast-check found: an edited tag type turned the ImageJ description into numbers.
    damagedTiffsFailCleanly({ seed: 1692268608, path: '224:10:9:9:8:12:8:0:1', endOnFailure: true });
    expect(pixelSize([73, 109], 2, undefined)).toBeUndefined();
    expect(pixelSize('ImageJ=1\nunit=micron\n', 2, undefined)).toBe(0.5);
  });
});
