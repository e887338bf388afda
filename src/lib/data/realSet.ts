/**
 * The user's stored real tiles (Real data tab) as data for a model: which tiles serve a task, in
 * which split, and their pixels. No TF.js: the Train view reads the split to make a fine-tune
 * record; the engine worker reads the pixels to train and evaluate.
 */
import type { RealItem } from '../experiment/config';
import { UNET_MULTIPLE, type Task } from '../ml/config';
import type { Db, TileRecord } from './db';
import { getRealPixels, getSplitSettings, listRealImages, listTiles } from './realStore';
import { repeatGrey } from '../synth/grains/colour';
import { assignSplits, cutTile, type GreyImage, type Split } from './tiling';

/**
 * Tiles a task can use: a classifier every labelled tile (crack / no crack); a U-Net the labelled
 * tiles of images imported with a mask (image + label pairs), whose mask is cut with the tile.
 * Unlabelled tiles have no split and are never used.
 */
async function usableTiles(db: Db, task: Task): Promise<TileRecord[]> {
  const tiles = (await listTiles(db)).filter((t) => t.label !== null);
  if (task === 'classify') return tiles;
  const masked = new Set((await listRealImages(db)).filter((i) => i.hasMask).map((i) => i.id));
  return tiles.filter((t) => masked.has(t.imageId));
}

export interface RealSplit {
  /** Tile ids per split, as the Real data tab shows them (its split settings and pins). */
  ids: Record<Split, string[]>;
  /** The commonest tile side, px (0 without tiles). */
  tileSize: number;
}

export async function realSplit(db: Db, task: Task): Promise<RealSplit> {
  const tiles = await usableTiles(db, task);
  const splits = assignSplits(tiles, await getSplitSettings(db));
  const ids: Record<Split, string[]> = { train: [], val: [], test: [] };
  const sizes = new Map<number, number>();
  for (const t of tiles) {
    ids[splits.get(t.id)!].push(t.id);
    sizes.set(t.size, (sizes.get(t.size) ?? 0) + 1);
  }
  const tileSize = [...sizes].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 0;
  return { ids, tileSize };
}

/**
 * The input size real tiles are trained at. A classifier keeps its own input size (tiles are
 * resized to it, as Analyse resizes its windows). A U-Net is fully convolutional, so it takes the
 * tiles at their own scale (the largest multiple of 32 that fits): resizing would show it the real
 * micrographs at another magnification than the one it will analyse them at.
 */
export function fineTuneSize(task: Task, modelSize: number, tileSize: number): number {
  return task === 'classify' ? modelSize : Math.max(UNET_MULTIPLE, Math.floor(tileSize / UNET_MULTIPLE) * UNET_MULTIPLE);
}

/** What a fine-tune would use: counts per split, and why it cannot, in words. */
export function realSplitProblem({ ids: split }: RealSplit, task: Task): string | undefined {
  const what = task === 'classify' ? 'labelled real tiles (Real data tab: import, then label crack / no crack)' : 'real images imported with a boundary mask (Real data tab: image/ + label/ folders)';
  if (split.train.length === 0) return `No ${what} in the training split yet.`;
  if (split.val.length === 0) return 'The real split has no validation tiles: raise the validation share in the Real data tab.';
  return undefined;
}

/**
 * The pixels of the given tiles as real items (image, mask or label) with the split each belongs
 * to; tiles deleted since are left out and counted.
 */
export async function realItems(db: Db, task: Task, ids: Partial<Record<Split, readonly string[]>>, channels: 1 | 3 = 1): Promise<{ items: RealItem[]; missing: number }> {
  const wanted = new Map<string, Split>();
  for (const split of ['train', 'val', 'test'] as const) for (const id of ids[split] ?? []) wanted.set(id, split);
  const items = await tileItems(db, task, (await listTiles(db)).filter((t) => wanted.has(t.id)), (t) => wanted.get(t.id)!, channels);
  return { items, missing: wanted.size - items.length };
}

