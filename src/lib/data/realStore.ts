/** Real images, their tiles and traced cracks in IndexedDB. */
import type { CrackLabel } from '../synth/cracks/index';
import { commit, type Db, type RealImageRecord, type RealPixelsRecord, type TileRecord, type TraceRecord, writing } from './db';
import { cutTile, type GreyImage, type SplitSettings } from './tiling';
import { micronsPerPixelError } from '../synth/scale';

export const tileId = (imageId: string, x: number, y: number) => `${imageId}:${x}:${y}`;

/**
 * Stores an image and its tiles in one transaction: all or nothing. The pixels (and mask) go in
 * row bands of at most PART_BYTES, so no stored value nears the browser's per-value limit.
 */
export async function addRealImage(db: Db, name: string, image: GreyImage & { micronsPerPixel?: number; colour?: Uint8Array }, mask: GreyImage | null,
  tiles: { x: number; y: number; size: number; label: CrackLabel | null }[]): Promise<RealImageRecord> {
  const record: RealImageRecord = { id: crypto.randomUUID(), name, width: image.width, height: image.height, hasMask: !!mask, createdAt: Date.now(),
    ...(image.micronsPerPixel === undefined ? {} : { micronsPerPixel: image.micronsPerPixel }), ...(image.colour ? { channels: 3 as const } : {}) };
  const tx = db.transaction(['realImages', 'realPixels', 'tiles'], 'readwrite');
  const now = Date.now();
  await commit(tx, [
    () => tx.objectStore('realImages').put(record),
    ...pixelParts(record.id, image, mask).map((part) => () => tx.objectStore('realPixels').put(part)),
    ...tiles.map((t) => () => tx.objectStore('tiles').put({ id: tileId(record.id, t.x, t.y), imageId: record.id, ...t, pinnedTest: false, createdAt: now })),
  ], 'Images imported before this one are kept.');
  return record;
}

/**
 * Gives every stored image without a pixel size this one ("ask once per set"); images whose files
 * stated their own keep it. Returns how many were set.
 */
export async function setMissingPixelSize(db: Db, micronsPerPixel: number): Promise<number> {
  const message = micronsPerPixelError(micronsPerPixel);
  if (message) throw new RangeError(message);
  const missing = (await db.getAll('realImages')).filter((r) => r.micronsPerPixel === undefined);
  const tx = db.transaction('realImages', 'readwrite');
  await commit(tx, missing.map((r) => () => tx.store.put({ ...r, micronsPerPixel })), 'No pixel size was changed.');
  return missing.length;
}

export async function listRealImages(db: Db): Promise<RealImageRecord[]> {
  return (await db.getAll('realImages')).sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1));
}

/** Most bytes (image, colour and mask rows together) in one stored part of a real image. */
const PART_BYTES = 32 * 2 ** 20;
const partId = (id: string, k: number) => (k === 0 ? id : `${id}#${k}`);

/** An image (and its mask) as stored parts: bands of whole rows, each at most PART_BYTES. */
function pixelParts(id: string, image: GreyImage & { colour?: Uint8Array }, mask: GreyImage | null): RealPixelsRecord[] {
  const rowBytes = image.width * ((mask ? 2 : 1) + (image.colour ? 3 : 0));
  const rows = Math.max(1, Math.floor(PART_BYTES / rowBytes));
  const parts = Math.ceil(image.height / rows);
  const band = (g: GreyImage, k: number, channels = 1) => (parts === 1 ? g.pixels
    : g.pixels.slice(k * rows * g.width * channels, Math.min(image.height, (k + 1) * rows) * g.width * channels));
  return Array.from({ length: parts }, (_, k) => ({
    id: partId(id, k), pixels: band(image, k), ...(image.colour ? { colour: band({ ...image, pixels: image.colour }, k, 3) } : {}),
    ...(mask ? { mask: band(mask, k) } : {}), ...(k === 0 && parts > 1 ? { parts } : {}),
  }));
}

