/**
 * Old against new generator speed in one process, for a machine whose speed drifts (this shared
 * 2-core one varies 2–3× within the hour, so figures from separate runs do not compare):
 *
 *   git archive main src public/exemplars | tar -x -C /tmp/old && ln -s "$PWD/node_modules" /tmp/old/
 *   cp package.json tsconfig.json /tmp/old/
 *   npx tsx perf/abGenerators.ts /tmp/old [rounds=120] [grains512,grains256,cracks128]
 *
 * Each tree runs in a worker thread of its own, so each has its own heap and neither is charged
 * for collecting the other's garbage; the two take turns, one sample (ten crack tiles) at a time,
 * the order flipped every round, after the bench's warm-up. Prints per figure the median wall and
 * CPU milliseconds per image of each, and old ÷ new. CPU time is the process's (user + system),
 * which is the running worker's plus the collector's threads: less disturbed by other processes
 * than wall time, which is what `bench.ts` reports.
 */
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';

const oldRoot = process.argv[2];
if (!oldRoot) throw new Error('Give the old tree: npx tsx perf/abGenerators.ts /path/to/old [rounds] [figures]');
const rounds = Number(process.argv[3] ?? 120);
const figures = (process.argv[4] ?? 'grains512,grains256,cracks128').split(',');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

type Timing = { ms: number; cpu: number };
const start = (root: string) => new Promise<Worker>((ready, fail) => {
  const worker = new Worker(new URL('./generatorWorker.mjs', import.meta.url), { workerData: { root: resolve(root) } });
  worker.once('message', () => ready(worker));
  worker.once('error', fail);
});
const call = (worker: Worker, job: { figure: string; from: number; count: number }) =>
  new Promise<Timing>((done) => {
    worker.once('message', done);
    worker.postMessage(job);
  });

const [before, after] = [await start(oldRoot), await start('.')];
for (const figure of figures) {
  const tiles = figure.startsWith('cracks');
  const count = tiles ? 10 : 1;
  for (const w of [before, after]) await call(w, { figure, from: 100_000, count: tiles ? 50 : 5 }); // warm-up, as bench.ts
  const t = new Map<Worker, Timing[]>([[before, []], [after, []]]);
  for (let r = 0; r < rounds; r++) {
    for (const w of r % 2 ? [before, after] : [after, before]) t.get(w)!.push(await call(w, { figure, from: r * count, count }));
  }
  const [o, n] = [t.get(before)!, t.get(after)!];
  const [ow, nw, oc, nc] = [median(o.map((x) => x.ms)), median(n.map((x) => x.ms)), median(o.map((x) => x.cpu)), median(n.map((x) => x.cpu))];
  console.log(JSON.stringify({
    name: `${figure}.node`, old_ms: +ow.toFixed(3), new_ms: +nw.toFixed(3), old_per_s: +(1000 / ow).toFixed(1), new_per_s: +(1000 / nw).toFixed(1),
    speedup: +(ow / nw).toFixed(3), old_cpu_ms: +oc.toFixed(3), new_cpu_ms: +nc.toFixed(3), cpu_speedup: +(oc / nc).toFixed(3), rounds,
  }));
}
await Promise.all([before.terminate(), after.terminate()]);
