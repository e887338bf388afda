import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode } from 'fast-png';
import { CancelledError, SynthPool } from '../../src/app/synthPool';
import { parseShard, shardRange } from '../../src/lib/synth/dataset';
import type { Recipe } from '../../src/lib/synth/recipe';
import { generateGrainSample } from '../../src/lib/synth/grains/index';
import { recipe } from './helpers';

describe('shards', () => {
  it('split any count into disjoint blocks that cover it', () => {
    for (const count of [1, 7, 100, 1001]) for (const total of [1, 2, 3, 8, 13]) {
      const seen: number[] = [];
      for (let index = 1; index <= total; index++) {
        const [a, b] = shardRange(count, { index, total });
        for (let i = a; i < b; i++) seen.push(i);
      }
      expect(seen).toEqual(Array.from({ length: count }, (_, i) => i));
    }
  });

  it('rejects malformed shard specs with the expected form', () => {
    for (const bad of ['0/3', '4/3', '1-3', 'x']) expect(() => parseShard(bad)).toThrow('--shard must look like I/N');
  });
});

describe('npm run generate', () => {
  const cli = (args: string[]) => execFileSync('npx', ['tsx', 'cli/generate.ts', ...args], { encoding: 'utf8' });

  it('writes images, masks and params.jsonl, and shards union to the unsharded set byte for byte', () => {
    const base = mkdtempSync(join(tmpdir(), 'synthscope-'));
    const common = ['--kind', 'grains', '--count', '7', '--size', '64', '--seed', '5'];
    cli([...common, '--out', join(base, 'whole')]);
    for (const shard of ['1/3', '2/3', '3/3']) cli([...common, '--out', join(base, 'sharded'), '--shard', shard]);

    const names = readdirSync(join(base, 'whole', 'images'));
    expect(names).toHaveLength(7);
    expect(readdirSync(join(base, 'sharded', 'images'))).toEqual(names);
    for (const folder of ['images', 'masks']) for (const name of names) {
      expect(readFileSync(join(base, 'sharded', folder, name)).equals(readFileSync(join(base, 'whole', folder, name)))).toBe(true);
    }
    const shardLines = readdirSync(join(base, 'sharded')).filter((f) => f.startsWith('params.shard-')).sort()
      .map((f) => readFileSync(join(base, 'sharded', f), 'utf8')).join('');
    expect(shardLines).toBe(readFileSync(join(base, 'whole', 'params.jsonl'), 'utf8'));

    // The files hold what the generator makes, and params.jsonl holds every value.
    const r = recipe({ size: 64, count: 7, seed: 5 });
    const sample = generateGrainSample(r, 2);
    const png = decode(readFileSync(join(base, 'whole', 'images', `${sample.name}.png`)));
    expect(Buffer.from(png.data as Uint8Array).equals(Buffer.from(sample.image))).toBe(true);
    const line = JSON.parse(readFileSync(join(base, 'whole', 'params.jsonl'), 'utf8').split('\n')[2]);
    expect(line).toEqual({ name: sample.name, seed: sample.seed, ...sample.params });
  }, 60_000); // each spawns the CLI through npx tsx: seconds on a busy 2-core machine

  it('writes crack tiles into crack/ and no_crack/, balanced, shards equal to one run', () => {
    const base = mkdtempSync(join(tmpdir(), 'synthscope-'));
    const common = ['--kind', 'cracks', '--count', '6', '--seed', '4'];
    cli([...common, '--out', join(base, 'whole')]);
    for (const shard of ['1/2', '2/2']) cli([...common, '--out', join(base, 'sharded'), '--shard', shard]);
    const crack = readdirSync(join(base, 'whole', 'crack')), noCrack = readdirSync(join(base, 'whole', 'no_crack'));
    expect(crack).toEqual(['tile_00000.png', 'tile_00002.png', 'tile_00004.png']);
    expect(noCrack).toHaveLength(3);
    for (const [folder, names] of [['crack', crack], ['no_crack', noCrack]] as const) for (const name of names) {
      const png = decode(readFileSync(join(base, 'whole', folder, name)));
      expect([png.width, png.height, png.channels]).toEqual([128, 128, 1]);
      expect(readFileSync(join(base, 'sharded', folder, name)).equals(readFileSync(join(base, 'whole', folder, name)))).toBe(true);
    }
    const lines = readFileSync(join(base, 'whole', 'params.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.label)).toEqual(['crack', 'no_crack', 'crack', 'no_crack', 'crack', 'no_crack']);
    expect(lines[0].segmentLengths.length).toBe(lines[0].segments);
  }, 60_000); // each spawns the CLI through npx tsx: seconds on a busy 2-core machine

  it('exits with a message naming the bad field', () => {
    expect(() => cli(['--kind', 'grains', '--count', '2', '--size', '5000', '--out', '/tmp/x'])).toThrow(/Image size must be a whole number of pixels from 64 to 1024/);
  });

  it('refuses to write over a dataset, a --params file that is no recipe, and an empty seed, keeping what is there', () => {
    const base = mkdtempSync(join(tmpdir(), 'synthscope-'));
    const common = ['--kind', 'grains', '--count', '2', '--size', '64', '--out', join(base, 'set')];
    cli(common);
    const before = readFileSync(join(base, 'set', 'params.jsonl'), 'utf8');
    const refusal = (args: string[]) => {
      try {
        cli(args);
      } catch (e) {
        return String((e as { stderr: string }).stderr);
      }
      return 'accepted';
    };
    expect(refusal([...common, '--seed', '7'])).toMatch(/already holds a dataset \(params\.jsonl, recipe\.json\); writing into it would mix two datasets/);
    expect(readFileSync(join(base, 'set', 'params.jsonl'), 'utf8')).toBe(before);
    writeFileSync(join(base, 'typo.json'), '{"prest": "sem"}');
    expect(refusal(['--kind', 'grains', '--count', '2', '--params', join(base, 'typo.json'), '--out', join(base, 'other')])).toMatch(/prest is not a field of a grains recipe; it takes preset, params, micronsPerPixel/);
    writeFileSync(join(base, 'null.json'), 'null');
    expect(refusal(['--kind', 'cracks', '--count', '2', '--params', join(base, 'null.json'), '--out', join(base, 'other')])).toMatch(/must be a JSON object like/);
    expect(refusal(['--kind', 'grains', '--count', '2', '--seed', '', '--out', join(base, 'other')])).toMatch(/--seed must be a whole number; got ""/);
    // Shards of one run share a folder; a shard of another recipe, or one made twice, is refused.
    const shard = (seed: string, which: string) => ['--kind', 'grains', '--count', '4', '--size', '64', '--seed', seed, '--shard', which, '--out', join(base, 'shards')];
    cli(shard('1', '1/2'));
    expect(refusal(shard('9', '2/2'))).toMatch(/already holds a dataset of another recipe or sharding/);
    expect(refusal(shard('1', '1/2'))).toMatch(/already holds shard 1\/2 of this run/);
    cli(shard('1', '2/2'));
    expect(JSON.parse(readFileSync(join(base, 'shards', 'recipe.json'), 'utf8'))).toMatchObject({ kind: 'grains', seed: 1, count: 4, size: 64 });
  }, 60_000);
});

describe('the synthesis pool', () => {
  /** A stand-in worker that answers each request after a few milliseconds with its index. */
  class FakeWorker {
    onmessage: ((e: MessageEvent) => unknown) | null = null;
    onerror: ((e: ErrorEvent) => unknown) | null = null;
    postMessage(request: { id: number; index: number }) {
      setTimeout(() => this.onmessage?.({ data: { id: request.id, ok: true, sample: { index: request.index } } } as MessageEvent), 3);
    }
    terminate() {}
  }
  const fakePool = () => new SynthPool(2, () => new FakeWorker() as unknown as Worker);
  const sample = (s: unknown) => (s as { index: number }).index;

  it('runs one job at a time: a second run waits its turn, and each gets only its own samples', async () => {
    const pool = fakePool(), first: number[] = [], second: number[] = [];
    const a = pool.run({} as Recipe, [0, 1, 2, 3, 4, 5, 6, 7], (s) => { first.push(sample(s)); });
    await new Promise((r) => setTimeout(r, 1)); // the first run's requests are in flight
    const b = pool.run({} as Recipe, [100, 101, 102], (s) => { second.push(sample(s)); });
    await Promise.all([a, b]);
    expect(first.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(second.sort((x, y) => x - y)).toEqual([100, 101, 102]);
  });

  it('a cancel ends the run once the samples being handed over are stored, and hands over none after it', async () => {
    const pool = fakePool(), controller = new AbortController(), log: string[] = [];
    let release: () => void = () => undefined;
    const run = pool.run({} as Recipe, [0, 1, 2, 3, 4, 5, 6, 7], async (s) => {
      log.push(`store ${sample(s)}`);
      if (sample(s) === 2) {
        controller.abort(); // cancelled while this sample's batch is being written
        await new Promise<void>((r) => (release = r));
        log.push('stored 2');
      }
    }, controller.signal).catch((e) => log.push((e as Error).name));
    await new Promise((r) => setTimeout(r, 30)); // other workers' replies arrive meanwhile
    expect(log.at(-1)).not.toBe('CancelledError');
    release();
    await run;
    expect(log.slice(-2)).toEqual(['stored 2', 'CancelledError']);
    expect(log.filter((l) => l.startsWith('store ')).map((l) => Number(l.slice(6)))).toEqual(expect.arrayContaining([0, 1, 2]));
    expect(log.indexOf('store 2')).toBe(log.filter((l) => l.startsWith('store ')).length - 1); // nothing handed over after the cancel
  });

  it('a run cancelled while it waits ends at once, and the runs after it still wait for the first', async () => {
    const pool = fakePool(), order: string[] = [];
    const a = pool.run({} as Recipe, [0, 1, 2, 3, 4, 5], () => undefined).then(() => order.push('first done'));
    const controller = new AbortController();
    const b = pool.run({} as Recipe, [10], () => undefined, controller.signal);
    const c = pool.run({} as Recipe, [20], () => { order.push('third sample'); });
    controller.abort();
    await expect(b).rejects.toBeInstanceOf(CancelledError);
    order.push('second cancelled');
    await Promise.all([a, c]);
    expect(order).toEqual(['second cancelled', 'first done', 'third sample']);
  });
});
