/**
 * Experiment definitions as data (JSON): what to generate, which real data to test on, which
 * regimes, how many seeded runs, and the model and schedule. Validation names the field at fault.
 * Stable keys (DESIGN.md): task, synthetic, real, regimes, runs, seeds; model, train and input
 * are SynthScope's own.
 */
import type { BackendPreference } from '../ml/backend';
import type { GreyImage } from '../data/tiling';
import { DEFAULT_BATCH_SIZE, defaultFineTunePhases, DEPTHS, FROZEN_RANDOM_ENCODER, SEGMENT_LOSSES, UNET_MULTIPLE, type Depth, type LossName, type Phase } from '../ml/config';
import { adaptiveConfigError, DEFAULT_MOVES, type AdaptiveConfig } from './adaptive';
import { ParamError } from '../params/space';
import { MAX_COUNT, MAX_DATASET_PIXELS } from '../synth/dataset';
import { GRAIN_PARAMS } from '../synth/grains/space';
import type { Exemplar } from '../synth/cracks/texture';
import { recipeChannels, recipeFromSpec, validateAnyRecipe, type Recipe, type RecipeSpec } from '../synth/recipe';
import type { SizedSchedule } from './budget';

export type Regime = 'synthetic' | 'real' | 'mixed' | 'random-finetune' | 'adaptive-finetune';
export const REGIMES: Regime[] = ['synthetic', 'real', 'mixed', 'random-finetune', 'adaptive-finetune'];
/** Regimes run when a config names none. */
const DEFAULT_REGIMES: Regime[] = ['synthetic', 'real', 'mixed'];
export type RealSetName = 'train' | 'val' | 'test' | 'all';

export interface RealItem {
  /** File name (pinning and grouping use it). */
  name: string;
  set: RealSetName;
  image: GreyImage;
  /** Grains: boundary mask (> 127 = boundary). */
  mask?: GreyImage;
  /** Cracks: 1 = crack, 0 = no crack. */
  label?: number;
}

export interface ExperimentConfig {
  name: string;
  task: 'grains' | 'cracks';
  synthetic: {
    count: number;
    size: number;
    seed: number;
    /** Grains: preset id, or MATCHED_PRESET: the one Match my images names for the matched images (needs `match`). */
    preset?: string;
    /** Parameter ranges over the preset's / defaults (number, [lo, hi] or {lo, hi}). */
    params?: Record<string, unknown>;
    /** Cracks: crack distributions over the defaults. */
    crack?: Record<string, unknown>;
    /**
     * Cracks: where tile texture comes from. 'bundled' (default): the app's chip-package exemplars;
     * 'real-train': the crack-free real images of each run's own training split (never its test
     * images), so synthetic cracks are drawn on the user's own surface.
     */
    texture?: 'bundled' | 'real-train';
    /**
     * Grains: a folder of the user's unlabelled micrographs (relative to the config) whose measured
     * look sets the recipe's ranges ("match my images"); ranges named in `params` still win. `true`:
     * the images of the experiment's own real folders (their pixels only, never their masks), so
     * the same config fits itself to whatever real micrographs it is pointed at.
     */
    match?: string | true;
    /**
     * Grains: 'real-train' sets the label boundary width (`maskWidth`) to the width the masks of
     * each run's own real training split draw (matchLabels.ts; never its test masks), so the
     * network learns the user's tracing convention. Not with `params.maskWidth` or a stored
     * dataset, which fix their own, nor with only a test folder.
     */
    labelWidth?: 'real-train';
    /**
     * Cracks: a folder of the user's crack-free images (relative to the config) the tiles'
     * texture is synthesised from, instead of the bundled chip-package exemplars.
     */
    exemplars?: string;
    /**
     * The page only: the id (or unique name) of a complete stored dataset of this task. Its texture
     * exemplars (the bundled ones, the user's own tiles') come with it, since pixels cannot be
     * written in JSON; count, size, seed, preset, params and crack stay in this config (the form
     * copies them from the dataset's recipe), so the config says what was generated.
     */
    dataset?: string;
  };
  real: {
    /**
     * The page only: the tiles stored in the Real data tab instead of folders — every labelled
     * tile for cracks, the tiles of images imported with a mask for grains — as one set split anew
     * by each run's seed with whole images kept together. `split` defaults to the tab's shares and
     * `pinTest` gains the images of the tab's pinned tiles (a pinned tile pins its whole image);
     * both are written into the recorded config when the experiment starts.
     */
    stored?: boolean;
    /** Folders (relative to the config file): train / val / test, or all + split. */
    train?: string;
    val?: string;
    test?: string;
    all?: string;
    /** With `all`: shares for validation and test, split anew by each run's seed. */
    split?: { val: number; test: number };
    /** File names (stored data: image ids) always in the test set (the paper hand-picked its test set). */
    pinTest?: string[];
    /** Real images not of the input size: resized whole, or cut into input-size tiles. */
    fit?: 'resize' | 'tile';
    /**
     * Before testing, every model's batch-norm statistics are re-estimated on the real training and
     * validation images of its run (their pixels only: never a label, never a test image;
     * ml/adapt.ts). Default off.
     */
    adapt?: boolean;
  };
  regimes: Regime[];
  runs: number;
  seeds: number[];
  model: { depth: Depth; width: number; loss: LossName };
  train: {
    batchSize: number; synthetic: Phase[]; real: Phase[]; augment: boolean; weightDecay: number; backend: BackendPreference;
    /** Minutes of training for the whole experiment: every phase's epochs are sized to fit (budget.ts). */
    budgetMinutes?: number;
    /** How the budget sized the schedule, recorded once so a resume keeps the same epochs. */
    sized?: SizedSchedule;
  };
  /** Network input size (a multiple of 32 for grains); channels 3 = RGB (colour-etched grains), absent = 1 grey. */
  input: { size: number; channels?: 1 | 3 };
  /** Adaptive sampling (regimes random-finetune and adaptive-finetune). */
  adaptive: AdaptiveConfig & { phases: Phase[] };
}

