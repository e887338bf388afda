import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { planImport } from '../../src/lib/data/importLayout';
import { encode } from 'fast-png';
import { decodeImage } from '../../src/lib/data/decodeImage';
import { decodeGreyPng, decodeRgbPng } from '../../src/lib/data/png';
import { assignSplits, splitCounts, gridCount, gridPositions, labelFromMask, maskLevels, maskLooksInverted, MAX_TILES_PER_IMAGE, tileAt, TooManyTilesError } from '../../src/lib/data/tiling';
import { Rng } from '../../src/lib/random';
import { tiff } from '../tiffWriter';
import { applyCrack, crackCoverage } from '../../src/lib/synth/cracks/crack';
import { fitCrackModel, measureTrace } from '../../src/lib/synth/cracks/measure';
import { DEFAULT_CRACK_MODEL } from '../../src/lib/synth/cracks/space';

/** A grey PNG of the given bit depth from packed rows (filter 0), written by hand: encoders here only write 8 bits. */
function pngOf(width: number, height: number, depth: number, rows: number[][]): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b: Uint8Array) => { let c = 0xffffffff; for (const v of b) c = crcTable[(c ^ v) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type: string, data: Uint8Array) => {
    const body = new Uint8Array([...Buffer.from(type, 'ascii'), ...data]), out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.set(body, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = depth; // colour type 0 (grey), compression, filter, interlace 0
  const raw = Uint8Array.from(rows.flatMap((r) => [0, ...r]));
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]));
}

