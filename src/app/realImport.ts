/**
 * Bringing real images in and labelled tiles out: files, folders and zips in the layouts of
 * shared/realdata; zips opened and images decoded in a worker (app/files.ts), PNGs and TIFFs with the
 * same code as Node, JPEGs by the browser.
 */
import { zipSync } from 'fflate';
import { StorageFullError, type Db } from '../lib/data/db';
import { planImport } from '../lib/data/importLayout';
import type { FileEntry } from '../lib/data/decodeImage';
import { decodeFile, unzipFile, type DecodedImage } from './files';
import { encodeGreyPng } from '../lib/data/png';
import { addRealImage, tilePixels } from '../lib/data/realStore';
import { CancelledError, yieldToEvents } from '../lib/engine/rpc';
import { checkMaskSize, gridPositions, labelFromMask, maskLevels, maskLooksInverted, MAX_TILES_PER_IMAGE, TILE, TooManyTilesError, type GreyImage } from '../lib/data/tiling';

export interface ImportSummary {
  images: number;
  tiles: number;
  labelled: number;
  skipped: string[];
  errors: string[];
  /** Cancelled part-way: images imported before the cancel are kept. */
  cancelled: boolean;
  /** Images the import meant to bring in. */
  total: number;
}

/** Problems listed in full before the rest are only counted: a zip of junk must not make a 300,000-character message. */
const LISTED_ERRORS = 5;

/** What an import did, in words: a status line, and a short list of problems (if any) for an alert. */
export function importMessages(summary: ImportSummary): { message: string; error: string } {
  const done = `${summary.images} images with ${summary.tiles} tiles (${summary.labelled} labelled)`;
  const message = (summary.cancelled ? `Import cancelled after ${summary.images + summary.errors.length} of ${summary.total} images; kept ${done}.` : `Imported ${done}.`) +
    (summary.skipped.length ? ` Skipped ${summary.skipped.length} files that are not PNG, JPEG or TIFF images.` : '');
  const more = summary.errors.length - LISTED_ERRORS;
  let error = summary.errors.slice(0, LISTED_ERRORS).join(' ') + (more > 0 ? ` … and ${more} more files that could not be read.` : '');
  if (summary.images === 0 && !summary.errors.length && !summary.cancelled) error = 'No PNG, JPEG or TIFF images found in what was given.';
  return { message, error };
}

/** Stride of the grid that image + mask pairs are cut on, as in the real tile set. */
export const PAIR_STRIDE = 64;

/** Files from a picker or a drop; zips are opened and their entries take part as files. */
export async function readEntries(files: Iterable<File>): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  for (const file of files) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const path = (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name;
    if (/\.zip$/i.test(file.name)) out.push(...(await unzipFile(bytes, file.name)));
    else out.push({ path, bytes });
  }
  return out;
}

