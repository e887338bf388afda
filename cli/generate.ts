/**
 * npm run generate -- --kind grains --count N --size S --seed K --out DIR [--params FILE.json] [--shard I/N]
 * Writes DIR/images/NAME.png, DIR/masks/NAME.png (boundary = 255) and DIR/params.jsonl.
 */
import { mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encode } from 'fast-png';
import { parseSettings } from '../src/lib/params/space';
import { datasetFingerprint, parseShard, sampleHash, shardRange, type Shard } from '../src/lib/synth/dataset';
import { generateGrainSample, validateRecipe, type GrainRecipe } from '../src/lib/synth/grains/index';
import { DEFAULT_PRESET, presetById } from '../src/lib/synth/grains/space';

const usage = 'Usage: npm run generate -- --kind grains --count N --size S --seed K --out DIR [--params FILE.json] [--shard I/N]';

function fail(message: string): never {
  console.error(`error: ${message}\n${usage}`);
  process.exit(2);
}

function wholeNumber(name: string, text: string | undefined, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) fail(`--${name} is required.`);
    return fallback;
  }
  const value = Number(text);
  if (!Number.isInteger(value)) fail(`--${name} must be a whole number; got "${text}".`);
  return value;
}

/** --params FILE.json: {"preset": "tint-etched", "params": {"blurSigma": 1.2, "grainDiameter": [20, 40]}} */
function loadRecipe(file: string | undefined, size: number, count: number, seed: number): GrainRecipe {
  let raw: { preset?: string; params?: unknown } = {};
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      fail(`cannot read --params ${file}: ${(e as Error).message}`);
    }
  }
  const preset = raw.preset ? presetById(raw.preset) : DEFAULT_PRESET;
  const settings = { ...preset.settings, ...parseSettings(raw.params) };
  return { kind: 'grains', preset: preset.id, settings, size, count, seed };
}

function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        kind: { type: 'string' }, count: { type: 'string' }, size: { type: 'string' }, seed: { type: 'string' },
        out: { type: 'string' }, params: { type: 'string' }, shard: { type: 'string' },
      },
    }).values;
  } catch (e) {
    fail((e as Error).message);
  }
  if (args.kind !== 'grains') {
    fail(args.kind === 'cracks' ? 'crack tiles are not available yet; use --kind grains.' : `--kind must be grains; got "${args.kind ?? ''}".`);
  }
  if (!args.out) fail('--out DIR is required.');
  const count = wholeNumber('count', args.count);
  const size = wholeNumber('size', args.size, 512);
  const seed = wholeNumber('seed', args.seed, 1);
  let recipe: GrainRecipe;
  let range: [number, number];
  let shard: Shard | undefined;
  try {
    recipe = loadRecipe(args.params, size, count, seed);
    validateRecipe(recipe);
    shard = args.shard ? parseShard(args.shard) : undefined;
    range = shardRange(count, shard);
  } catch (e) {
    fail((e as Error).message);
  }
  const out = args.out;
  mkdirSync(join(out, 'images'), { recursive: true });
  mkdirSync(join(out, 'masks'), { recursive: true });
  // A shard writes params.shard-I-of-N.jsonl so shards never race on one file; the names sort in
  // index order, so `cat DIR/params.shard-*.jsonl > DIR/params.jsonl` rebuilds the unsharded file.
  const paramsFile = join(out, shard ? `params.shard-${String(shard.index).padStart(String(shard.total).length, '0')}-of-${shard.total}.jsonl` : 'params.jsonl');
  writeFileSync(paramsFile, '');
  const hashes: number[] = [];
  const started = performance.now();
  for (let index = range[0]; index < range[1]; index++) {
    const sample = generateGrainSample(recipe, index);
    const png = (data: Uint8Array) => encode({ width: size, height: size, data, channels: 1, depth: 8 });
    writeFileSync(join(out, 'images', `${sample.name}.png`), png(sample.image));
    writeFileSync(join(out, 'masks', `${sample.name}.png`), png(sample.mask));
    appendFileSync(paramsFile, JSON.stringify({ name: sample.name, seed: sample.seed, ...sample.params }) + '\n');
    hashes.push(sampleHash(sample.image, sample.mask));
    const done = index - range[0] + 1;
    if (process.stderr.isTTY && (done % 10 === 0 || index === range[1] - 1)) {
      process.stderr.write(`\r${done}/${range[1] - range[0]} images, ${(done / ((performance.now() - started) / 1000)).toFixed(1)}/s`);
    }
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  console.log(`wrote ${range[1] - range[0]} samples (${range[0]}…${range[1] - 1}) to ${out}; fingerprint ${datasetFingerprint(hashes)}`);
}

main();
