/**
 * npm run generate -- --kind grains|cracks --count N --size S --seed K --out DIR [--params FILE.json] [--shard I/N] [--match FOLDER] [--microns-per-pixel P]
 * grains: DIR/images/NAME.png, DIR/masks/NAME.png (boundary = 255), DIR/params.jsonl
 * cracks: DIR/crack/NAME.png, DIR/no_crack/NAME.png, DIR/params.jsonl
 * --match FOLDER (grains): measures the look of the PNG micrographs in FOLDER and generates with the
 * preset's ranges replaced by the matched ones; ranges given in --params still win.
 * --microns-per-pixel P (grains): the pixel size the samples stand for, kept in the recipe and on
 * every params.jsonl line; it labels the samples and changes none of their bytes.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeGreyPng, encodeGreyPng, encodePng } from '../src/lib/data/png';
import { decodePngKeepingColour } from '../src/lib/data/decodeImage';
import { isPlainObject } from '../src/lib/params/space';
import { CrackGenerator } from '../src/lib/synth/cracks/index';
import { EXEMPLAR_INDEX, type ExemplarIndex } from '../src/lib/synth/cracks/exemplars';
import { datasetFingerprint, parseShard, sampleHash, shardRange, type Shard } from '../src/lib/synth/dataset';
import { generateGrainSample } from '../src/lib/synth/grains/index';
import { matchGrainLook, type GrainMatch } from '../src/lib/synth/grains/match';
import { recipeFromSpec, validateAnyRecipe, type Recipe, type RecipeSpec } from '../src/lib/synth/recipe';

const usage = 'Usage: npm run generate -- --kind grains|cracks --count N --size S --seed K --out DIR [--params FILE.json] [--shard I/N] [--match FOLDER] [--microns-per-pixel P]\n'
  + '  --match FOLDER (grains only): measure the PNG micrographs in FOLDER and generate with the preset\'s ranges replaced by\n'
  + '  the matched ones; ranges given in --params still win over matched ones.\n'
  + '  --microns-per-pixel P (grains only): the pixel size (µm per pixel) the samples stand for; grain diameters stay in px.';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Where the user typed the command: npm runs scripts from the package root and says where in
 * INIT_CWD, but only for `npm run generate` itself (a script that calls this CLI carries npm's
 * INIT_CWD of its own command, not its working folder).
 */
const userDir = process.env.npm_lifecycle_event === 'generate' && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd();

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
  if (text.trim() === '' || !Number.isInteger(value)) fail(`--${name} must be a whole number; got "${text}".`);
  return value;
}

/** The fields a --params file takes, by kind (anything else was ignored without a word). */
const PARAMS_FIELDS = { grains: ['preset', 'params', 'micronsPerPixel'], cracks: ['params', 'crack', 'exemplars'] } as const;

function readParamsFile(file: string | undefined, kind: 'grains' | 'cracks'): Record<string, unknown> {
  if (!file) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`cannot read --params ${file}: ${(e as Error).message}`);
  }
  const shape = kind === 'grains' ? '{"preset": "tint-etched", "params": {"blurSigma": [0.5, 1.5]}}' : '{"params": {"patchSize": [24, 32]}, "crack": {…}, "exemplars": "folder"}';
  if (!isPlainObject(raw)) fail(`--params ${file} must be a JSON object like ${shape}; got ${JSON.stringify(raw)?.slice(0, 60)}.`);
  const known: readonly string[] = PARAMS_FIELDS[kind];
  const unknown = Object.keys(raw).filter((k) => !known.includes(k));
  if (unknown.length) fail(`--params ${file}: ${unknown.join(', ')} ${unknown.length > 1 ? 'are not fields' : 'is not a field'} of a ${kind} recipe; it takes ${known.join(', ')}.`);
  return raw;
}

/**
 * Refuses an --out folder that is a file, or that already holds a dataset this run would mix with:
 * its images would be overwritten one by one, the rest left over, and its params file replaced.
 * Shards of one run share a folder, each with its own params file; the folder's recipe.json says
 * which run they belong to (`recipe`: this run's, as written there).
 */
function checkOut(out: string, shard: Shard | undefined, recipe: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) fail(`--out ${out} is a file; give a folder (it is made when missing).`);
  const files = readdirSync(out);
  const dataset = files.filter((f) => /^params(\.shard-\d+-of-\d+)?\.jsonl$/.test(f) || f === RECIPE_FILE);
  if (dataset.length === 0) return;
  const elsewhere = 'Give an empty or new folder, or delete that dataset first.';
  if (!shard) fail(`--out ${out} already holds a dataset (${dataset.join(', ')}); writing into it would mix two datasets. ${elsewhere}`);
  const written = files.includes(RECIPE_FILE) ? readFileSync(join(out, RECIPE_FILE), 'utf8') : null;
  if (written !== recipe || files.includes('params.jsonl') || dataset.some((f) => f.startsWith('params.shard-') && !f.endsWith(`-of-${shard.total}.jsonl`))) {
    fail(`--out ${out} already holds ${written === null ? 'a dataset' : 'a dataset of another recipe or sharding'} (${dataset.join(', ')}); shards of one run share a folder, others would mix into it. ${elsewhere}`);
  }
  if (files.includes(shardParamsFile(shard))) {
    fail(`--out ${out} already holds shard ${shard.index}/${shard.total} of this run (${shardParamsFile(shard)}); delete that file to make the shard again.`);
  }
}

