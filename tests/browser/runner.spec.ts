import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { REALDATA } from './realdata';

// The headless runner drives its own Chromium through the built app (npm run test:browser builds it).
test.setTimeout(600_000);

/** A shipped tiny config with its real folder pointed at the test fixtures (a subset of shared/realdata). */
function tinyConfig(kind: 'cracks' | 'grains' | 'cracks-adaptive', dir: string): string {
  const config = JSON.parse(readFileSync(`experiments/${kind}-tiny.json`, 'utf8'));
  config.real.all = `${REALDATA}${kind.startsWith('cracks') ? 'cracks/ceramic-tile-tiles' : 'grains/mlographypp-tbm'}`;
  const path = join(dir, `${kind}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

for (const kind of ['cracks', 'grains'] as const) {
  test(`npm run experiment completes the tiny ${kind} config and writes every field of results.json`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'synthscope-exp-'));
    const log = execFileSync('npx', ['tsx', 'cli/experiment.ts', tinyConfig(kind, dir), '--out', join(dir, 'out')], { encoding: 'utf8' });
    // Progress lines are sampled (a quick run may skip some); the closing line is always there.
    expect(log).toMatch(/done in \d+ s on \w+: 6 run results/);
    const results = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8'));
    const metrics = kind === 'cracks' ? ['error'] : ['pixelError', 'iou', 'miou', 'boundaryF1'];
    expect(results.runs).toHaveLength(6);
    for (const run of results.runs) {
      expect([1, 2]).toContain(run.seed);
      expect(['synthetic', 'real', 'mixed']).toContain(run.regime);
      for (const set of ['test', 'all']) for (const m of metrics) expect(run.metrics[set][m]).toBeDefined();
    }
    for (const regime of ['synthetic', 'real', 'mixed']) for (const set of ['test', 'all']) {
      for (const m of metrics.filter((x) => x !== 'iou')) {
        const s = results.summary[regime][set][m];
        expect(typeof s.mean).toBe('number');
        expect(typeof s.sd).toBe('number');
        expect(s.ci99).toHaveLength(2);
      }
    }
    expect(results.predictions).toBeUndefined(); // pictures go to PNGs, not into results.json
    for (const regime of ['synthetic', 'real', 'mixed']) {
      const pngs = readdirSync(join(dir, 'out', 'predictions', regime));
      expect(pngs.length).toBeGreaterThan(0);
      if (kind === 'grains') expect(pngs[0]).toMatch(/image-truth-prediction\.png$/);
      else expect(pngs[0]).toMatch(/truth-(crack|no_crack)-predicted-(crack|no_crack)-p[\d.]+\.png$/);
    }
    expect(results.tests.length).toBeGreaterThanOrEqual(6);
    for (const t of results.tests) {
      expect(['synthetic', 'real', 'mixed']).toContain(t.a);
      expect(t.p === null || (t.p >= 0 && t.p <= 1)).toBe(true);
      expect(['test', 'all']).toContain(t.set);
    }
  });
}

test('an adaptive round through npm run experiment records random and adaptive fine-tuning and what was hard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synthscope-exp-'));
  execFileSync('npx', ['tsx', 'cli/experiment.ts', tinyConfig('cracks-adaptive', dir), '--out', join(dir, 'out')], { encoding: 'utf8' });
  const results = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8'));
  expect(results.runs.map((r: { regime: string }) => r.regime).sort()).toEqual(
    ['adaptive-finetune', 'adaptive-finetune', 'random-finetune', 'random-finetune', 'synthetic', 'synthetic']);
  expect(results.summary['adaptive-finetune'].test.error.ci99).toHaveLength(2);
  expect(results.tests.some((t: { a: string; b: string }) => t.a === 'random-finetune' && t.b === 'adaptive-finetune')).toBe(true);
  expect(results.hardSamples.hard.length).toBeGreaterThan(0);
  expect(results.hardRounds.map((h: { seed: number }) => h.seed)).toEqual(results.config.seeds); // every run's round, in results.json
});

test('npm run experiment refuses a bad config with a message naming the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synthscope-exp-'));
  const path = join(dir, 'bad.json');
  writeFileSync(path, JSON.stringify({ task: 'cracks', synthetic: { count: 8, size: 64 }, real: { all: 'x' }, runs: 2, regimes: ['synthetic', 'psychic'] }));
  const run = spawnSync('npx', ['tsx', 'cli/experiment.ts', path, '--out', join(dir, 'out')], { encoding: 'utf8' });
  expect(run.status).toBe(2);
  expect(run.stderr).toContain('regimes: must list some of synthetic, real, mixed, random-finetune, adaptive-finetune.');
});
