/** Reads a real-data folder an experiment names: grains as images/ + masks/, cracks as crack/ + no_crack/. */
import type { RealSetName } from '../lib/experiment/config';
import type { RealItem } from '../lib/experiment/config';
import { planImport } from '../lib/data/importLayout';
import { checkMaskSize } from '../lib/data/tiling';
import { decodeFile } from './files';
import { readEntries, readMask } from './realImport';
import type { FileEntry } from '../lib/data/decodeImage';

/**
 * Images in `channels` (3: RGB, for a colour model); masks are always grey. With `keepImages`,
 * `images` holds copies of the image files' bytes (never the masks), for measuring their look
 * (`synthetic.match: true`); decoding hands the originals to a worker.
 */
export async function readRealFolder(files: File[], set: RealSetName, task: 'grains' | 'cracks', channels: 1 | 3 = 1,
  keepImages = false): Promise<{ items: RealItem[]; images: FileEntry[] | null }> {
  const entries = await readEntries(files);
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const { items, duplicateMasks } = planImport(entries.map((e) => e.path));
  // An experiment's labels must be what the folder says, not a pick between two masks.
  if (duplicateMasks.length > 0) {
    const { used, unused } = duplicateMasks[0];
    throw new Error(`${used} and ${unused} are masks of the same image in the ${set} folder; remove one of them.`);
  }
  const out: RealItem[] = [], images: FileEntry[] = [];
  const name = (path: string) => path.split('/').pop()!;
  for (const item of items) {
    if (task === 'grains' && item.kind === 'pair') {
      if (keepImages) images.push({ path: item.path, bytes: byPath.get(item.path)!.bytes.slice() });
      const image = await decodeFile(byPath.get(item.path)!, undefined, channels), mask = await readMask(byPath.get(item.maskPath)!);
      checkMaskSize(mask, image, item.maskPath, item.path);
      out.push({ name: name(item.path), set, image, mask });
    } else if (task === 'cracks' && item.kind === 'tile') {
      out.push({ name: name(item.path), set, image: await decodeFile(byPath.get(item.path)!), label: item.label === 'crack' ? 1 : 0 });
    }
  }
  if (out.length === 0) {
    throw new Error(task === 'grains'
      ? `The ${set} folder has no images/NAME.png with masks/NAME.png pairs; grain experiments need hand-labelled boundary masks.`
      : `The ${set} folder has no crack/ or no_crack/ tiles.`);
  }
  return { items: out, images: keepImages ? images : null };
}
