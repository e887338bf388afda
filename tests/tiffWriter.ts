/** Test helper shared by unit and browser tests. */
/** A minimal little-endian, uncompressed, single-strip baseline TIFF (enough to test the reader). */
export function tiff(width: number, height: number, values: ArrayLike<number>, options: { bits?: 8 | 16 | 32; samples?: number; float?: boolean; signed?: boolean; tiled?: boolean; resolution?: number; unit?: number; description?: string } = {}): Uint8Array {
  const bits = options.bits ?? 8, samples = options.samples ?? 1, bytesPer = bits / 8;
  const pixelBytes = width * height * samples * bytesPer;
  const description = options.description ? new TextEncoder().encode(options.description + '\0') : null;
  const entries: [number, number, number, number][] = []; // tag, type, count, value (or offset)
  const extra: Uint8Array[] = [];
  const headerAndIfdSize = 8 + 2 + 15 * 12 + 4;
  let extraOffset = headerAndIfdSize;
  const addExtra = (bytes: Uint8Array) => { const at = extraOffset; extra.push(bytes); extraOffset += bytes.length + (bytes.length % 2); return at; };
  // Up to two 16-bit counts fit in the entry itself (TIFF stores values of 4 bytes or fewer inline).
  const bitsPerSample = samples > 2 ? addExtra(new Uint8Array(new Uint16Array(Array(samples).fill(bits)).buffer)) : samples === 2 ? bits | (bits << 16) : bits;
  const resolution = addExtra(new Uint8Array(new Uint32Array([Math.round((options.resolution ?? 72) * 1000), 1000]).buffer));
  const descriptionAt = description ? addExtra(description) : 0;
  const pixelsAt = extraOffset;
  entries.push([256, 4, 1, width], [257, 4, 1, height], [258, 3, samples, bitsPerSample], [259, 3, 1, 1], [262, 3, 1, samples >= 3 ? 2 : 1]);
  if (description) entries.push([270, 2, description.length, descriptionAt]);
  // Tiled: the whole image as one tile (sides multiples of 16, as TIFF requires), else one strip.
  if (options.tiled) entries.push([277, 3, 1, samples], [282, 5, 1, resolution], [283, 5, 1, resolution], [296, 3, 1, options.unit ?? 2], [322, 4, 1, width], [323, 4, 1, height], [324, 4, 1, pixelsAt], [325, 4, 1, pixelBytes]);
  else entries.push([273, 4, 1, pixelsAt], [277, 3, 1, samples], [278, 4, 1, height], [279, 4, 1, pixelBytes], [282, 5, 1, resolution], [283, 5, 1, resolution], [296, 3, 1, options.unit ?? 2]);
  if (samples === 2 || samples === 4) entries.push([338, 3, 1, 2]); // the last sample is (unassociated) alpha
  if (options.float) entries.push([339, 3, 1, 3]);
  if (options.signed) entries.push([339, 3, 1, 2]);
  const out = new Uint8Array(pixelsAt + pixelBytes);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 0x2a, 0x00]);
  view.setUint32(4, 8, true);
  view.setUint16(8, entries.length, true);
  entries.sort((a, b) => a[0] - b[0]).forEach(([tag, type, count, value], k) => {
    const at = 10 + 12 * k;
    view.setUint16(at, tag, true); view.setUint16(at + 2, type, true); view.setUint32(at + 4, count, true);
    if (type === 3 && count === 1) view.setUint16(at + 8, value, true); else view.setUint32(at + 8, value >>> 0, true);
  });
  view.setUint32(10 + 12 * entries.length, 0, true);
  let at = headerAndIfdSize;
  for (const e of extra) { out.set(e, at); at += e.length + (e.length % 2); }
  for (let i = 0; i < width * height * samples; i++) {
    if (bits === 8) out[pixelsAt + i] = values[i];
    else if (bits === 16 && options.signed) view.setInt16(pixelsAt + 2 * i, values[i], true);
    else if (bits === 16) view.setUint16(pixelsAt + 2 * i, values[i], true);
    else view.setFloat32(pixelsAt + 4 * i, values[i], true);
  }
  return out;
}