export class ConfigError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The fields each part of a config takes (what parseExperimentConfig reads and writes back, so a
 * recorded config parses again). Anything else is refused: a misspelt field was ignored, and the
 * experiment ran on its default without a word.
 */
const FIELDS = {
  config: ['name', 'task', 'synthetic', 'real', 'regimes', 'runs', 'seeds', 'input', 'model', 'train', 'adaptive'],
  synthetic: ['count', 'size', 'seed', 'preset', 'params', 'crack', 'texture', 'match', 'labelWidth', 'exemplars', 'dataset'],
  real: ['stored', 'train', 'val', 'test', 'all', 'split', 'pinTest', 'fit', 'adapt'],
  'real.split': ['val', 'test'],
  input: ['size', 'channels'],
  model: ['depth', 'width', 'loss'],
  train: ['batchSize', 'synthetic', 'real', 'augment', 'weightDecay', 'backend', 'budgetMinutes', 'sized'],
  adaptive: ['fraction', 'variations', 'parameters', 'rounds', 'phases'],
  phase: ['epochs', 'maxLr', 'freezeEncoder', 'size'],
} as const;

/** Refuses a field `part` does not take, with the nearest it does when the name is a slip away. */
function onlyKnownFields(o: Record<string, unknown>, part: keyof typeof FIELDS, field = part as string): void {
  const known: readonly string[] = FIELDS[part];
  for (const key of Object.keys(o)) {
    if (known.includes(key)) continue;
    const near = known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => editDistance(k, key) <= 2);
    const name = key === '' ? '""' : key; // an empty key still names the field at fault
    const at = field === 'config' ? name : `${field}.${name}`;
    throw new ConfigError(at, `is not a field ${field === 'config' ? 'of a config' : `of ${field}`}${near ? `; did you mean ${near}?` : '.'} It takes ${known.join(', ')}.`);
  }
}

/** A section that must be an object when given (left out, it takes its defaults). */
function section(raw: Record<string, unknown>, part: 'input' | 'model' | 'train' | 'adaptive'): Record<string, unknown> {
  const v = raw[part];
  if (v === undefined) return {};
  if (!isObject(v)) throw new ConfigError(part, `must be an object {${FIELDS[part].join(', ')}}, or left out for the defaults.`);
  onlyKnownFields(v, part);
  return v;
}

