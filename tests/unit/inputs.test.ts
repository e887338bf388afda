/** Hostile and careless input at the byte level: image types from content, sizes from headers, zips with a budget. */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkImage, MAX_IMAGE_PIXELS, readImageHeader } from '../../src/lib/data/imageType';
import { encodeGreyPng } from '../../src/lib/data/png';
import { unzipBounded } from '../../src/lib/data/zip';

/** A PNG header (signature + IHDR) claiming any size, with no image data after it. */
function pngHeader(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(bytes.buffer).setUint32(16, width);
  new DataView(bytes.buffer).setUint32(20, height);
  return bytes;
}

/** The start of a baseline JPEG: SOI, an APP0 segment, then SOF0 with the size. */
function jpegHeader(width: number, height: number): Uint8Array {
  const app0 = [0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const sof0 = [0xff, 0xc0, 0, 11, 8, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0];
  return Uint8Array.from([0xff, 0xd8, ...app0, ...sof0, 0xff, 0xd9]);
}

describe('image files', () => {
  it('are told apart by content, not name, with their size from the header', () => {
    expect(readImageHeader(encodeGreyPng(new Uint8Array(12), 4, 3))).toEqual({ type: 'png', width: 4, height: 3 });
    expect(checkImage(jpegHeader(640, 480), 'photo.png')).toEqual({ type: 'jpeg', width: 640, height: 480 });
    expect(() => checkImage(new TextEncoder().encode('hello, not an image'), 'notes.png')).toThrow('notes.png is not a PNG, JPEG or TIFF image');
    expect(() => checkImage(new Uint8Array(0), 'empty.png')).toThrow('is not a PNG, JPEG or TIFF image');
    expect(() => checkImage(pngHeader(0, 10), 'zero.png')).toThrow('damaged');
  });

  it('over the size limit are refused from the header, before decoding', () => {
    expect(MAX_IMAGE_PIXELS).toBe(100_000_000);
    expect(() => checkImage(pngHeader(20_000, 20_000), 'huge.png')).toThrow('huge.png is 20,000×20,000 px, over the 100-megapixel limit');
    expect(() => checkImage(jpegHeader(60_000, 60_000), 'huge.jpg')).toThrow('over the 100-megapixel limit');
    expect(checkImage(pngHeader(10_000, 10_000), 'big.png').width).toBe(10_000);
  });
});

describe('zip archives', () => {
  it('open within their budget', () => {
    const files = unzipBounded(zipSync({ 'a/b.txt': new Uint8Array([1, 2]), 'c.bin': new Uint8Array(10) }), 'ok.zip', { files: 10, totalBytes: 1e6 });
    expect(Object.keys(files).sort()).toEqual(['a/b.txt', 'c.bin']);
  });

  it('read UTF-8 names whether or not the zip flags them so (Info-ZIP does not)', () => {
    const flagged = zipSync({ 'Körner/probe_µ1.png': new Uint8Array([1]) });
    // The same archive as Info-ZIP writes it: bit 11 (UTF-8 names) clear in every header.
    const unflagged = flagged.slice(), view = new DataView(unflagged.buffer);
    for (let i = 0; i + 4 <= unflagged.length; i++) {
      const signature = view.getUint32(i, true);
      if (signature === 0x04034b50) view.setUint16(i + 6, view.getUint16(i + 6, true) & ~0x800, true);
      if (signature === 0x02014b50) view.setUint16(i + 8, view.getUint16(i + 8, true) & ~0x800, true);
    }
    for (const zip of [flagged, unflagged]) expect(Object.keys(unzipBounded(zip, 'names.zip', { files: 10, totalBytes: 1e6 }))).toEqual(['Körner/probe_µ1.png']);
  });

  it('refuse too many files or too many inflated bytes before inflating, and say which', () => {
    const many = zipSync(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.png`, new Uint8Array(1)])));
    expect(() => unzipBounded(many, 'junk.zip', { files: 20, totalBytes: 1e9 })).toThrow('junk.zip holds more than 20 files');
    const bomb = zipSync({ 'zeros.png': new Uint8Array(50e6) }, { level: 9 });
    expect(bomb.length).toBeLessThan(200_000);
    const started = performance.now();
    expect(() => unzipBounded(bomb, 'bomb.zip', { files: 10, totalBytes: 10e6 })).toThrow('bomb.zip would inflate to more than 10 MB (it says 50 MB or more)');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(() => unzipBounded(new Uint8Array([1, 2, 3]), 'no.zip', { files: 10, totalBytes: 1e6 })).toThrow('no.zip is not a readable zip file');
  });
});
