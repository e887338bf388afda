/** Dataset-level helpers shared by the CLI and the browser: shards and fingerprints. */

/** Checks what every recipe has: its image size (within a kind's range), sample count and seed. */
/** Bounds on one dataset: far above the paper's (99,140 tiles of 128², 4,000 images of 512²), far below what breaks a tab. */
export const MAX_COUNT = 1_000_000;
export const MAX_DATASET_PIXELS = 16e9;

export function validateSizeCountSeed(r: { size: number; count: number; seed: number }, what: string, minSize: number, maxSize: number): void {
  if (!Number.isInteger(r.size) || r.size < minSize || r.size > maxSize) {
    throw new RangeError(`${what} size must be a whole number of pixels from ${minSize} to ${maxSize}; got ${r.size}.`);
  }
  if (!Number.isInteger(r.count) || r.count < 1 || r.count > MAX_COUNT) {
    throw new RangeError(`Count must be a whole number from 1 to ${MAX_COUNT.toLocaleString('en')}; got ${r.count}.`);
  }
  if (r.count * r.size * r.size > MAX_DATASET_PIXELS) {
    throw new RangeError(`${r.count} ${what.toLowerCase()}s of ${r.size}² px would need about ${Math.round((2 * r.count * r.size * r.size) / 1e9)} GB (image and label); keep count × size² under ${MAX_DATASET_PIXELS / 1e9} billion pixels.`);
  }
  if (!Number.isInteger(r.seed) || r.seed < 0 || r.seed > 0xffffffff) {
    throw new RangeError(`Seed must be a whole number from 0 to 4294967295; got ${r.seed}.`);
  }
}

export interface Shard {
  /** 1-based, as cluster job arrays count. */
  index: number;
  total: number;
}

/** Parses "I/N" (1 ≤ I ≤ N) or throws a message saying what is expected. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN, total = match ? Number(match[2]) : NaN;
  if (!match || total < 1 || index < 1 || index > total) {
    throw new RangeError(`--shard must look like I/N with 1 ≤ I ≤ N (e.g. 3/8); got "${text}".`);
  }
  return { index, total };
}

/** The contiguous block of sample indices [start, end) that shard I of N makes. */
export function shardRange(count: number, shard: Shard = { index: 1, total: 1 }): [number, number] {
  return [Math.floor((count * (shard.index - 1)) / shard.total), Math.floor((count * shard.index) / shard.total)];
}

/** FNV-1a, 32 bit, continued from `hash` over every byte given. */
export function fnv1a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** A sample's fingerprint covers its image and its label. */
export function sampleHash(image: Uint8Array, label: Uint8Array): number {
  return fnv1a(label, fnv1a(image));
}

/** A dataset's fingerprint: its sample hashes in index order. Same recipe → same fingerprint. */
export function datasetFingerprint(sampleHashes: readonly number[]): string {
  let h = 0x811c9dc5;
  for (const s of sampleHashes) {
    for (let b = 0; b < 4; b++) h = Math.imul(h ^ ((s >>> (8 * b)) & 255), 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