/** Levenshtein distance, for suggesting a field name. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

const whole = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * Bounds on what a config may ask for: far above the paper's experiments (99,140 tiles, 5 runs,
 * 35 epochs), far below what would stall a tab before its first progress report.
 */
const MOST = { runs: 1000, epochs: 10_000, batchSize: 1024, size: 1024, budgetMinutes: 7 * 24 * 60 } as const;

function phases(raw: unknown, field: string, size: number, fallback: Phase[]): Phase[] {
  if (raw === undefined) return fallback;
  if (!Array.isArray(raw) || raw.length === 0) throw new ConfigError(field, 'must be a non-empty list of phases {epochs, maxLr, freezeEncoder, size}.');
  return raw.map((p, i) => {
    if (!isObject(p)) throw new ConfigError(`${field}[${i}]`, 'must be an object {epochs, maxLr, freezeEncoder, size}.');
    onlyKnownFields(p, 'phase', `${field}[${i}]`);
    if (!whole(p.epochs, 1, MOST.epochs)) throw new ConfigError(`${field}[${i}].epochs`, `must be a whole number from 1 to ${MOST.epochs}.`);
    if (!(typeof p.maxLr === 'number' && p.maxLr > 0 && p.maxLr < 10)) throw new ConfigError(`${field}[${i}].maxLr`, 'must be a number above 0 and below 10.');
    if (p.freezeEncoder === true) throw new ConfigError(`${field}[${i}].freezeEncoder`, FROZEN_RANDOM_ENCODER);
    if (p.freezeEncoder !== undefined && p.freezeEncoder !== false) throw new ConfigError(`${field}[${i}].freezeEncoder`, 'must be false (the encoder trains), or left out.');
    if (p.size !== undefined && !whole(p.size, 32, MOST.size)) throw new ConfigError(`${field}[${i}].size`, `must be a whole number of pixels from 32 to ${MOST.size}.`);
    return { epochs: p.epochs as number, maxLr: p.maxLr as number, freezeEncoder: false, size: (p.size as number | undefined) ?? size };
  });
}