/** Every file of a dropped folder tree (DataTransfer entries), with its path. */
export async function filesFromDrop(items: DataTransferItemList): Promise<File[]> {
  const files: File[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      files.push(new File([file], prefix + file.name, { type: file.type }));
      Object.defineProperty(files[files.length - 1], 'webkitRelativePath', { value: prefix + file.name });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  const entries = [...items].map((i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => !!e);
  for (const entry of entries) await walk(entry, '');
  return files;
}

const baseName = (path: string) => path.split('/').pop()!;

/** The import grid of an image, or an error saying to crop it when it would make too many tiles. */
function importGrid(path: string, image: GreyImage, stride: number): [number, number][] {
  try {
    return gridPositions(image.width, image.height, TILE, stride);
  } catch (e) {
    if (!(e instanceof TooManyTilesError)) throw e;
    throw new Error(`${path} is ${image.width}×${image.height}: cut on the ${stride}-px import grid it would make ${e.count.toLocaleString('en')} tiles, ` +
      `more than the ${MAX_TILES_PER_IMAGE.toLocaleString('en')} allowed per image. Crop it into smaller images and import those.`);
  }
}

/**
 * Imports entries: labelled tiles keep their label (a bigger labelled image is tiled on a grid with
 * that label); image + mask pairs are tiled on a 64-px grid and labelled from the mask; other images
 * are stored to be tiled and labelled by hand. A file that cannot be read is reported and skipped;
 * a full disk or an aborted `signal` stops the import, keeping the images stored before it.
 * `decode` reads one file (default: in the files worker; Node tests decode in place).
 */
/**
 * A mask file's pixels in the convention every reader thresholds (maskLevels). Its bytes are
 * copied first: decoding hands them over, and one mask can serve two images (a.png, a.tif).
 */
export async function readMask(entry: FileEntry, decode: (entry: FileEntry & { mask?: boolean }, signal?: AbortSignal) => Promise<DecodedImage> = decodeFile,
  signal?: AbortSignal): Promise<GreyImage> {
  return maskLevels(await decode({ ...entry, bytes: entry.bytes.slice(), mask: true }, signal));
}

export async function importEntries(db: Db, entries: FileEntry[], onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal, decode: (entry: FileEntry, signal?: AbortSignal) => Promise<DecodedImage> = decodeFile): Promise<ImportSummary> {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const { items, skipped, unmatchedMasks, duplicateMasks } = planImport(entries.map((e) => e.path));
  const errors = [
    ...unmatchedMasks.map((path) => `${path} is a mask with no image of the same name in an image or images folder beside it, so it was not imported; add its image or rename one of the two.`),
    ...duplicateMasks.map(({ used, unused }) => `${unused} and ${used} are masks of the same image; ${used} was used. Remove the other, or rename it and its image.`),
  ];
  const summary: ImportSummary = { images: 0, tiles: 0, labelled: 0, skipped, errors, cancelled: false, total: items.length };
  let done = 0;
  for (const item of items) {
    onProgress?.(done++, items.length);
    await yieldToEvents(); // let the progress paint and a Cancel click in between images
    if (signal?.aborted) {
      summary.cancelled = true;
      return summary;
    }
    try {
      // Colour uploads keep their RGB beside the grey (for colour models); masks are read grey.
      const image = await decode({ ...byPath.get(item.path)!, keepColour: true } as FileEntry, signal);
      if (image.width < TILE || image.height < TILE) throw new Error(`${item.path} is ${image.width}×${image.height}; images must be at least ${TILE}×${TILE} px.`);
      let mask: GreyImage | null = null;
      let tiles: { x: number; y: number; size: number; label: 'crack' | 'no_crack' | null }[] = [];
      if (item.kind === 'tile') {
        tiles = importGrid(item.path, image, image.width === TILE && image.height === TILE ? TILE : PAIR_STRIDE)
          .map(([x, y]) => ({ x, y, size: TILE, label: item.label }));
      } else if (item.kind === 'pair') {
        mask = await readMask(byPath.get(item.maskPath)!, decode, signal);
        checkMaskSize(mask, image, item.maskPath, item.path);
        // Imported as it is (the user may mean it), with a word on what it most likely is.
        if (maskLooksInverted(mask)) summary.errors.push(`${item.maskPath} marks more than half of its image as crack; masks mark cracks white (or 1) on black. If yours is drawn the other way round, invert it, delete ${baseName(item.path)} and import it again.`);
        tiles = importGrid(item.path, image, PAIR_STRIDE).map(([x, y]) => ({ x, y, size: TILE, label: labelFromMask(mask!, x, y, TILE) }));
      }
      await addRealImage(db, baseName(item.path), image, mask, tiles);
      summary.images++;
      summary.tiles += tiles.length;
      summary.labelled += tiles.filter((t) => t.label).length;
    } catch (e) {
      if (e instanceof StorageFullError) throw e;
      if (e instanceof CancelledError) return { ...summary, cancelled: true };
      summary.errors.push((e as Error).message);
    }
  }
  onProgress?.(items.length, items.length);
  return summary;
}

/** A zip of every labelled tile in the crack/ + no_crack/ layout. */
export async function exportLabelledTiles(db: Db): Promise<{ zip: Uint8Array; count: number }> {
  const tiles = await tilePixels(db, (t) => t.label !== null);
  const files: Record<string, Uint8Array> = {};
  for (const { tile, name, pixels } of tiles) files[`${tile.label}/${name}.png`] = encodeGreyPng(pixels, tile.size, tile.size);
  return { zip: zipSync(files, { level: 0 }), count: tiles.length };
}
