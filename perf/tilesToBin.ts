/**
 * Crack tiles (a folder of `crack/` and `no_crack/` PNGs, as `npm run generate -- --kind cracks`
 * writes them and Real data reads them) as one raw file for perf/crack_study.py: OUT.bin holds the
 * grey tiles one after another (uint8, n × size × size), OUT.json their labels (1 crack, 0 not).
 *   npx tsx perf/tilesToBin.ts FOLDER OUT
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeGreyPng } from '../src/lib/data/png';

const [folder, out] = process.argv.slice(2);
if (!folder || !out) throw new Error('Usage: npx tsx perf/tilesToBin.ts FOLDER OUT');
const tiles: Uint8Array[] = [], labels: number[] = [];
let side = 0;
for (const [cls, label] of [['crack', 1], ['no_crack', 0]] as const) {
  for (const file of readdirSync(join(folder, cls)).filter((f) => f.endsWith('.png')).sort()) {
    const tile = decodeGreyPng(readFileSync(join(folder, cls, file)), file);
    side ||= tile.width;
    if (tile.width !== side || tile.height !== side) throw new Error(`${file} is ${tile.width}×${tile.height}; the others are ${side}×${side}.`);
    tiles.push(tile.pixels);
    labels.push(label);
  }
}
const all = new Uint8Array(tiles.length * side * side);
tiles.forEach((t, i) => all.set(t, i * side * side));
writeFileSync(`${out}.bin`, all);
writeFileSync(`${out}.json`, JSON.stringify(labels));
console.log(`${labels.length} tiles of ${side}² → ${out}.bin`);