/** Fills defaults and checks every field; throws a ConfigError naming the first bad one. */
export function parseExperimentConfig(raw: unknown): ExperimentConfig {
  if (!isObject(raw)) throw new ConfigError('config', 'must be a JSON object.');
  onlyKnownFields(raw, 'config');
  if (raw.name !== undefined && typeof raw.name !== 'string') throw new ConfigError('name', 'must be text, or left out.');
  const task = raw.task;
  if (task !== 'grains' && task !== 'cracks') throw new ConfigError('task', `must be "grains" or "cracks"; got ${JSON.stringify(task)}.`);
  const s = raw.synthetic;
  if (!isObject(s)) throw new ConfigError('synthetic', 'must be an object {count, size, seed, …}.');
  onlyKnownFields(s, 'synthetic');
  if (!whole(s.count, 2, MAX_COUNT)) throw new ConfigError('synthetic.count', `must be a whole number from 2 to ${MAX_COUNT.toLocaleString('en')}.`);
  if (!whole(s.size, 32, MOST.size)) throw new ConfigError('synthetic.size', `must be a whole number of pixels from 32 to ${MOST.size}.`);
  if ((s.count as number) * (s.size as number) ** 2 > MAX_DATASET_PIXELS) throw new ConfigError('synthetic.count', `count × size² must stay under ${MAX_DATASET_PIXELS / 1e9} billion pixels.`);
  if (s.seed !== undefined && !whole(s.seed, 0, 0xffffffff)) throw new ConfigError('synthetic.seed', 'must be a whole number from 0 to 4294967295.');
  if (s.texture !== undefined && s.texture !== 'bundled' && s.texture !== 'real-train') {
    throw new ConfigError('synthetic.texture', 'must be "bundled" (the app\'s texture) or "real-train" (crack-free images of the real training split).');
  }
  if (s.texture === 'real-train' && task !== 'cracks') throw new ConfigError('synthetic.texture', 'applies to crack tiles only.');
  if (s.labelWidth !== undefined && s.labelWidth !== 'real-train') throw new ConfigError('synthetic.labelWidth', 'must be "real-train" (the width the masks of the real training split draw), or left out for the recipe\'s own.');
  if (s.labelWidth !== undefined && task !== 'grains') throw new ConfigError('synthetic.labelWidth', 'is the width of boundaries in grain masks; it applies to grains only.');
  if (s.labelWidth !== undefined && (isObject(s.params) && s.params.maskWidth !== undefined || s.dataset !== undefined)) {
    throw new ConfigError('synthetic.labelWidth', 'sets the label width (maskWidth) from the training masks, so it cannot be combined with params.maskWidth or a stored dataset\'s recipe (which fixes its own). Leave one out.');
  }
  if (s.labelWidth !== undefined && isObject(raw.real) && raw.real.stored !== true && !raw.real.all && !raw.real.train) {
    throw new ConfigError('synthetic.labelWidth', 'takes the width from the masks of the real training images, and this config names only a test folder. Name a train folder, use all with a split, or leave labelWidth out.');
  }
  if (s.match !== undefined && s.match !== true && (typeof s.match !== 'string' || !s.match.trim())) {
    throw new ConfigError('synthetic.match', 'must be a folder of your micrographs, relative to the config, or true (the experiment\'s own real images).');
  }
  if (s.match === true && isObject(raw.real) && raw.real.stored === true) throw new ConfigError('synthetic.match', 'true matches the real folders\' images; with real.stored, name a folder of micrographs instead.');
  if (s.preset === MATCHED_PRESET && !s.match) throw new ConfigError('synthetic.preset', `"${MATCHED_PRESET}" takes the preset Match my images names for your images, so it needs synthetic.match.`);
  if (s.match !== undefined && task !== 'grains') throw new ConfigError('synthetic.match', 'matching measures grain micrographs; it applies to grains only.');
  if (s.exemplars !== undefined && (typeof s.exemplars !== 'string' || !s.exemplars.trim())) throw new ConfigError('synthetic.exemplars', 'must be a folder of crack-free images, relative to the config.');
  if (s.exemplars !== undefined && task !== 'cracks') throw new ConfigError('synthetic.exemplars', 'is texture for crack tiles; it applies to cracks only.');
  if (s.exemplars !== undefined && (s.texture === 'real-train' || s.dataset !== undefined)) {
    throw new ConfigError('synthetic.exemplars', 'names the texture, so it cannot be combined with texture "real-train" or a stored dataset\'s recipe (which brings its own texture).');
  }
  if (s.params !== undefined && !isObject(s.params)) throw new ConfigError('synthetic.params', 'must be an object of parameter ranges, e.g. {"blurSigma": [0.5, 1.5]}.');
  if (s.crack !== undefined && !isObject(s.crack)) throw new ConfigError('synthetic.crack', 'must be an object of crack-model fields over the defaults, e.g. {"edgeStart": 0.5}.');
  if (s.crack !== undefined && task !== 'cracks') throw new ConfigError('synthetic.crack', 'is the crack model; it applies to cracks only.');
  if (s.preset !== undefined && task !== 'grains') throw new ConfigError('synthetic.preset', 'names a grain preset; crack tiles have none (their look is synthetic.params and synthetic.crack).');
  if (s.dataset !== undefined && (typeof s.dataset !== 'string' || !s.dataset.trim())) throw new ConfigError('synthetic.dataset', 'must be the id or name of a complete stored dataset (Datasets tab).');
  const r = raw.real;
  if (!isObject(r)) throw new ConfigError('real', 'must be an object with train, val and test folders, all with a split, or stored: true.');
  onlyKnownFields(r, 'real');
  if (isObject(r.split)) onlyKnownFields(r.split, 'real.split');
  if (r.stored !== undefined && typeof r.stored !== 'boolean') throw new ConfigError('real.stored', 'must be true (the Real data tab\'s tiles) or left out (folders).');
  const stored = r.stored === true;
  for (const k of ['train', 'val', 'test', 'all'] as const) {
    if (r[k] !== undefined && typeof r[k] !== 'string') throw new ConfigError(`real.${k}`, 'must be a folder path.');
    if (stored && r[k] !== undefined) throw new ConfigError(`real.${k}`, 'cannot be named with real.stored: stored data replaces folders. Remove one of them.');
  }
  if (r.all !== undefined && (r.train !== undefined || r.val !== undefined || r.test !== undefined)) {
    throw new ConfigError('real.all', 'is split into train, validation and test by each run\'s seed, so it cannot be named with real.train, real.val or real.test folders. Name one folder as all, or the folders.');
  }
  // An empty pinTest is what a recorded config holds for folders, so it parses again.
  const pins = Array.isArray(r.pinTest) ? r.pinTest.length > 0 : r.pinTest !== undefined;
  if (!stored && !r.all && (r.split !== undefined || pins)) {
    throw new ConfigError(r.split !== undefined ? 'real.split' : 'real.pinTest', 'applies to one folder split by each run\'s seed (real.all) or to stored data; with train, val and test folders the folders are the split. Remove it, or name one folder as all.');
  }
  if (!stored && !r.all && !r.test) throw new ConfigError('real', 'name a test folder (with train and val folders when a regime trains on real data), one folder as all with a split, or stored: true for the Real data tab\'s tiles.');
  if (r.adapt !== undefined && typeof r.adapt !== 'boolean') throw new ConfigError('real.adapt', 'must be true (re-estimate batch-norm statistics on the real training and validation images before testing) or false.');
  if (r.pinTest !== undefined && !(Array.isArray(r.pinTest) && r.pinTest.every((n) => typeof n === 'string'))) throw new ConfigError('real.pinTest', 'must be a list of file names.');
  const pinTest = (r.pinTest as string[] | undefined) ?? [];
  // Stored data without a split takes the Real data tab's shares when the experiment starts; folders
  // named as train, val and test are the split (a default here made the recorded config refuse to parse again).
  const split = r.split ?? (stored || !r.all ? undefined : { val: 0.2, test: 0.2 });
  // Pinned images alone may make the test set (the paper hand-picked its own).
  if (split !== undefined && (!isObject(split) || !(typeof split.val === 'number' && typeof split.test === 'number' && split.val >= 0 && split.test >= 0
    && (split.test > 0 || pinTest.length > 0) && split.val + split.test < 1))) {
    throw new ConfigError('real.split', 'must be {val, test} shares adding up to less than 1, test above 0 (or 0 when real.pinTest names test images).');
  }
  if (r.fit !== undefined && r.fit !== 'resize' && r.fit !== 'tile') throw new ConfigError('real.fit', 'must be "resize" or "tile".');
  const regimes = raw.regimes ?? DEFAULT_REGIMES;
  if (!Array.isArray(regimes) || regimes.length === 0 || regimes.some((g) => !REGIMES.includes(g as Regime))) {
    throw new ConfigError('regimes', `must list some of ${REGIMES.join(', ')}.`);
  }
  // Evaluate-only experiments (no regime trains on real data) may name just the test folder.
  const trainsOnReal = (regimes as Regime[]).some((g) => g === 'real' || g === 'mixed');
  if (trainsOnReal && !stored && !r.all && !r.train) throw new ConfigError('real.train', 'is needed: the real and mixed regimes train on real data. Name a train folder, or use all with a split.');
  if (r.adapt === true && !stored && !r.all && !r.train) throw new ConfigError('real.adapt', 'adapts to the real training and validation images, and this config names only a test folder. Name a train folder, use all with a split, or leave adapt out.');
  if (!whole(raw.runs, 1, MOST.runs)) throw new ConfigError('runs', `must be a whole number from 1 to ${MOST.runs}.`);
  const runs = raw.runs as number;
  const seeds = raw.seeds ?? Array.from({ length: runs }, (_, i) => i + 1);
  if (!Array.isArray(seeds) || seeds.length !== runs || !seeds.every((x) => whole(x, 0, 0xffffffff))) throw new ConfigError('seeds', `must be ${runs} whole numbers (one per run), or left out for 1…${runs}.`);
  // Runs are paired across regimes by seed: a repeated seed would pair a run with its own copy.
  if (new Set(seeds).size !== seeds.length) throw new ConfigError('seeds', 'must all differ: runs are paired across regimes by their seed, so a repeated seed repeats a run. Give distinct seeds.');
  const input = section(raw, 'input');
  const size = (input.size as number | undefined) ?? (task === 'cracks' ? 64 : 128);
  if (!whole(size, 32, MOST.size) || (task === 'grains' && size % UNET_MULTIPLE !== 0)) throw new ConfigError('input.size', `must be a whole number of pixels from 32 to ${MOST.size}${task === 'grains' ? ` and a multiple of ${UNET_MULTIPLE}` : ''}.`);
  const channels = input.channels ?? 1;
  if (channels !== 1 && channels !== 3) throw new ConfigError('input.channels', 'must be 1 (grey) or 3 (RGB).');
  if (channels === 3 && task !== 'grains') throw new ConfigError('input.channels', 'is 3 (RGB), but crack tiles are grey; colour is for grain experiments.');
  const m = section(raw, 'model');
  const depth = (m.depth as Depth | undefined) ?? 10;
  // A number before `in`, which would convert an object (and can throw doing so).
  if (typeof depth !== 'number' || !(depth in DEPTHS)) throw new ConfigError('model.depth', `must be one of ${Object.keys(DEPTHS).join(', ')}.`);
  const width = (m.width as number | undefined) ?? 0.125;
  if (!(typeof width === 'number' && width > 0 && width <= 2)) throw new ConfigError('model.width', 'must be a number above 0 and at most 2.');
  const loss = (m.loss as LossName | undefined) ?? (task === 'grains' ? 'weighted-ce+dice' : 'ce');
  if (task === 'grains' && !SEGMENT_LOSSES.includes(loss)) throw new ConfigError('model.loss', `must be one of ${SEGMENT_LOSSES.join(', ')}.`);
  if (task === 'cracks' && loss !== 'ce') throw new ConfigError('model.loss', 'must be "ce" (cross-entropy) for the crack classifier, or left out; the other losses are for segmentation.');
  const t = section(raw, 'train');
  const batchSize = (t.batchSize as number | undefined) ?? DEFAULT_BATCH_SIZE[task === 'grains' ? 'segment' : 'classify'];
  if (!whole(batchSize, 1, MOST.batchSize)) throw new ConfigError('train.batchSize', `must be a whole number from 1 to ${MOST.batchSize}.`);
  if (t.augment !== undefined && typeof t.augment !== 'boolean') throw new ConfigError('train.augment', 'must be true (the default augmentation) or false (none).');
  if (t.weightDecay !== undefined && !(typeof t.weightDecay === 'number' && t.weightDecay >= 0 && t.weightDecay < 1)) throw new ConfigError('train.weightDecay', 'must be a number from 0 up to 1 (AdamW\'s decoupled decay; the default is 0.01).');
  const backend = (t.backend as BackendPreference | undefined) ?? 'auto';
  if (t.budgetMinutes !== undefined && !(typeof t.budgetMinutes === 'number' && t.budgetMinutes > 0 && t.budgetMinutes <= MOST.budgetMinutes)) {
    throw new ConfigError('train.budgetMinutes', `must be a number of minutes above 0 and at most ${MOST.budgetMinutes} (a week), or left out to train the phases' epochs as written.`);
  }
  if (t.sized !== undefined && !(isObject(t.sized) && isObject(t.sized.imagesPerSecond))) throw new ConfigError('train.sized', 'is written by the app when a budget sizes the schedule; remove it to size the schedule again.');
  if (!['auto', 'webgpu', 'webgl', 'cpu'].includes(backend)) throw new ConfigError('train.backend', 'must be auto, webgpu, webgl or cpu.');
  const synthPhases = phases(t.synthetic, 'train.synthetic', size, [{ epochs: 3, maxLr: 2e-3, freezeEncoder: false, size }]);
  const realPhases = phases(t.real, 'train.real', size, defaultFineTunePhases(size));
  for (const [field, list] of [['train.synthetic', synthPhases], ['train.real', realPhases]] as const) {
    list.forEach((p, i) => {
      if (task === 'grains' && p.size % UNET_MULTIPLE !== 0) throw new ConfigError(`${field}[${i}].size`, `must be a multiple of ${UNET_MULTIPLE}.`);
    });
  }
  const a = section(raw, 'adaptive');
  const adaptive = {
    fraction: (a.fraction as number | undefined) ?? 0.1,
    variations: (a.variations as number | undefined) ?? 10,
    // A label width matched to the training masks is not a look to vary.
    parameters: (isObject(a.parameters) ? a.parameters : s.labelWidth ? withoutMaskWidth(DEFAULT_MOVES[task]) : DEFAULT_MOVES[task]) as Record<string, number>,
    rounds: (a.rounds as number | undefined) ?? 1,
    phases: phases(a.phases, 'adaptive.phases', size, [{ epochs: 1, maxLr: 5e-4, freezeEncoder: false, size }]),
  };
  if (s.labelWidth && isObject(a.parameters) && a.parameters.maskWidth !== undefined) {
    throw new ConfigError('adaptive.parameters', 'moves maskWidth, which synthetic.labelWidth matches to the training masks. Leave one out.');
  }
  const adaptiveError = adaptiveConfigError(task, adaptive);
  if (adaptiveError) {
    const [field, ...rest] = adaptiveError.split(': ');
    throw new ConfigError(field, rest.join(': '));
  }
  if (adaptive.phases.some((p) => task === 'grains' && p.size % UNET_MULTIPLE !== 0)) throw new ConfigError('adaptive.phases', `sizes must be multiples of ${UNET_MULTIPLE}.`);
  return {
    adaptive,
    name: typeof raw.name === 'string' ? raw.name : `${task} experiment`,
    task,
    synthetic: { count: s.count as number, size: s.size as number, seed: (s.seed as number | undefined) ?? 1, preset: s.preset as string | undefined,
      params: isObject(s.params) ? s.params : undefined, crack: isObject(s.crack) ? s.crack : undefined,
      ...(s.texture ? { texture: s.texture as 'bundled' | 'real-train' } : {}), ...(s.match ? { match: s.match as string | true } : {}),
      ...(s.labelWidth ? { labelWidth: s.labelWidth as 'real-train' } : {}),
      ...(s.dataset ? { dataset: s.dataset as string } : {}), ...(s.exemplars ? { exemplars: s.exemplars as string } : {}) },
    real: { ...(stored ? { stored } : {}), train: r.train as string | undefined, val: r.val as string | undefined, test: r.test as string | undefined, all: r.all as string | undefined,
      ...(split ? { split: { val: split.val as number, test: split.test as number } } : {}), pinTest, fit: (r.fit as 'resize' | 'tile' | undefined) ?? 'resize',
      ...(r.adapt ? { adapt: true } : {}) },
    regimes: [...new Set(regimes as Regime[])],
    runs,
    seeds: seeds as number[],
    model: { depth, width, loss },
    train: { batchSize, synthetic: synthPhases, real: realPhases, augment: t.augment !== false, weightDecay: (t.weightDecay as number | undefined) ?? 0.01, backend,
      ...(t.budgetMinutes !== undefined ? { budgetMinutes: t.budgetMinutes as number } : {}), ...(t.sized ? { sized: t.sized as unknown as SizedSchedule } : {}) },
    input: { size, ...(channels === 3 ? { channels: 3 as const } : {}) },
  };
}

