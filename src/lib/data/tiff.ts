/**
 * TIFF micrographs to grey pixels, with the image-js `tiff` decoder (LZW, Deflate, PackBits or
 * none; strips or tiles): the first page of a multi-page file; 8- and 16-bit, grey, palette and RGB.
 * 16-bit images are mapped to 8 bits with a robust window (the 0.5 and 99.5 percentiles), which is
 * reported. Asked to keep colour, an RGB or palette file whose channels differ anywhere also gives
 * its 8-bit RGB (interleaved) beside the grey, as colour PNGs do; the grey is the same either way. The pixel size comes from ImageJ's metadata or the resolution tags when they are
 * physical. Pure: runs in Node, pages and workers.
 */
import { decode } from 'tiff';
import { hasColour } from '../synth/grains/colour';
import { luma } from '../synth/grains/colour';
import { maskValuesTo8, window16, windowTo8 } from './window16';
import { largestColour, maskOfPalette } from './maskColours';
import type { GreyImage } from './tiling';

export interface DecodedTiff extends GreyImage {
  /** How the image was read: its bit depth and, for 16 bits, the window mapped to 0–255. */
  note: string;
  /** Microns per pixel, when the file says so in physical units. */
  micronsPerPixel?: number;
  /** With `keepColour`, a colour file's RGB: 3 bytes per pixel, interleaved. */
  colour?: Uint8Array;
}

const TIFF_LE = [0x49, 0x49, 0x2a, 0x00], TIFF_BE = [0x4d, 0x4d, 0x00, 0x2a], BIGTIFF_LE = [0x49, 0x49, 0x2b, 0x00], BIGTIFF_BE = [0x4d, 0x4d, 0x00, 0x2b];

/** Whether the bytes start like a TIFF (classic or BigTIFF, either byte order). */
export function isTiff(bytes: Uint8Array): boolean {
  return [TIFF_LE, TIFF_BE, BIGTIFF_LE, BIGTIFF_BE].some((sig) => bytes.length >= 8 && sig.every((b, i) => bytes[i] === b));
}

/** The first page's size, read without decoding its pixels. */
export function tiffSize(bytes: Uint8Array, name: string): { width: number; height: number } {
  try {
    const [ifd] = decode(bytes, { pages: [0], ignoreImageData: true });
    return { width: ifd.width, height: ifd.height };
  } catch (e) {
    throw new Error(`${name} is a damaged or unsupported TIFF (${(e as Error).message}).`);
  }
}

/**
 * Decodes the first page to grey bytes (and, with `keepColour`, a colour file's RGB); refuses
 * floating-point and other unsupported layouts with a message.
 */
export function decodeTiffGrey(bytes: Uint8Array, name: string, keepColour = false, mask = false): DecodedTiff {
  let ifd;
  try {
    [ifd] = decode(bytes, { pages: [0] });
  } catch (e) {
    throw new Error(`${name} is a damaged or unsupported TIFF (${(e as Error).message}). Save it as an uncompressed, LZW or Deflate TIFF, or as PNG.`);
  }
  const { width, height } = ifd;
  const samples = ifd.samplesPerPixel || 1;
  const bits = ifd.bitsPerSample;
  if (ifd.sampleFormat === 3) throw new Error(`${name} holds ${bits}-bit floating-point values; save it as an 8- or 16-bit TIFF.`);
  if (bits !== 8 && bits !== 16) throw new Error(`${name} has ${bits} bits per sample; SynthScope reads 8- and 16-bit TIFFs.`);
  if (ifd.planarConfiguration === 2 && samples > 1) throw new Error(`${name} stores its colour planes separately; save it with interleaved (chunky) colour.`);
  // The TIFF reader lays out tiles of several samples per pixel wrongly (grey tiles are right).
  if (ifd.tiled && samples > 1) throw new Error(`${name} stores its colour in tiles; save it in strips (the usual TIFF layout) or as PNG.`);
  // Signed integers (SampleFormat 2) come as their unsigned bits: flipping the top bit keeps their order.
  const signed = ifd.sampleFormat === 2;
  const raw = ifd.data as ArrayLike<number>, flip = bits === 16 ? 0x8000 : 0x80;
  const data = !signed ? raw : bits === 16 ? Uint16Array.from(raw, (v) => v ^ flip) : Uint8Array.from(raw, (v) => v ^ flip);
  const n = width * height;
  if (data.length < n * samples) throw new Error(`${name} is cut short: it holds ${data.length} of ${n * samples} values.`);
  // Grey values at the file's depth: luma of RGB, palette entries looked up, white-is-zero inverted.
  const max = bits === 16 ? 65535 : 255;
  const grey = bits === 16 ? new Uint16Array(n) : new Uint8Array(n);
  let palette: number[][] | undefined;
  try {
    palette = ifd.palette;
  } catch (e) {
    throw new Error(`${name} is a damaged or unsupported TIFF (${(e as Error).message}). Save it as an uncompressed, LZW or Deflate TIFF, or as PNG.`);
  }
  for (let i = 0; i < n; i++) {
    let v: number;
    if (palette) {
      const [r, g, b] = palette[data[i]] ?? [0, 0, 0];
      v = Math.round((luma(r >> 8, g >> 8, b >> 8) / 255) * max);
    } else if (samples >= 3) {
      const o = i * samples;
      v = bits === 8 ? luma(data[o], data[o + 1], data[o + 2]) : Math.round((299 * data[o] + 587 * data[o + 1] + 114 * data[o + 2]) / 1000);
    } else v = data[i * samples];
    grey[i] = ifd.type === 0 ? max - v : v;
  }
  const kind = `${signed ? 'signed ' : ''}${palette ? 'palette' : samples >= 3 ? 'RGB' : 'grey'}`;
  const micronsPerPixel = pixelSize(ifd.imageDescription, ifd.xResolution, ifd.resolutionUnit);
  const scale = micronsPerPixel ? `; ${+micronsPerPixel.toPrecision(4)} µm per pixel from the file` : '';
  const colour = keepColour && (palette || samples >= 3) ? colourOf(data, n, samples, bits, palette) : undefined;
  if (mask) {
    const note = `${bits}-bit ${kind} TIFF mask, read by value${scale}`;
    // Colour and palette marks read as marks (maskColours), not through luma.
    if (palette) return { width, height, pixels: maskOfPalette(data, n, palette.map((c) => c.map((v) => v >> 8))), note, micronsPerPixel };
    // With alpha or colour, the marks as maskColours reads them (a white-is-zero grey inverted first).
    const withAlpha = samples === 2 && ifd.type === 0 ? Uint16Array.from({ length: 2 * n }, (_, k) => (k % 2 ? data[k] : max - data[k])) : data;
    const values = samples >= 2 ? largestColour(withAlpha, n, samples, max) : grey;
    // A mask's values as stated: a signed one's 0 stays 0 (its order was shifted by half its range above), negatives are unmarked.
    const stated = signed ? Uint16Array.from(values, (v) => Math.max(0, v - (max + 1) / 2)) : values;
    return { width, height, pixels: maskValuesTo8(stated), note, micronsPerPixel };
  }
  if (bits === 8) return { width, height, pixels: grey as Uint8Array, note: `8-bit ${kind} TIFF${scale}`, micronsPerPixel, ...(colour ? { colour: colour.rgb } : {}) };
  const [lo, hi] = window16(grey as Uint16Array);
  const pixels = windowTo8(grey as Uint16Array, lo, hi);
  const shown = signed ? 32768 : 0; // levels as the file states them
  const note = `16-bit ${kind} TIFF, levels ${lo - shown}–${hi - shown} (0.5–99.5 percentiles) mapped to 0–255${colour?.note ?? ''}${scale}`;
  return { width, height, pixels, note, micronsPerPixel, ...(colour ? { colour: colour.rgb } : {}) };
}