/**
 * Tiles cut from their images (each image read once) as real items in the set `setOf` gives; with
 * `channels` 3, RGB tiles from colour uploads (grey images repeat their grey in all three).
 */
async function tileItems(db: Db, task: Task, tiles: readonly TileRecord[], setOf: (t: TileRecord) => RealItem['set'], channels: 1 | 3 = 1): Promise<RealItem[]> {
  const images = new Map<string, GreyImage & { mask?: Uint8Array; colour?: Uint8Array } | undefined>();
  const items: RealItem[] = [];
  for (const tile of tiles) {
    if (!images.has(tile.imageId)) {
      const [meta, data] = await Promise.all([db.get('realImages', tile.imageId), getRealPixels(db, tile.imageId)]);
      images.set(tile.imageId, meta && data && { width: meta.width, height: meta.height, pixels: data.pixels, mask: data.mask, colour: data.colour });
    }
    const image = images.get(tile.imageId);
    if (!image || (task === 'segment' && !image.mask)) continue;
    const square = (pixels: Uint8Array) => ({ width: tile.size, height: tile.size, pixels });
    const pixels = channels === 3 && image.colour ? cutTile({ ...image, pixels: image.colour }, tile.x, tile.y, tile.size, 3)
      : channels === 3 ? repeatGrey(cutTile(image, tile.x, tile.y, tile.size)) : cutTile(image, tile.x, tile.y, tile.size);
    items.push({
      name: tile.imageId, set: setOf(tile), image: square(pixels),
      ...(task === 'segment'
        ? { mask: square(cutTile({ ...image, pixels: image.mask! }, tile.x, tile.y, tile.size)) }
        : { label: tile.label === 'crack' ? 1 : 0 }),
    });
  }
  return items;
}


/** What an experiment's stored real set holds, to show before it runs. */
export interface StoredRealSummary {
  tiles: number;
  images: number;
  /** Tiles per class (cracks), or 0 / 0 for grains. */
  crack: number;
  noCrack: number;
  /** Images pinned to test (through any of their tiles). */
  pinnedImages: number;
  /** The Real data tab's shares (its seed is not used: each run splits by its own seed). */
  split: { val: number; test: number };
}

/**
 * An experiment's real set from the Real data tab: the tiles a task can use as one set ('all'),
 * named by their image so run.ts splits whole images together, by each run's seed. Pins are per
 * tile in the tab but a split keeps images whole, so a pinned tile pins its whole image to test
 * (splitting an image across train and test would leak it).
 */
export async function storedRealSet(db: Db, task: Task, channels: 1 | 3 = 1): Promise<{ items: RealItem[]; pinTest: string[]; summary: StoredRealSummary }> {
  const tiles = await usableTiles(db, task);
  const items = await tileItems(db, task, tiles, () => 'all', channels);
  return { items, pinTest: pinnedImages(tiles), summary: await summariseStored(db, tiles) };
}

/** The stored real set's counts and shares, without reading pixels. */
export async function storedRealSummary(db: Db, task: Task): Promise<StoredRealSummary> {
  return summariseStored(db, await usableTiles(db, task));
}

/** The images a pinned tile pins to test, in a fixed order. */
export function pinnedImages(tiles: readonly Pick<TileRecord, 'imageId' | 'pinnedTest'>[]): string[] {
  return [...new Set(tiles.filter((t) => t.pinnedTest).map((t) => t.imageId))].sort();
}

async function summariseStored(db: Db, tiles: TileRecord[]): Promise<StoredRealSummary> {
  const { val, test } = await getSplitSettings(db);
  return {
    tiles: tiles.length, images: new Set(tiles.map((t) => t.imageId)).size,
    crack: tiles.filter((t) => t.label === 'crack').length, noCrack: tiles.filter((t) => t.label === 'no_crack').length,
    pinnedImages: pinnedImages(tiles).length, split: { val, test },
  };
}
