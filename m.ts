import { readFileSync, writeFileSync } from 'node:fs';
import { decodeGreyPng, encodeGreyPng } from './src/lib/data/png';
import { CrackGenerator } from './src/lib/synth/cracks/index';
import { DEFAULT_CRACK_MODEL, DEFAULT_TEXTURE_SETTINGS } from './src/lib/synth/cracks/space';
const idx = JSON.parse(readFileSync('public/exemplars/index.json', 'utf8'));
const exemplars = idx.files.map((f: string) => decodeGreyPng(readFileSync('public/exemplars/' + f)));
const gen = new CrackGenerator({ kind: 'cracks', size: 128, count: 16, seed: 1, settings: DEFAULT_TEXTURE_SETTINGS, crack: DEFAULT_CRACK_MODEL, exemplars, exemplarSource: idx.source });
const out = new Uint8Array(512 * 512);
const ts: number[] = [];
for (let k = 0; k < 200; k++) { const t = performance.now(); const s = gen.sample(k); ts.push(performance.now() - t);
  if (k < 16) { const ox = (k % 4) * 128, oy = Math.floor(k / 4) * 128; for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) out[(oy + y) * 512 + ox + x] = s.image[y * 128 + x]; } }
ts.sort((a, b) => a - b); console.log('median ms', ts[100].toFixed(3), 'tiles/s', (1000 / ts[100]).toFixed(0));
writeFileSync('/tmp/synth-cracks.png', encodeGreyPng(out, 512, 512));