/** What only the page has (IndexedDB): a config naming it cannot run headless from folders. */
export function storedInputs(c: ExperimentConfig): string[] {
  return [...(c.real.stored ? ['real.stored (the Real data tab\'s tiles)'] : []), ...(c.synthetic.dataset ? [`synthetic.dataset ("${c.synthetic.dataset}")`] : [])];
}

/**
 * A `real.stored` config made concrete when it starts: the Real data tab's shares (unless the
 * config names its own split) and its pinned images added to `pinTest`, so the recorded config says
 * exactly how each run split the data.
 */
export function withStoredReal(c: ExperimentConfig, tab: { split: { val: number; test: number }; pinTest: readonly string[] }): ExperimentConfig {
  if (!c.real.stored) return c;
  const split = c.real.split ?? { ...tab.split };
  const pinTest = [...new Set([...(c.real.pinTest ?? []), ...tab.pinTest])];
  if (split.test === 0 && pinTest.length === 0) {
    throw new ConfigError('real.split', 'the Real data tab\'s test share is 0 and no tile is pinned to test, so there would be no test set. Give the split a test share or pin test tiles there.');
  }
  return { ...c, real: { ...c.real, split, pinTest } };
}

function withoutMaskWidth(moves: Record<string, number>): Record<string, number> {
  const { maskWidth: _, ...rest } = moves;
  return rest;
}

