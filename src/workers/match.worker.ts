/// <reference lib="webworker" />
/** Thin adapter: decodes the user's micrographs and measures their look (src/lib/synth/grains/match.ts) off the UI thread. */
import { decodeImage } from '../lib/data/decodeImage';
import { serve, type Endpoint } from '../lib/engine/rpc';
import { matchGrainLook } from '../lib/synth/grains/match';
import type { MatchApi } from '../app/match';

serve<MatchApi>(self as unknown as Endpoint, {
  matchGrains: async ({ files, size }) => {
    const images = await Promise.all(files.map((f) => decodeImage({ path: f.name, bytes: f.bytes, keepColour: true })));
    return { ...matchGrainLook(images, { size }), widths: images.map((im) => im.width), micronsPerPixel: images.map((im) => im.micronsPerPixel ?? null) };
  },
});