/** The recipe a folder's samples were made with (crack exemplars by source, not pixels); shards of one run write the same. */
const RECIPE_FILE = 'recipe.json';
const recipeText = (r: Recipe) => JSON.stringify(r, (key, value) => (key === 'exemplars' ? undefined : value), 2) + '\n';

/** A shard's params file: the names sort in index order, so `cat DIR/params.shard-*.jsonl > DIR/params.jsonl` rebuilds the unsharded file. */
const shardParamsFile = (shard: Shard) => `params.shard-${String(shard.index).padStart(String(shard.total).length, '0')}-of-${shard.total}.jsonl`;

/**
 * --params FILE.json: grains {"preset": "tint-etched", "params": {"blurSigma": 1.2, "grainDiameter": [20, 40]}};
 * cracks {"params": {"patchSize": [24, 32]}, "crack": {"width": {...}}, "exemplars": "folder of crack-free PNGs"}
 * (exemplars default to the bundled ones).
 */
function recipe(kind: 'grains' | 'cracks', raw: Record<string, unknown>, base: string, size: number, count: number, seed: number): Recipe {
  if (kind === 'grains') return recipeFromSpec(kind, raw as RecipeSpec, size, count, seed);
  let files: string[], source: string;
  if (raw.exemplars) {
    const folder = resolve(base, String(raw.exemplars));
    try {
      files = readdirSync(folder).filter((f) => f.toLowerCase().endsWith('.png')).sort().map((f) => join(folder, f));
    } catch (e) {
      fail(`exemplars (in --params): cannot read the folder ${folder} (relative to the params file): ${(e as Error).message}`);
    }
    if (files.length === 0) fail(`no PNG files in exemplars folder ${folder}.`);
    source = folder;
  } else {
    const index: ExemplarIndex = JSON.parse(readFileSync(join(root, 'public', EXEMPLAR_INDEX), 'utf8'));
    files = index.files.map((f) => join(root, 'public', 'exemplars', f));
    source = index.source;
  }
  return recipeFromSpec(kind, raw as RecipeSpec, size, count, seed, files.map((f) => decodeGreyPng(readFileSync(f), f)), source);
}

/** The grain micrographs (PNG) in `folder`, matched; one line per estimate on stdout. */
function matchFolder(folder: string, size: number): GrainMatch {
  let files: string[];
  try {
    files = readdirSync(folder).filter((f) => f.toLowerCase().endsWith('.png')).sort();
  } catch (e) {
    fail(`cannot read --match folder ${folder}: ${(e as Error).message}`);
  }
  if (files.length === 0) fail(`no PNG files in --match folder ${folder}.`);
  let m: GrainMatch;
  try {
    // Grey for the look, and the colour beside it where the file has some (for the tints).
    m = matchGrainLook(files.map((f) => decodePngKeepingColour(readFileSync(join(folder, f)), f)), { size });
  } catch (e) {
    fail(`cannot match ${folder}: ${(e as Error).message}`);
  }
  const n = (x: number) => String(Number(x.toPrecision(3)));
  const e = m.estimates;
  console.log(`matched ${files.length} image${files.length === 1 ? '' : 's'} in ${folder} (boundaries: ${m.boundaries})`);
  console.log(`  grey levels       p1 ${n(e.percentiles.p1)}  p5 ${n(e.percentiles.p5)}  p50 ${n(e.percentiles.p50)}  p95 ${n(e.percentiles.p95)}  p99 ${n(e.percentiles.p99)}`);
  if (e.meanIntercept) console.log(`  mean intercept    ${n(e.meanIntercept.value)} px`);
  const shown = { ...e, ...e.tints };
  for (const name of ['grainDiameter', 'meanIntensity', 'grainContrast', 'textureStrength', 'lineDarkness', 'brightEdges', 'lineWidth', 'blurSigma', 'noiseSigma', 'illumination', 'textureWavelength', 'pitDensity', 'pitSize',
    ...(e.tints ? ['hueCentre', 'oppositeHueShare', 'hueSpread', 'tintSaturation'] as const : [])] as const) {
    const estimate = shown[name], range = m.settings[name];
    console.log(`  ${name.padEnd(17)} ${estimate ? n(estimate.value) : 'not measured'}${range ? `  → ${n(range.lo)}…${n(range.hi)}` : ''}`);
  }
  for (const note of m.notes) console.log(`  note: ${note}`);
  console.log(`  left at the preset's ranges: ${m.unmeasured.join(', ')}`);
  return m;
}

interface Made {
  name: string;
  folder: string;
  seed: number;
  record: Record<string, unknown>;
  image: Uint8Array;
  mask?: Uint8Array;
  hash: number;
}

