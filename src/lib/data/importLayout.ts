/**
 * Recognising the folder layouts SynthScope reads (as in shared/realdata):
 *  - labelled tiles:   …/crack/NAME.png and …/no_crack/NAME.png
 *  - image + mask:     …/image/NAME.png with …/label/NAME.png (or images/ + masks/), mask > 127 = crack
 *  - anything else:    a plain image to tile and label by hand.
 */
export type ImportItem =
  | { kind: 'tile'; path: string; label: 'crack' | 'no_crack' }
  | { kind: 'pair'; path: string; maskPath: string }
  | { kind: 'image'; path: string };

export const IMAGE_FILE = /\.(png|jpe?g|tiff?)$/i;

// Empty and "." segments say nothing (zip tools may write ./set/image/a.png); a hidden file starts with a dot.
const parts = (path: string) => path.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
const stem = (name: string) => name.replace(/\.[^.]+$/, '');

const MASK_FOLDERS = new Set(['label', 'labels', 'mask', 'masks']);
const IMAGE_FOLDERS = new Set(['image', 'images']);

/**
 * Plans what to do with each file: masks go with their images (`unmatchedMasks`: those without one),
 * non-images are skipped. Two masks for one image (a.png and a.tif, or in masks/ and labels/): the
 * first in path order is used and the others are named in `duplicateMasks` beside it.
 */
export function planImport(paths: readonly string[]): { items: ImportItem[]; skipped: string[]; unmatchedMasks: string[]; duplicateMasks: { used: string; unused: string }[] } {
  const pairKey = (p: string[]) => [...p.slice(0, -2), stem(p.at(-1)!)].join('/');
  const masks = new Map<string, string>();
  const duplicateMasks: { used: string; unused: string }[] = [];
  for (const path of [...paths].sort()) {
    const p = parts(path);
    if (!IMAGE_FILE.test(path) || !MASK_FOLDERS.has(p.at(-2)?.toLowerCase() ?? '')) continue;
    const used = masks.get(pairKey(p));
    if (used === undefined) masks.set(pairKey(p), path);
    else duplicateMasks.push({ used, unused: path });
  }
  const items: ImportItem[] = [];
  const skipped: string[] = [];
  for (const path of paths) {
    const p = parts(path);
    const folder = p.at(-2)?.toLowerCase() ?? '';
    if (!IMAGE_FILE.test(path) || p.some((s) => s.startsWith('.') || s === '__MACOSX')) skipped.push(path);
    else if (MASK_FOLDERS.has(folder)) continue; // read with its image
    else if (folder === 'crack' || folder === 'no_crack') items.push({ kind: 'tile', path, label: folder });
    else if (IMAGE_FOLDERS.has(folder) && masks.has(pairKey(p))) items.push({ kind: 'pair', path, maskPath: masks.get(pairKey(p))! });
    else items.push({ kind: 'image', path });
  }
  // A mask whose image is not there is reported, not lost without a word.
  const paired = new Set(items.flatMap((it) => (it.kind === 'pair' ? [it.maskPath] : [])));
  const unmatchedMasks = [...masks.values()].filter((path) => !paired.has(path) && !skipped.includes(path));
  return { items, skipped, unmatchedMasks, duplicateMasks };
}