describe('tiling', () => {
  it('covers an image with a grid whose last tiles sit flush with the edges', () => {
    const grid = gridPositions(300, 200, 128, 64);
    expect(grid).toContainEqual([0, 0]);
    expect(grid).toContainEqual([172, 72]);
    expect(new Set(grid.map(([x]) => x))).toEqual(new Set([0, 64, 128, 172]));
    expect(gridPositions(100, 100, 128, 64)).toEqual([]);
    expect(() => gridPositions(300, 300, 128, 0)).toThrow('Stride must be a whole number');
  });

  it('counts a grid without making it, and refuses one over the per-image cap with the smallest stride that fits', () => {
    for (const [w, h, stride] of [[300, 200, 64], [256, 256, 64], [128, 128, 128], [1000, 700, 9], [129, 500, 1], [100, 300, 5]]) {
      expect(gridCount(w, h, 128, stride)).toBe(gridPositions(w, h, 128, stride).length);
    }
    expect(MAX_TILES_PER_IMAGE).toBe(10_000);
    let refused: unknown;
    const started = performance.now();
    try {
      gridPositions(4000, 3000, 128, 1);
    } catch (e) {
      refused = e;
    }
    expect(performance.now() - started).toBeLessThan(100); // refused from the count, before any tile is made
    expect(refused).toBeInstanceOf(TooManyTilesError);
    const { count, minStride, message } = refused as TooManyTilesError;
    expect(count).toBe(3873 * 2873);
    expect(message).toBe(`A stride of 1 px would cut 11,127,129 tiles from this 4000×3000 image; at most 10,000 are allowed per image. Raise the stride to ${minStride} px or more.`);
    expect(gridPositions(4000, 3000, 128, minStride).length).toBeLessThanOrEqual(MAX_TILES_PER_IMAGE);
    expect(gridCount(4000, 3000, 128, minStride - 1)).toBeGreaterThan(MAX_TILES_PER_IMAGE);
  });

  it('places a clicked tile around the click, inside the image', () => {
    expect(tileAt(768, 576, 128, 100, 100)).toEqual([36, 36]);
    expect(tileAt(768, 576, 128, 5, 570)).toEqual([0, 448]);
  });

  it('labels tiles from a crack mask as the real tile set does', () => {
    const mask = { width: 256, height: 128, pixels: new Uint8Array(256 * 128) };
    for (let x = 10; x < 60; x++) mask.pixels[64 * 256 + x] = 255; // 50 px of crack in the left tile
    mask.pixels[10 * 256 + 200] = 200; // one stray pixel in the right tile
    expect(labelFromMask(mask, 0, 0, 128)).toBe('crack');
    expect(labelFromMask(mask, 128, 0, 128)).toBe(null);
    mask.pixels[10 * 256 + 200] = 100; // at or below 127 is background
    expect(labelFromMask(mask, 128, 0, 128)).toBe('no_crack');
  });

  it('reads a 0/1 mask (as label tools and NumPy save them) as crack where it is 1, and any other mask as it is', () => {
    const ones = { width: 128, height: 128, pixels: new Uint8Array(128 * 128) };
    for (let x = 10; x < 60; x++) ones.pixels[64 * 128 + x] = 1;
    expect(labelFromMask(ones, 0, 0, 128)).toBe('no_crack'); // as read: all below the threshold
    expect(labelFromMask(maskLevels(ones), 0, 0, 128)).toBe('crack');
    expect(maskLevels(ones).pixels[64 * 128 + 10]).toBe(255);
    const faint = { ...ones, pixels: ones.pixels.map((v) => v * 100) }; // 0/100: background, kept so
    expect(maskLevels(faint)).toBe(faint);
  });

  it('decodes 1-, 2- and 4-bit PNGs (packed several pixels to a byte) pixel by pixel', () => {
    // A 1-bit 16 × 2 mask: top row white, bottom row white on its left half.
    const png = pngOf(16, 2, 1, [[0xff, 0xff], [0xff, 0x00]]);
    expect(Array.from(decodeGreyPng(png).pixels)).toEqual([...Array(24).fill(255), ...Array(8).fill(0)]);
    // 4-bit grey ramp 0, 5, 10, 15 → 0, 85, 170, 255.
    expect(Array.from(decodeGreyPng(pngOf(4, 1, 4, [[0x05, 0xaf]])).pixels)).toEqual([0, 85, 170, 255]);
  });

  it('reads 16-bit PNGs through the robust window TIFFs get, and says so', async () => {
    // 12-bit camera data in a 16-bit file: divided by 257 it was 0–15, sixteen grey levels.
    const width = 256, height = 64, camera = new Uint16Array(width * height);
    for (let i = 0; i < camera.length; i++) camera[i] = 100 + Math.round((3900 * (i % width)) / (width - 1));
    const bytes = encode({ width, height, data: camera, depth: 16, channels: 1 });
    const grey = decodeGreyPng(bytes).pixels;
    expect(new Set(grey).size).toBeGreaterThan(200);
    expect(Math.min(...grey)).toBe(0);
    expect(Math.max(...grey)).toBe(255);
    const decoded = await decodeImage({ path: 'camera.png', bytes });
    expect(decoded.note).toMatch(/^16-bit PNG, levels \d+–\d+ \(0\.5–99\.5 percentiles\) mapped to 0–255$/);
    expect(Array.from(decoded.pixels)).toEqual(Array.from(grey));
    // Colour: one window for all three channels, so a reddish pixel stays reddish.
    const rgb = new Uint16Array(3 * width * height);
    for (let i = 0; i < width * height; i++) rgb.set([2 * camera[i], camera[i], camera[i]], 3 * i);
    const colour = decodeRgbPng(encode({ width, height, data: rgb, depth: 16, channels: 3 })).pixels;
    for (let i = 32; i < width * height; i += 97) expect(colour[3 * i]).toBeGreaterThan(colour[3 * i + 1]);
  });

  it('reads 16-bit masks by value, not through the window, however much of them is marked', async () => {
    const side = 512, png16 = (values: Uint16Array) => encode({ width: side, height: side, data: values, depth: 16, channels: 1 });
    const read = async (values: Uint16Array) => maskLevels(await decodeImage({ path: 'mask.png', bytes: png16(values), mask: true }));
    const crackRow = (background: number, on: number, halo?: number) => {
      const values = new Uint16Array(side * side).fill(background);
      for (let x = 0; x < side; x++) {
        values[200 * side + x] = on;
        if (halo !== undefined) values[199 * side + x] = values[201 * side + x] = halo;
      }
      return values;
    };
    // A crack on 0.2 % of the pixels, set as 1 or as 65535: the window made the second's rim the crack.
    for (const on of [1, 65535]) {
      const mask = await read(crackRow(0, on));
      expect(mask.pixels[200 * side + 7]).toBe(255);
      expect(mask.pixels[0]).toBe(0);
      expect(labelFromMask(mask, 0, 136, 128)).toBe('crack');
      expect(labelFromMask(mask, 0, 0, 128)).toBe('no_crack');
    }
    const rimmed = await read(crackRow(0, 65535, 16384)); // an anti-aliased rim a quarter as bright: below the threshold
    expect([rimmed.pixels[199 * side], rimmed.pixels[200 * side]]).toEqual([64, 255]);
    // Values above a byte's scaled by the largest (0/4095 reads 0/255, not 0/16), alpha left out of it.
    expect((await read(crackRow(0, 4095))).pixels[200 * side]).toBe(255);
    const withAlpha = new Uint16Array(2 * side * side).fill(65535);
    crackRow(0, 1).forEach((v, i) => (withAlpha[2 * i] = v));
    const alphaMask = maskLevels(await decodeImage({ path: 'mask.png', bytes: encode({ width: side, height: side, data: withAlpha, depth: 16, channels: 2 }), mask: true }));
    expect([alphaMask.pixels[0], alphaMask.pixels[200 * side]]).toEqual([0, 255]);
    // Marked everywhere, and drawn black on white: read as they are (the window made both all 0).
    expect((await read(new Uint16Array(side * side).fill(65535))).pixels.every((v) => v === 255)).toBe(true);
    expect(maskLooksInverted(await read(crackRow(65535, 0)))).toBe(true);
    // 16-bit TIFF masks likewise.
    const tiffMask = await decodeImage({ path: 'mask.tif', bytes: tiff(side, side, crackRow(0, 65535), { bits: 16 }), mask: true });
    expect([tiffMask.pixels[0], tiffMask.pixels[200 * side]]).toEqual([0, 255]);
    expect(tiffMask.note).toMatch(/^16-bit grey TIFF mask, read by value/);
    const signedMask = await decodeImage({ path: 'mask.tif', bytes: tiff(side, side, crackRow(0, 1), { bits: 16, signed: true }), mask: true });
    expect([signedMask.pixels[0], signedMask.pixels[200 * side]]).toEqual([0, 1]); // 0/1, as stated: maskLevels makes the 1 a crack
    const signed8 = await decodeImage({ path: 'mask.tif', bytes: tiff(side, side, crackRow(0, 1), { bits: 8, signed: true }), mask: true });
    expect([signed8.pixels[0], signed8.pixels[200 * side]]).toEqual([0, 1]);
    expect((await decodeImage({ path: 'mask.tif', bytes: tiff(side, side, new Uint16Array(side * side).fill(65535), { bits: 16 }), mask: true })).pixels[5]).toBe(255);
  });

  it('reads colour, palette and stroke-layer masks by their marks, not their luma', async () => {
    const side = 128, n = side * side;
    const onCrack = (i: number) => Math.floor(i / side) === 40;
    const png = (data: Uint8Array, channels: number, palette?: [number, number, number][]) =>
      encode({ width: side, height: side, data, depth: 8, channels, ...(palette ? { palette } : {}) });
    const read = async (bytes: Uint8Array, path = 'mask.png') => maskLevels(await decodeImage({ path, bytes, mask: true }));
    const expectCrackRow = (mask: { pixels: Uint8Array }) => {
      expect([mask.pixels[40 * side + 3] > 127, mask.pixels[0], mask.pixels[100 * side + 9]]).toEqual([true, 0, 0]);
      expect(labelFromMask(mask as never, 0, 0, side)).toBe('crack');
    };
    // Class indices 0/1 in the colours a label tool shows them (its class 1 dark red: luma 38).
    const indices = Uint8Array.from({ length: n }, (_, i) => (onCrack(i) ? 1 : 0));
    expectCrackRow(await read(png(indices, 1, [[0, 0, 0], [128, 0, 0]])));
    // A red stroke on black (luma 76), and a black stroke on a transparent layer.
    expectCrackRow(await read(png(Uint8Array.from({ length: 3 * n }, (_, k) => (k % 3 === 0 && onCrack(k / 3 | 0) ? 255 : 0)), 3)));
    expectCrackRow(await read(png(Uint8Array.from({ length: 4 * n }, (_, k) => (k % 4 === 3 && onCrack(k / 4 | 0) ? 255 : 0)), 4)));
    // An opaque black RGBA mask marks nothing, and a black-and-white mask saved with a palette reads by its greys.
    expect((await read(png(Uint8Array.from({ length: 4 * n }, (_, k) => (k % 4 === 3 ? 255 : 0)), 4))).pixels.every((v) => v === 0)).toBe(true);
    expectCrackRow(await read(png(Uint8Array.from(indices, (v) => 1 - v), 1, [[255, 255, 255], [0, 0, 0]])));
    // RGB TIFFs likewise; grey masks as before.
    expectCrackRow(await read(tiff(side, side, Uint8Array.from({ length: 3 * n }, (_, k) => (k % 3 === 1 && onCrack(k / 3 | 0) ? 200 : 0)), { samples: 3 }), 'mask.tif'));
    expectCrackRow(await read(png(Uint8Array.from(indices, (v) => 255 * v), 1)));
    // A palette read by the colours it shows, whatever index is which: here index 0 is the red stroke.
    expectCrackRow(await read(png(Uint8Array.from(indices, (v) => 1 - v), 1, [[255, 0, 0], [0, 0, 0]])));
    // Classes shown too dark to mark anything (a label tool's class 8 is (64, 0, 0)) read by index, 0 the background.
    expectCrackRow(await read(png(indices, 1, [[0, 0, 0], [64, 0, 0]])));
    // A palette stroke layer (black, transparent around it), and a grey+alpha TIFF one.
    expectCrackRow(await read(png(indices, 1, [[0, 0, 0, 0], [0, 0, 0, 255]] as never)));
    expectCrackRow(await read(tiff(side, side, Uint8Array.from({ length: 2 * n }, (_, k) => (k % 2 === 1 && onCrack(k / 2 | 0) ? 255 : 0)), { samples: 2 }), 'mask.tif'));
    // Alpha weighs a coloured stroke: its faint anti-aliased rim (alpha 40) is no mark, and a white
    // layer is read by its alpha.
    const rimmed = Uint8Array.from({ length: 4 * n }, (_, k) => {
      const row = Math.floor(k / 4 / side);
      return k % 4 < 3 ? 255 : row === 40 ? 255 : row === 39 || row === 41 ? 40 : 0;
    });
    const rimMask = await read(png(rimmed, 4));
    expectCrackRow(rimMask);
    expect([rimMask.pixels[39 * side], rimMask.pixels[41 * side]]).toEqual([40, 40]);
    // A palette PNG whose pixels point past its palette is refused by name.
    const broken = png(Uint8Array.from({ length: n }, (_, i) => (i === 5 ? 3 : 0)), 1, [[0, 0, 0], [255, 255, 255]]);
    await expect(read(broken)).rejects.toThrow(/^mask\.png is a damaged PNG: its pixels use colour 3 of a palette of 2\./);
  });

  it('rounds the split shares by largest remainder, so that none is left without its share', () => {
    expect(splitCounts(2, 0.25, 0.25)).toEqual({ val: 0, test: 1 }); // rounded up both, it left none to train on
    expect(splitCounts(5, 0.3, 0.3)).toEqual({ val: 1, test: 2 });
    expect(splitCounts(3, 0.2, 0.5)).toEqual({ val: 1, test: 1 });
    expect(splitCounts(2, 0, 0.25)).toEqual({ val: 0, test: 1 }); // a share alone keeps what it had
    expect(splitCounts(10, 0, 0.25)).toEqual({ val: 0, test: 3 });
    expect(splitCounts(2, 0.25, 0)).toEqual({ val: 1, test: 0 });
    expect(splitCounts(150, 0.2, 0.3)).toEqual({ val: 30, test: 45 }); // where each share rounds as it is, as before
    expect(splitCounts(37, 0.2, 0.3)).toEqual({ val: 7, test: 11 });
    const tiles = ['a', 'b'].flatMap((id) => [{ id: `c${id}`, label: 'crack' as const, pinnedTest: false }, { id: `n${id}`, label: 'no_crack' as const, pinnedTest: false }]);
    const split = assignSplits(tiles, { seed: 3, val: 0.25, test: 0.25 });
    expect([...split.values()].filter((s) => s === 'train')).toHaveLength(2);
  });

  it('splits with a seed, keeps the class balance, and keeps pinned tiles in test', () => {
    const tiles = Array.from({ length: 200 }, (_, i) => ({ id: `t${i}`, label: i % 2 ? 'crack' as const : 'no_crack' as const, pinnedTest: i < 6 }));
    const a = assignSplits(tiles, { seed: 1, val: 0.2, test: 0.1 });
    const b = assignSplits(tiles, { seed: 1, val: 0.2, test: 0.1 });
    const c = assignSplits(tiles, { seed: 2, val: 0.2, test: 0.1 });
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
    for (let i = 0; i < 6; i++) expect(a.get(`t${i}`)).toBe('test');
    for (const label of ['crack', 'no_crack']) {
      const ids = tiles.filter((t) => t.label === label).map((t) => a.get(t.id));
      expect(ids.filter((s) => s === 'test')).toHaveLength(10);
      expect(ids.filter((s) => s === 'val')).toHaveLength(20);
      expect(ids.filter((s) => s === 'train')).toHaveLength(70);
    }
  });
});

