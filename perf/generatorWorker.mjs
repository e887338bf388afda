// One tree's generators in a worker thread of their own, as the app's synth worker holds them (no
// TF.js, Playwright or Vite in the same heap): times `count` images of a figure from index `from`
// on request, back to back. For perf/bench.ts (this tree) and perf/abGenerators.ts (two trees side by side).
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { tsImport } from 'tsx/esm/api';

const root = workerData.root;
const load = (path) => tsImport(`${root}/${path}`, import.meta.url);
const grains = await load('src/lib/synth/grains/index.ts');
const { DEFAULT_PRESET } = await load('src/lib/synth/grains/space.ts');
const { CrackGenerator } = await load('src/lib/synth/cracks/index.ts');
const { DEFAULT_CRACK_MODEL, DEFAULT_TEXTURE_SETTINGS } = await load('src/lib/synth/cracks/space.ts');
const { decodeGreyPng } = await load('src/lib/data/png.ts');
// The bench's recipes: the default preset, seed 1; crack tiles at 128² from the shipped exemplars.
const index = JSON.parse(readFileSync(`${root}/public/exemplars/index.json`, 'utf8'));
const cracks = new CrackGenerator({
  kind: 'cracks', size: 128, count: 400, seed: 1, settings: DEFAULT_TEXTURE_SETTINGS, crack: DEFAULT_CRACK_MODEL,
  exemplars: index.files.map((f) => decodeGreyPng(readFileSync(`${root}/public/exemplars/${f}`))), exemplarSource: index.source,
});
const make = (figure, i) => {
  if (figure.startsWith('cracks')) return cracks.sample(i);
  const size = Number(figure.replace(/\D+/g, ''));
  return grains.generateGrainSample({ kind: 'grains', preset: DEFAULT_PRESET.id, settings: DEFAULT_PRESET.settings, size, count: 100, seed: 1 }, i);
};
// Replies the mean wall and CPU milliseconds per image, and each image's wall time (`each`).
parentPort.on('message', ({ figure, from, count }) => {
  const t = performance.now(), c = process.cpuUsage();
  const each = [];
  for (let k = 0, last = t; k < count; k++) {
    make(figure, from + k);
    const now = performance.now();
    each.push(now - last);
    last = now;
  }
  const cpu = process.cpuUsage(c);
  parentPort.postMessage({ ms: (performance.now() - t) / count, cpu: (cpu.user + cpu.system) / 1000 / count, each });
});
parentPort.postMessage('ready');
