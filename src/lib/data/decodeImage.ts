/**
 * One image file to grey pixels, wherever images come in (real-data imports, Analyse, matching):
 * the content decides the type, the header the size; PNGs and TIFFs decode with the same code as
 * Node, JPEGs with the browser's decoder (in a page or a worker), reduced to BT.601 luma.
 */
import { checkImage } from './imageType';
import { greyOfPng, luma, maskOfPng, readPng, rgbOfPng } from './png';
import { maskOfColours } from './maskColours';
import { hasColour, repeatGrey } from '../synth/grains/colour';
import { decodeTiffGrey } from './tiff';
import type { GreyImage } from './tiling';

export interface FileEntry {
  path: string;
  bytes: Uint8Array;
}

/** Which pixels a decode returns: 1 grey (BT.601 luma), 3 RGB interleaved (for colour models). */
export type Channels = 1 | 3;

/**
 * Grey (or, asked for 3 channels, RGB; with `keepColour`, grey plus the RGB of a colour file) pixels;
 * 16-bit files also say how they were read (`note`), TIFFs the pixel size when the file has it. A
 * `mask` is read grey, its 16-bit values by value rather than through the images' window, and
 * colour, palette and stroke-layer marks as marks (maskColours).
 */
export async function decodeImage(entry: FileEntry & { channels?: Channels; keepColour?: boolean; mask?: boolean }): Promise<GreyImage & { note?: string; micronsPerPixel?: number; colour?: Uint8Array }> {
  const channels = entry.channels ?? 1;
  // The content decides, not the name; oversized images are refused from their header.
  const { type } = checkImage(entry.bytes, entry.path);
  if (entry.keepColour && channels === 1 && !entry.mask) {
    // Grey exactly as before, and the RGB beside it when the file has colour (PNG, JPEG, TIFF).
    if (type === 'tiff') return decodeTiffGrey(entry.bytes, entry.path, true);
    if (type === 'png') return decodePngKeepingColour(entry.bytes, entry.path);
    // One decode serves both (a colour file near the size limit would otherwise be decoded twice).
    const { width, height, rgba } = await decodeBitmap(entry);
    return withColour({ width, height, pixels: rgbaTo(rgba, width * height, 1) }, rgbaTo(rgba, width * height, 3));
  }
  if (type === 'png') {
    const read = readPng(entry.bytes, entry.path, entry.mask);
    if (entry.mask) return maskOfPng(read);
    return { ...(channels === 3 ? rgbOfPng(read) : greyOfPng(read)), ...(read.note ? { note: read.note } : {}) };
  }
  if (type === 'tiff') {
    if (channels === 1) return decodeTiffGrey(entry.bytes, entry.path, false, entry.mask);
    // RGB as a colour PNG gives it; a grey TIFF's grey in all three channels, as a grey PNG's.
    const { colour, pixels, ...rest } = decodeTiffGrey(entry.bytes, entry.path, true);
    return { ...rest, pixels: colour ?? repeatGrey(pixels) };
  }
  const { width, height, rgba } = await decodeBitmap(entry);
  if (entry.mask) return { width, height, pixels: maskOfColours(rgba, width * height, 4) };
  return { width, height, pixels: rgbaTo(rgba, width * height, channels) };
}

/** Grey, with the RGB beside it only when the pixels hold colour. */
const withColour = <T extends GreyImage>(grey: T, rgb: Uint8Array): T & { colour?: Uint8Array } => (hasColour(rgb) ? { ...grey, colour: rgb } : grey);

/** A PNG's grey (BT.601 luma) and, when it has colour, its RGB beside it, from one decode (also in Node: no browser decoder needed). */
export function decodePngKeepingColour(bytes: Uint8Array, name: string): GreyImage & { note?: string; colour?: Uint8Array } {
  const read = readPng(bytes, name);
  return withColour({ ...greyOfPng(read), ...(read.note ? { note: read.note } : {}) }, rgbOfPng(read).pixels);
}

/** A JPEG (or any image the browser reads) as RGBA, by the browser's decoder. */
async function decodeBitmap(entry: FileEntry): Promise<{ width: number; height: number; rgba: Uint8ClampedArray }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([entry.bytes as BlobPart]));
  } catch {
    throw new Error(`${entry.path} is not a readable PNG or JPEG image.`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  return { width: bitmap.width, height: bitmap.height, rgba: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data };
}

/** RGBA to grey (BT.601 luma) or interleaved RGB. */
function rgbaTo(rgba: Uint8ClampedArray, n: number, channels: Channels): Uint8Array {
  const pixels = new Uint8Array(channels * n);
  if (channels === 3) for (let i = 0; i < n; i++) pixels.set(rgba.subarray(4 * i, 4 * i + 3), 3 * i);
  else for (let i = 0; i < n; i++) pixels[i] = luma(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]);
  return pixels;
}