function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        kind: { type: 'string' }, count: { type: 'string' }, size: { type: 'string' }, seed: { type: 'string' },
        out: { type: 'string' }, params: { type: 'string' }, shard: { type: 'string' }, match: { type: 'string' },
        'microns-per-pixel': { type: 'string' },
      },
    }).values;
  } catch (e) {
    fail((e as Error).message);
  }
  if (args.kind !== 'grains' && args.kind !== 'cracks') fail(`--kind must be grains or cracks; got "${args.kind ?? ''}".`);
  if (!args.out) fail('--out DIR is required.');
  const kind = args.kind;
  const count = wholeNumber('count', args.count);
  const size = wholeNumber('size', args.size, kind === 'grains' ? 512 : 128);
  const seed = wholeNumber('seed', args.seed, 1);
  const paramsPath = args.params === undefined ? undefined : resolve(userDir, args.params);
  const raw = readParamsFile(paramsPath, kind);
  if (args.match !== undefined) {
    if (kind !== 'grains') fail('--match measures grain micrographs and is for --kind grains only; crack tiles take their texture from exemplars ("exemplars" in --params).');
    const matched = matchFolder(resolve(userDir, args.match), size);
    // Matched ranges replace the preset's; ranges named in --params replace matched ones. Params that
    // are not an object are left as they are, for the recipe to reject with its own message.
    if (raw.params === undefined || isPlainObject(raw.params)) raw.params = { ...matched.settings, ...(raw.params ?? {}) };
  }
  const umPerPx = args['microns-per-pixel'];
  if (umPerPx !== undefined) {
    if (kind !== 'grains') fail('--microns-per-pixel labels grain micrographs and is for --kind grains only.');
    if (umPerPx.trim() === '' || !Number.isFinite(Number(umPerPx))) fail(`--microns-per-pixel must be a number of µm per pixel (e.g. 0.5); got "${umPerPx}".`);
    raw.micronsPerPixel = Number(umPerPx);
  }
  let make: (index: number) => Made;
  let made: Recipe;
  let range: [number, number];
  let shard: Shard | undefined;
  try {
    const r = recipe(kind, raw, paramsPath ? dirname(paramsPath) : userDir, size, count, seed);
    validateAnyRecipe(r);
    made = r;
    if (r.kind === 'grains') {
      make = (index) => {
        const s = generateGrainSample(r, index);
        const record = r.micronsPerPixel === undefined ? s.params : { ...s.params, micronsPerPixel: r.micronsPerPixel };
        return { name: s.name, folder: 'images', seed: s.seed, record, image: s.image, mask: s.mask, hash: sampleHash(s.image, s.mask) };
      };
    } else {
      const generator = new CrackGenerator(r);
      make = (index) => {
        const s = generator.sample(index);
        return { name: s.name, folder: s.label, seed: s.seed, record: { label: s.label, ...s.params }, image: s.image, hash: sampleHash(s.image, s.mask) };
      };
    }
    shard = args.shard ? parseShard(args.shard) : undefined;
    range = shardRange(count, shard);
  } catch (e) {
    fail((e as Error).message);
  }
  const out = resolve(userDir, args.out);
  const recipeJson = recipeText(made);
  checkOut(out, shard, recipeJson);
  if (range[1] <= range[0]) console.error(`note: shard ${shard!.index}/${shard!.total} of ${count} samples holds none; nothing to write.`);
  for (const folder of kind === 'grains' ? ['images', 'masks'] : ['crack', 'no_crack']) mkdirSync(join(out, folder), { recursive: true });
  // Written whole (shards running side by side write the same text).
  const part = join(out, `${RECIPE_FILE}.${process.pid}.part`);
  writeFileSync(part, recipeJson);
  renameSync(part, join(out, RECIPE_FILE));
  // A shard writes a params file of its own, so shards never race on one file.
  const paramsFile = join(out, shard ? shardParamsFile(shard) : 'params.jsonl');
  writeFileSync(paramsFile, '');
  const hashes: number[] = [];
  const started = performance.now();
  for (let index = range[0]; index < range[1]; index++) {
    const m = make(index);
    writeFileSync(join(out, m.folder, `${m.name}.png`), encodePng(m.image, size, size)); // RGB for colour recipes
    if (m.mask) writeFileSync(join(out, 'masks', `${m.name}.png`), encodeGreyPng(m.mask, size, size));
    appendFileSync(paramsFile, JSON.stringify({ name: m.name, seed: m.seed, ...m.record }) + '\n');
    hashes.push(m.hash);
    const done = index - range[0] + 1;
    if (process.stderr.isTTY && (done % 10 === 0 || index === range[1] - 1)) {
      process.stderr.write(`\r${done}/${range[1] - range[0]} images, ${(done / ((performance.now() - started) / 1000)).toFixed(1)}/s`);
    }
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  console.log(`wrote ${range[1] - range[0]} samples (${range[0]}…${range[1] - 1}) to ${out}; fingerprint ${datasetFingerprint(hashes)}`);
}

main();
