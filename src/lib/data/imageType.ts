/**
 * What an image file is, read from its first bytes rather than its name (a JPEG saved as .png is
 * still a JPEG), and its size from the header, so an oversized image is refused before any decoding.
 */
import { isTiff, tiffSize } from './tiff';

export type ImageType = 'png' | 'jpeg' | 'tiff';

export interface ImageHeader {
  type: ImageType;
  width: number;
  height: number;
}

/** Largest image we decode: 100 megapixels (a 10,000² micrograph), about 400 MB as RGBA while decoding. */
export const MAX_IMAGE_PIXELS = 100_000_000;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Type and size from the header, or undefined when the bytes are no PNG, JPEG or TIFF (or cut short). */
export function readImageHeader(bytes: Uint8Array, name = 'image'): ImageHeader | undefined {
  if (isTiff(bytes)) return { type: 'tiff', ...tiffSize(bytes, name) };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 24 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    return { type: 'png', width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    // Walk the marker segments to the first start-of-frame (SOF0–SOF15 except DHT, JPG, DAC).
    let at = 2;
    while (at + 9 < bytes.length) {
      if (bytes[at] !== 0xff) return undefined;
      const marker = bytes[at + 1];
      if (marker === 0xff) { at++; continue; } // fill byte
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { at += 2; continue; } // no length
      const length = view.getUint16(at + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { type: 'jpeg', height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
      }
      at += 2 + length;
    }
    return undefined;
  }
  return undefined;
}

/** The header of an image we can decode, or an error naming the file and what is wrong with it. */
export function checkImage(bytes: Uint8Array, name: string): ImageHeader {
  const header = readImageHeader(bytes, name);
  if (!header) throw new Error(`${name} is not a PNG, JPEG or TIFF image (its content is none of them, whatever its name says).`);
  if (header.width === 0 || header.height === 0) throw new Error(`${name} says it is ${header.width}×${header.height} px: it is damaged.`);
  if (header.width * header.height > MAX_IMAGE_PIXELS) {
    throw new Error(`${name} is ${header.width.toLocaleString('en')}×${header.height.toLocaleString('en')} px, over the ${MAX_IMAGE_PIXELS / 1e6}-megapixel limit; crop or shrink it first.`);
  }
  return header;
}
