/// <reference lib="webworker" />
/** Thin adapter: opens zips and decodes images (src/lib/data) off the UI thread, handing buffers over rather than copying. */
import { decodeImage } from '../lib/data/decodeImage';
import { REAL_DATA_ZIP, unzipBounded } from '../lib/data/zip';
import { serve, transfer, type Endpoint } from '../lib/engine/rpc';
import type { FilesApi } from '../app/files';

serve<FilesApi>(self as unknown as Endpoint, {
  decode: async (entry) => {
    const image = await decodeImage(entry);
    return transfer(image, [image.pixels.buffer as ArrayBuffer, ...(image.colour ? [image.colour.buffer as ArrayBuffer] : [])]);
  },
  unzip: async ({ bytes, name }) => {
    const entries = Object.entries(unzipBounded(bytes, name, REAL_DATA_ZIP)).map(([path, data]) => ({ path, bytes: data }));
    // Stored entries may share the zip's buffer: each buffer is handed over once.
    return transfer(entries, [...new Set(entries.map((e) => e.bytes.buffer as ArrayBuffer))]);
  },
});