describe('import layouts', () => {
  it('recognises labelled tiles, image + mask pairs, and plain images', () => {
    const { items, skipped, unmatchedMasks } = planImport([
      'set/crack/a.png', 'set/no_crack/b.png', 'tiles/image/001.png', 'tiles/label/001.png',
      'tiles/image/002.png', 'photos/chip.jpg', 'set/readme.txt', '__MACOSX/set/crack/._a.png', 'tiles/label/003.png',
    ]);
    expect(unmatchedMasks).toEqual(['tiles/label/003.png']); // its image is missing: reported
    expect(items).toEqual([
      { kind: 'tile', path: 'set/crack/a.png', label: 'crack' },
      { kind: 'tile', path: 'set/no_crack/b.png', label: 'no_crack' },
      { kind: 'pair', path: 'tiles/image/001.png', maskPath: 'tiles/label/001.png' },
      { kind: 'image', path: 'tiles/image/002.png' },
      { kind: 'image', path: 'photos/chip.jpg' },
    ]);
    expect(skipped).toEqual(['set/readme.txt', '__MACOSX/set/crack/._a.png']);
  });

  it('names a second mask of one image instead of dropping one at random, and reads ./ paths', () => {
    const { items, duplicateMasks, unmatchedMasks } = planImport(['set/labels/a.png', 'set/images/a.png', 'set/masks/a.png', 'set/labels/a.tif']);
    expect(items).toEqual([{ kind: 'pair', path: 'set/images/a.png', maskPath: 'set/labels/a.png' }]);
    expect(duplicateMasks).toEqual([{ used: 'set/labels/a.png', unused: 'set/labels/a.tif' }, { used: 'set/labels/a.png', unused: 'set/masks/a.png' }]);
    expect(unmatchedMasks).toEqual([]);
    expect(planImport(['./set/image/a.png', './set/label/a.png']).items).toEqual([{ kind: 'pair', path: './set/image/a.png', maskPath: './set/label/a.png' }]);
  });
});

