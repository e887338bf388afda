/**
 * One image file to grey pixels, wherever images come in (real-data imports, Analyse, matching):
 * the content decides the type, the header the size; PNGs and TIFFs decode with the same code as
 * Node, JPEGs with the browser's decoder (in a page or a worker), reduced to BT.601 luma.
 */
import { checkImage } from './imageType';
import { decodeGreyPng, decodeRgbPng, luma } from './png';
import { hasColour, repeatGrey } from '../synth/grains/colour';
import { decodeTiffGrey } from './tiff';
import type { GreyImage } from './tiling';

export interface FileEntry {
  path: string;
  bytes: Uint8Array;
}

/** Which pixels a decode returns: 1 grey (BT.601 luma), 3 RGB interleaved (for colour models). */
export type Channels = 1 | 3;

/** Grey (or, asked for 3 channels, RGB; with `keepColour`, grey plus the RGB of a colour file) pixels; TIFFs also say how they were read (`note`) and, when the file has it, the pixel size. */
export async function decodeImage(entry: FileEntry & { channels?: Channels; keepColour?: boolean }): Promise<GreyImage & { note?: string; micronsPerPixel?: number; colour?: Uint8Array }> {
  const channels = entry.channels ?? 1;
  if (entry.keepColour && channels === 1) {
    // Grey exactly as before, and the RGB beside it when the file has colour (PNG, JPEG, TIFF).
    const { type } = checkImage(entry.bytes, entry.path);
    if (type === 'tiff') return decodeTiffGrey(entry.bytes, entry.path, true);
    const grey = await decodeImage({ path: entry.path, bytes: entry.bytes });
    const rgb = await decodeImage({ path: entry.path, bytes: entry.bytes, channels: 3 });
    return hasColour(rgb.pixels) ? { ...grey, colour: rgb.pixels } : grey;
  }
  // The content decides, not the name; oversized images are refused from their header.
  const { type } = checkImage(entry.bytes, entry.path);
  if (type === 'png') return channels === 3 ? decodeRgbPng(entry.bytes, entry.path) : decodeGreyPng(entry.bytes, entry.path);
  if (type === 'tiff') {
    if (channels === 1) return decodeTiffGrey(entry.bytes, entry.path);
    // RGB as a colour PNG gives it; a grey TIFF's grey in all three channels, as a grey PNG's.
    const { colour, pixels, ...rest } = decodeTiffGrey(entry.bytes, entry.path, true);
    return { ...rest, pixels: colour ?? repeatGrey(pixels) };
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([entry.bytes as BlobPart]));
  } catch {
    throw new Error(`${entry.path} is not a readable PNG or JPEG image.`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const pixels = new Uint8Array(channels * bitmap.width * bitmap.height);
  if (channels === 3) for (let i = 0; i < bitmap.width * bitmap.height; i++) pixels.set(rgba.subarray(4 * i, 4 * i + 3), 3 * i);
  else for (let i = 0; i < pixels.length; i++) pixels[i] = luma(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]);
  return { width: bitmap.width, height: bitmap.height, pixels };
}