/** The real folders a config names, in a fixed order. */
export function realFolders(c: ExperimentConfig): { set: RealSetName; path: string }[] {
  return (['all', 'train', 'val', 'test'] as const).filter((k) => c.real[k]).map((k) => ({ set: k, path: c.real[k]! }));
}

/** `synthetic.preset` value that takes the preset Match my images names (presetForLook). */
export const MATCHED_PRESET = 'matched';

/**
 * A config whose synthetic ranges include those matched to the user's images: matched ranges
 * under the config's own `params` (which win). With `preset` "matched", the preset becomes the one
 * the match named (`suggested`), among those that render the model's channels: a grey model takes
 * *Tint etched* for colour tone edges, an RGB model always *Colour etched*, the only colour preset.
 * The result is what the experiment records.
 */
export function withMatchedRanges(c: ExperimentConfig, matched: Record<string, { lo: number; hi: number }>, matchWidth: number, suggested?: string): ExperimentConfig {
  if (c.synthetic.preset === MATCHED_PRESET) {
    if (!suggested) throw new ConfigError('synthetic.preset', `"${MATCHED_PRESET}" needs the preset the match named.`);
    const preset = (c.input.channels ?? 1) === 3 ? 'colour-etched' : suggested === 'colour-etched' ? 'tint-etched' : suggested;
    c = { ...c, synthetic: { ...c.synthetic, preset } };
  }
  // Lengths were measured in the user's pixels. Real images reach the network at native scale
  // (fit "tile") or resized to the input (fit "resize"), synthetic ones resized from their size to
  // the input: so synthetic px per user px is size / input, or size / the user's image width.
  const factor = c.real.fit === 'tile' ? c.synthetic.size / c.input.size : c.synthetic.size / matchWidth;
  const scaled = Object.fromEntries(Object.entries(matched).map(([name, r]) => {
    // Lengths scale with the factor; a count per 100² px with its inverse square.
    const by = MATCHED_LENGTHS.includes(name) ? factor : MATCHED_DENSITIES.includes(name) ? 1 / (factor * factor) : 1;
    if (by === 1) return [name, r];
    const spec = GRAIN_PARAMS.find((p) => p.name === name)!;
    const clamp = (v: number) => Math.min(spec.max, Math.max(spec.min, v));
    return [name, { lo: clamp(r.lo * by), hi: clamp(r.hi * by) }];
  }));
  return { ...c, synthetic: { ...c.synthetic, params: { ...scaled, ...(c.synthetic.params ?? {}) } } };
}

