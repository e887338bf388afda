/**
 * PNG in and out with fast-png, the same code in Node and the browser, so decoded pixels (and
 * everything made from them) are identical in both. Everything SynthScope analyses is grey.
 */
import { decode, encode } from 'fast-png';
import type { Exemplar } from '../synth/cracks/texture';
import { maskValuesTo8, window16, windowTo8 } from './window16';
import { maskOfColours, maskOfPalette } from './maskColours';

/** Integer luma (BT.601 weights), so every engine gives the same bytes; one definition with the generator's. */
import { luma } from '../synth/grains/colour';
export { luma };

/** A decoded PNG and the factor that maps its samples (any depth) to 0–255; 16-bit files say how they were read. */
export interface ReadPng {
  png: ReturnType<typeof decode>;
  scale: number;
  note?: string;
}

/** Decodes a PNG once; `greyOfPng` and `rgbOfPng` then give its pixels either way. A `mask` reads 16-bit values by value (maskValuesTo8), not through the window. */
export function readPng(bytes: Uint8Array, name = 'image', mask = false): ReadPng {
  let png;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new Error(`${name} is not a readable PNG (${(e as Error).message}).`);
  }
  if (png.depth < 8 && png.data.length < png.width * png.height * png.channels) png = { ...png, data: unpackSamples(png.data as Uint8Array, png.width, png.height, png.channels, png.depth) };
  if (png.palette) {
    let top = 0;
    for (let i = 0; i < png.width * png.height; i++) if (png.data[i] > top) top = png.data[i];
    if (top >= png.palette.length) throw new Error(`${name} is a damaged PNG: its pixels use colour ${top} of a palette of ${png.palette.length}. Save it again from the program that made it.`);
  }
  if (png.depth === 16 && mask) return { png: { ...png, data: maskValuesTo8(png.data as Uint16Array, png.channels), depth: 8 }, scale: 1 };
  if (png.depth === 16) return windowed16(png);
  // Palette indices are looked up, not scaled.
  return { png, scale: png.depth < 8 && !png.palette ? 255 / ((1 << png.depth) - 1) : 1 };
}

/**
 * A 16-bit PNG to 8 bits through the robust window TIFFs get (0.5–99.5 percentiles): cameras save
 * 10- to 14-bit data in 16-bit files, which read linearly (÷257) came out nearly black in a few
 * dozen grey levels. One window for the colour samples together (as 16-bit colour TIFFs, so hues
 * keep their ratios); alpha is scaled linearly.
 */
function windowed16(png: ReturnType<typeof decode>): ReadPng {
  const data = png.data as Uint16Array, channels = png.channels;
  const colours = channels === 2 || channels === 4 ? channels - 1 : channels;
  const [lo, hi] = window16(colours === channels ? data : data.filter((_, i) => i % channels < colours));
  const windowed = windowTo8(data, lo, hi);
  if (colours !== channels) for (let i = colours; i < data.length; i += channels) windowed[i] = Math.round(data[i] / 257);
  const note = `16-bit PNG, levels ${lo}–${hi} (0.5–99.5 percentiles${colours > 1 ? ' of all three channels' : ''}) mapped to 0–255`;
  return { png: { ...png, data: windowed, depth: 8 }, scale: 1, note };
}

/**
 * fast-png leaves 1-, 2- and 4-bit samples packed, several to a byte, each row starting on a new
 * byte (as the PNG stores them): one sample per byte here, so every reader indexes them alike.
 */
function unpackSamples(packed: Uint8Array, width: number, height: number, channels: number, depth: number): Uint8Array {
  const perRow = width * channels, rowBytes = Math.ceil((perRow * depth) / 8), mask = (1 << depth) - 1;
  const out = new Uint8Array(perRow * height);
  for (let y = 0; y < height; y++) {
    for (let k = 0; k < perRow; k++) {
      const bit = k * depth;
      out[y * perRow + k] = (packed[y * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** 8-bit grey of a PNG of any colour type and depth; alpha is ignored. */
export function greyOfPng({ png, scale }: ReadPng): Exemplar {
  const { width, height, channels, data } = png;
  const pixels = new Uint8Array(width * height);
  if (png.palette) {
    const palette = png.palette;
    for (let i = 0; i < pixels.length; i++) {
      const [r, g, b] = palette[data[i]];
      pixels[i] = luma(r, g, b);
    }
    return { width, height, pixels };
  }
  for (let i = 0; i < pixels.length; i++) {
    const o = i * channels;
    const v = channels >= 3 ? luma(data[o] * scale, data[o + 1] * scale, data[o + 2] * scale) : Math.round(data[o] * scale);
    pixels[i] = Math.min(255, Math.max(0, v));
  }
  return { width, height, pixels };
}

/** A PNG mask in the grey every mask reader thresholds: colour and palette marks read as marks (maskColours). */
export function maskOfPng({ png, scale }: ReadPng): Exemplar {
  const { width, height, channels, data } = png;
  const n = width * height;
  return { width, height, pixels: png.palette ? maskOfPalette(data, n, png.palette) : maskOfColours(data, n, channels, scale) };
}

/** 8-bit RGB of a PNG, 3 bytes per pixel, interleaved; grey PNGs repeat their grey in all three; alpha is ignored. */
export function rgbOfPng({ png, scale }: ReadPng): Exemplar {
  const { width, height, channels, data } = png;
  const pixels = new Uint8Array(3 * width * height);
  for (let i = 0; i < width * height; i++) {
    if (png.palette) {
      pixels.set(png.palette[data[i]].slice(0, 3), 3 * i);
      continue;
    }
    const o = i * channels;
    for (let c = 0; c < 3; c++) pixels[3 * i + c] = Math.min(255, Math.max(0, Math.round(data[channels >= 3 ? o + c : o] * scale)));
  }
  return { width, height, pixels };
}

/** Decodes a PNG of any colour type and depth to 8-bit grey; alpha is ignored. */
export const decodeGreyPng = (bytes: Uint8Array, name = 'image'): Exemplar => greyOfPng(readPng(bytes, name));

/** Decodes a PNG of any colour type and depth to 8-bit RGB (see rgbOfPng). */
export const decodeRgbPng = (bytes: Uint8Array, name = 'image'): Exemplar => rgbOfPng(readPng(bytes, name));

export function encodeGreyPng(pixels: Uint8Array, width: number, height: number): Uint8Array {
  return encode({ width, height, data: pixels, channels: 1, depth: 8 });
}

/** A grey (1 byte per pixel) or RGB (3, interleaved) image as PNG; the channels follow from its length. */
export function encodePng(pixels: Uint8Array, width: number, height: number): Uint8Array {
  const channels = pixels.length / (width * height);
  if (channels !== 1 && channels !== 3) throw new RangeError(`${pixels.length} bytes are neither a grey nor an RGB ${width}×${height} image.`);
  return encode({ width, height, data: pixels, channels, depth: 8 });
}