/**
 * The 8-bit RGB of a palette or RGB page, or undefined when its channels never differ (a grey
 * image saved as RGB stays grey, as PNGs do). 16-bit RGB takes one window for all three channels
 * together (0.5–99.5 percentiles of their pooled values), not one per channel: a window per channel
 * would stretch each on its own, an automatic white balance that shifts every hue (an amber etch
 * would come out neutral), while a joint window keeps the ratios between channels as an 8-bit file
 * keeps them. The grey keeps its own window (of the luma, as before), so grey models read exactly
 * what they did.
 */
function colourOf(data: ArrayLike<number>, n: number, samples: number, bits: number, palette: number[][] | undefined): { rgb: Uint8Array; note: string } | undefined {
  const rgb = new Uint8Array(3 * n);
  if (palette) {
    for (let i = 0; i < n; i++) {
      const [r, g, b] = palette[data[i]] ?? [0, 0, 0];
      rgb[3 * i] = r >> 8; rgb[3 * i + 1] = g >> 8; rgb[3 * i + 2] = b >> 8;
    }
    return hasColour(rgb) ? { rgb, note: '' } : undefined;
  }
  const values = bits === 16 ? new Uint16Array(3 * n) : rgb;
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) values[3 * i + c] = data[i * samples + c];
  if (!hasColour(values, bits === 16 ? 2 * 257 : 2)) return undefined;
  if (bits === 8) return { rgb, note: '' };
  const [lo, hi] = window16(values as Uint16Array);
  return { rgb: windowTo8(values, lo, hi), note: `; colour kept, levels ${lo}–${hi} of all three channels mapped to 0–255` };
}

/**
 * Microns per pixel from ImageJ's description (unit=micron / µm / nm / mm with the resolution as
 * pixels per unit), or from centimetre resolution tags. Inch resolution is taken only when it is
 * physical (under 50 µm per pixel): most files carry a screen's 72 or 96 dpi, which says nothing.
 */
export function pixelSize(description: unknown, xResolution: number | undefined, unit: number | undefined): number | undefined {
  if (!xResolution || !Number.isFinite(xResolution) || xResolution <= 0) return undefined;
  // A damaged file's description tag can hold numbers instead of text: then it says nothing.
  const imagej = (typeof description === 'string' ? description : undefined)?.match(/unit=([^\n\r]+)/)?.[1]?.trim().toLowerCase().replace(/\\u00b5/g, 'µ');
  const perUnit: Record<string, number> = { micron: 1, microns: 1, 'µm': 1, um: 1, nm: 1e-3, mm: 1e3 };
  if (imagej && perUnit[imagej] !== undefined) return perUnit[imagej] / xResolution;
  if (unit === 3) return 1e4 / xResolution;
  if (unit === 2 && 25_400 / xResolution < 50) return 25_400 / xResolution;
  return undefined;
}