function joined(bands: Uint8Array[]): Uint8Array {
  if (bands.length === 1) return bands[0];
  const out = new Uint8Array(bands.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const b of bands) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** The pixels (and mask, if imported with one) of a stored real image, its parts joined. */
export async function getRealPixels(db: Db, id: string): Promise<{ pixels: Uint8Array; colour?: Uint8Array; mask?: Uint8Array } | undefined> {
  const first = await db.get('realPixels', id);
  if (!first) return undefined;
  const rest = await Promise.all(Array.from({ length: (first.parts ?? 1) - 1 }, (_, k) => db.get('realPixels', partId(id, k + 1))));
  if (rest.some((r) => !r)) return undefined;
  const parts = [first, ...(rest as RealPixelsRecord[])];
  return { pixels: joined(parts.map((p) => p.pixels)), ...(first.colour ? { colour: joined(parts.map((p) => p.colour!)) } : {}),
    ...(first.mask ? { mask: joined(parts.map((p) => p.mask!)) } : {}) };
}

export async function getRealImage(db: Db, id: string): Promise<GreyImage | undefined> {
  const [meta, data] = await Promise.all([db.get('realImages', id), getRealPixels(db, id)]);
  return meta && data ? { width: meta.width, height: meta.height, pixels: data.pixels } : undefined;
}

export async function deleteRealImage(db: Db, id: string): Promise<void> {
  const tiles = await db.getAllKeysFromIndex('tiles', 'byImage', id);
  const tx = db.transaction(['realImages', 'realPixels', 'tiles', 'traces'], 'readwrite');
  const traces = tx.objectStore('traces').index('byTile');
  const traceKeys = (await Promise.all(tiles.map((t) => traces.getAllKeys(t)))).flat();
  await Promise.all([
    tx.objectStore('realImages').delete(id), tx.objectStore('realPixels').delete(id),
    tx.objectStore('realPixels').delete(IDBKeyRange.bound(`${id}#`, `${id}#\uffff`)),
    ...tiles.map((t) => tx.objectStore('tiles').delete(t)), ...traceKeys.map((k) => tx.objectStore('traces').delete(k)), tx.done,
  ]);
}

export async function listTiles(db: Db, imageId?: string): Promise<TileRecord[]> {
  const tiles = imageId ? await db.getAllFromIndex('tiles', 'byImage', imageId) : await db.getAll('tiles');
  return tiles.sort((a, b) => a.createdAt - b.createdAt || a.y - b.y || a.x - b.x);
}

export async function putTiles(db: Db, tiles: TileRecord[]): Promise<void> {
  const tx = db.transaction('tiles', 'readwrite');
  await commit(tx, tiles.map((t) => () => tx.store.put(t)), 'The tiles were not changed.');
}

export async function deleteTiles(db: Db, ids: string[]): Promise<void> {
  const tx = db.transaction('tiles', 'readwrite');
  await Promise.all([...ids.map((id) => tx.store.delete(id)), tx.done]);
}

/** The pixels of every tile that passes `keep`, cut from their images (for export or texture). */
export async function tilePixels(db: Db, keep: (t: TileRecord) => boolean): Promise<{ tile: TileRecord; name: string; pixels: Uint8Array }[]> {
  const [tiles, images] = await Promise.all([db.getAll('tiles'), db.getAll('realImages')]);
  const meta = new Map(images.map((i) => [i.id, i]));
  const out: { tile: TileRecord; name: string; pixels: Uint8Array }[] = [];
  const cache = new Map<string, GreyImage | undefined>();
  for (const tile of tiles.filter(keep)) {
    if (!cache.has(tile.imageId)) cache.set(tile.imageId, await getRealImage(db, tile.imageId));
    const image = cache.get(tile.imageId);
    if (!image) continue;
    const stem = (meta.get(tile.imageId)?.name ?? 'image').replace(/\.[^.]+$/, '');
    // A tile that is its whole image keeps the image's name, so export → import → export is stable.
    const whole = image.width === tile.size && image.height === tile.size;
    out.push({ tile, name: whole ? stem : `${stem}-${tile.y}-${tile.x}`, pixels: cutTile(image, tile.x, tile.y, tile.size) });
  }
  return out;
}

export async function listTraces(db: Db): Promise<TraceRecord[]> {
  return db.getAll('traces');
}

export async function putTrace(db: Db, trace: TraceRecord): Promise<void> {
  await writing(() => db.put('traces', trace), 'The trace was not saved.');
}

export async function deleteTrace(db: Db, id: string): Promise<void> {
  await db.delete('traces', id);
}

export const DEFAULT_SPLIT: SplitSettings = { seed: 1, val: 0.2, test: 0.1 };

export async function getSplitSettings(db: Db): Promise<SplitSettings> {
  return ((await db.get('settings', 'split'))?.value as SplitSettings | undefined) ?? DEFAULT_SPLIT;
}

export async function putSplitSettings(db: Db, settings: SplitSettings): Promise<void> {
  await writing(() => db.put('settings', { key: 'split', value: settings }), 'The split settings were not saved.');
}