describe('measuring traced cracks', () => {
  it('recovers segment lengths, bend angles, width and intensity of a drawn crack', () => {
    const size = 128;
    const points = [20, 30, 60, 40, 95, 80];
    const texture = new Float64Array(size * size).fill(200);
    const coverage = crackCoverage([{ points, widths: [3, 3, 3] }], size, 0, new Rng(1));
    applyCrack(texture, coverage, -0.5);
    const image = { width: size, height: size, pixels: Uint8Array.from(texture, (v) => Math.round(v)) };
    const m = measureTrace(image, points);
    expect(m.segmentCounts).toEqual([2]);
    expect(m.segmentLengths[0]).toBeCloseTo(Math.hypot(40, 10));
    const expectedTurn = ((Math.atan2(40, 35) - Math.atan2(10, 40)) * 180) / Math.PI;
    expect(m.bendAngles[0]).toBeCloseTo(expectedTurn);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    expect(m.widths.length).toBeGreaterThan(10);
    expect(Math.abs(median(m.widths) - 3)).toBeLessThan(0.75);
    expect(Math.abs(median(m.intensities) + 0.5)).toBeLessThan(0.06);
    const { model, fitted } = fitCrackModel(m, DEFAULT_CRACK_MODEL);
    expect(fitted).toEqual(['segmentLength', 'width', 'intensity']);
    expect(model.bendAngle).toEqual(DEFAULT_CRACK_MODEL.bendAngle); // one angle is not enough to fit
  });
});