/** Matched parameters measured in pixels, which scale with resolution. */
const MATCHED_LENGTHS = ['grainDiameter', 'lineWidth', 'blurSigma', 'pitSize'];
/** Matched parameters counted per area of pixels. */
const MATCHED_DENSITIES = ['pitDensity'];

/** The recipe renders the channels the model takes (a grey recipe cannot train an RGB model, nor the reverse). */
export function checkChannels(c: ExperimentConfig, recipe: Recipe): void {
  const want = c.input.channels ?? 1, have = recipeChannels(recipe);
  if (want === 3 && have === 1) throw new ConfigError('input.channels', 'is 3 (RGB), but the synthetic recipe renders grey: use "preset": "colour-etched" or "params": {"colour": 1}.');
  if (want === 1 && have === 3) throw new ConfigError('input.channels', 'is 1 (grey), but the synthetic recipe renders colour: set "input": {"channels": 3}, or "params": {"colour": 0}.');
}

/** The synthetic recipe an experiment generates (crack tiles need texture exemplars passed in). */
export function recipeFromConfig(c: ExperimentConfig, exemplars: Exemplar[], exemplarSource: string): Recipe {
  const { count, size, seed } = c.synthetic;
  let recipe: Recipe;
  try {
    recipe = recipeFromSpec(c.task, c.synthetic as RecipeSpec, size, count, seed, exemplars, exemplarSource);
    validateAnyRecipe(recipe);
  } catch (e) {
    throw new ConfigError(e instanceof ParamError ? `synthetic.params.${e.field}` : 'synthetic', (e as Error).message);
  }
  checkChannels(c, recipe);
  return recipe;
}
