/**
 * Running an experiment: for every seed, train the regimes (synthetic only; real only; mixed =
 * the synthetic model fine-tuned on the real training set), evaluate each on the real test set and
 * on all real data, then summarise over runs (mean, sd, 99 % t-interval) and compare regimes with
 * paired t-tests. Each run's seed drives the real split, the initial weights and the data order,
 * so a resume that is given the finished runs trains only the missing (seed, regime) pairs and
 * ends with the results an uninterrupted experiment would have given.
 * Runs in the training worker for the UI and, through the UI, for the headless runner.
 */
import * as tf from '@tensorflow/tfjs';
import { adaptBatchNorm, MIN_ADAPT_IMAGES } from '../ml/adapt';
import type { GreyImage } from '../data/tiling';
import { gridPositions, resizeSquare, splitCounts } from '../data/tiling';
import { hashSeed, Rng } from '../random';
import type { Recipe } from '../synth/recipe';
import { recipeChannels, SampleMaker } from '../synth/recipe';
import { lumaOf, repeatGrey } from '../synth/grains/colour';
import type { CrackRecipe } from '../synth/cracks/index';
import type { GrainRecipe } from '../synth/grains/index';
import { GRAIN_MASK_WIDTH, labelBoundaryWidth, withLabelWidth } from '../synth/grains/matchLabels';
import { minExemplarSide } from '../synth/cracks/texture';
import { movableParameters, movableValue, selectWorst, variationIndex, variationRecipe } from './adaptive';
import { adaptiveSetSize, phaseSizes, sizeToBudget } from './budget';
import { DEFAULT_AUGMENT, NO_AUGMENT } from '../ml/augment';
import type { ModelConfig, TrainConfig } from '../ml/config';
import { buildModel } from '../ml/models';
import { MIRROR_AVERAGED } from '../ml/predict';
import { splitIndices, Trainer, type RawSample, type SampleSource } from '../ml/trainer';
import { madeSource, toRaw, type SampleOrigin, type SourceFactory } from './synthetic';
import type { ExperimentConfig, RealItem, RealSetName, Regime } from './config';
import { setMetrics, summarise, type ExperimentProgress, type ExperimentResults, type FinishedRuns, type HardSamples, type RegimePredictions, type RunResult } from './summary';

/** Share of the synthetic set held out for validation (epoch metrics, the threshold, adaptive scoring). */
const SYNTHETIC_VAL = 0.2;

export interface ExperimentHooks {
  onProgress?: (p: ExperimentProgress) => void;
  /** A run finished: it, and the results so far (finished runs kept, with the first run's extras). */
  onRun?: (r: RunResult, sofar: ExperimentResults) => void;
  shouldStop?: () => boolean;
  /** How synthetic samples are served: made on demand (default); tests count the asks or hold the set. */
  syntheticSource?: SourceFactory;
}

/** The finished runs that belong to this config, once each (a run another config made is dropped). */
export function keptRuns(config: ExperimentConfig, done: readonly RunResult[]): RunResult[] {
  const seen = new Set<string>();
  return done.filter((r) => {
    const key = `${r.seed}:${r.regime}`;
    if (!config.seeds.includes(r.seed) || !config.regimes.includes(r.regime) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * An image with `channels` channels (1 grey, 3 RGB interleaved) as planes of grey images and back:
 * resizing and cutting work per plane.
 */
function planes(img: GreyImage, channels: number): GreyImage[] {
  if (channels === 1) return [img];
  const n = img.width * img.height;
  return Array.from({ length: channels }, (_, c) => ({ width: img.width, height: img.height, pixels: Uint8Array.from({ length: n }, (_, i) => img.pixels[channels * i + c]) }));
}
function interleave(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts[0].length * parts.length);
  parts.forEach((p, c) => { for (let i = 0; i < p.length; i++) out[parts.length * i + c] = p[i]; });
  return out;
}

/**
 * A real image in the channels the model takes: RGB to grey by the luma uploads use, grey to RGB
 * by repeating it (a grey image is a colour image without colour).
 */
export function withChannels(img: GreyImage, channels: 1 | 3): GreyImage {
  const have = img.pixels.length / (img.width * img.height);
  if (have === channels) return img;
  if (have === 3) return { ...img, pixels: lumaOf(img.pixels) };
  return { ...img, pixels: repeatGrey(img.pixels) };
}

interface Prepared extends RawSample {
  group: string;
  set: RealSetName;
}

/**
 * Real items at the input size: resized whole, or cut into input-size tiles (kept with their
 * image's group); images in `channels` channels (1 grey, 3 RGB).
 */
export function prepareReal(items: readonly RealItem[], size: number, fit: 'resize' | 'tile', channels: 1 | 3 = 1): Prepared[] {
  const out: Prepared[] = [];
  for (const item of items) {
    const { mask } = item;
    const image = withChannels(item.image, channels);
    if (fit === 'tile' && image.width >= size && image.height >= size && (image.width > size || image.height > size)) {
      for (const [x, y] of gridPositions(image.width, image.height, size, size)) {
        const cut = (g: GreyImage) => {
          const t = new Uint8Array(size * size);
          for (let v = 0; v < size; v++) t.set(g.pixels.subarray((y + v) * g.width + x, (y + v) * g.width + x + size), v * size);
          return t;
        };
        out.push({ image: interleave(planes(image, channels).map(cut)), mask: mask ? cut(mask) : undefined, label: item.label, group: item.name, set: item.set });
      }
    } else {
      const same = image.width === size && image.height === size;
      out.push({ image: same ? image.pixels : interleave(planes(image, channels).map((p) => resizeSquare(p, size, false))),
        mask: mask ? (same ? mask.pixels : resizeSquare(mask, size, true)) : undefined, label: item.label, group: item.name, set: item.set });
    }
  }
  return out;
}

/** Train / val / test indices for one seed: given folders as they are, or `all` split by image, stratified for classes. */
export function realSplit(samples: readonly Prepared[], config: ExperimentConfig, seed: number): Record<'train' | 'val' | 'test', number[]> {
  const out = { train: [] as number[], val: [] as number[], test: [] as number[] };
  const fixed = samples.some((s) => s.set !== 'all');
  if (fixed) {
    samples.forEach((s, i) => {
      if (s.set === 'train' || s.set === 'val' || s.set === 'test') out[s.set].push(i);
    });
    if (out.val.length === 0) out.val = out.train.filter((_, k) => k % 5 === 0); // no val folder: watch a fifth of train
    return out;
  }
  const pinned = new Set(config.real.pinTest);
  const groups = new Map<string, number[]>();
  samples.forEach((s, i) => groups.set(s.group, [...(groups.get(s.group) ?? []), i]));
  const byClass = new Map<number, string[]>();
  for (const [group, members] of groups) {
    if (pinned.has(group)) out.test.push(...members);
    else {
      const cls = samples[members[0]].label ?? 0;
      byClass.set(cls, [...(byClass.get(cls) ?? []), group]);
    }
  }
  for (const [cls, names] of [...byClass].sort((a, b) => a[0] - b[0])) {
    names.sort();
    const rng = new Rng(hashSeed(seed, 0x5e11, cls));
    for (let i = names.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [names[i], names[j]] = [names[j], names[i]];
    }
    const { test: nTest, val: nVal } = splitCounts(names.length, config.real.split!.val, config.real.split!.test); // pinned images come on top
    names.forEach((g, k) => out[k < nTest ? 'test' : k < nTest + nVal ? 'val' : 'train'].push(...groups.get(g)!));
  }
  if (out.val.length === 0) out.val = out.train.slice(0, Math.max(1, Math.floor(out.train.length / 5)));
  return out;
}

export const memorySource = (samples: readonly RawSample[], size: number, channels: 1 | 3 = 1): SampleSource => ({
  count: samples.length, size, channels, get: async (indices) => indices.map((i) => samples[i]),
});

/** Indices reordered so that labels alternate (crack, no crack, …) while both last; unlabelled keep their order. */
export function interleaveClasses(indices: readonly number[], samples: readonly { label?: number }[]): number[] {
  const byLabel = new Map<number, number[]>();
  for (const i of indices) byLabel.set(samples[i].label ?? -1, [...(byLabel.get(samples[i].label ?? -1) ?? []), i]);
  const queues = [...byLabel.entries()].sort((a, b) => b[0] - a[0]).map(([, q]) => q);
  const out: number[] = [];
  for (let k = 0; out.length < indices.length; k++) for (const q of queues) if (k < q.length) out.push(q[k]);
  return out;
}

/**
 * A crack recipe whose texture exemplars are the crack-free real images of one training split (at
 * their own resolution). Only training images: texture from test images would leak them.
 */
export function withTrainingTexture(recipe: CrackRecipe, items: readonly RealItem[], trainNames: ReadonlySet<string>, seed: number): CrackRecipe {
  const minSide = minExemplarSide(recipe.settings);
  const exemplars = items
    .filter((item) => trainNames.has(item.name) && item.label === 0 && item.image.width >= minSide && item.image.height >= minSide)
    .map((item) => ({ width: item.image.width, height: item.image.height, pixels: item.image.pixels }));
  if (exemplars.length === 0) {
    throw new Error(`synthetic.texture "real-train" needs crack-free real training images of at least ${minSide}×${minSide} px; this split has none. Use "bundled" or add no_crack images.`);
  }
  return { ...recipe, exemplars, exemplarSource: `${exemplars.length} crack-free real training images (run seed ${seed})` };
}

/**
 * The config sized to its time budget (budget.ts): training speed timed at every phase size on a
 * fresh model of the experiment's own shape, on the real images (the model's weights are thrown away).
 */
async function budgeted(config: ExperimentConfig, syntheticCount: number, real: Prepared[], onProgress: (p: ExperimentProgress) => void,
  probeConfig: TrainConfig): Promise<ExperimentConfig> {
  const sizes = phaseSizes(config);
  onProgress({ run: 0, runs: config.runs, seed: config.seeds[0], regime: config.regimes[0],
    phase: `timing a few training steps at ${sizes.join(', ')} px to fit the schedule to ${config.train.budgetMinutes} min` });
  const model = buildModel(probeConfig.model as ModelConfig);
  const speeds: Record<number, number> = {};
  try {
    const probe = new Trainer(model, probeConfig, memorySource(real, config.input.size, config.input.channels ?? 1));
    for (const s of sizes) speeds[s] = await probe.imagesPerSecond(s);
  } finally {
    model.dispose();
  }
  const synthetic = splitIndices(syntheticCount, SYNTHETIC_VAL, config.seeds[0]);
  const realSets = realSplit(real, config, config.seeds[0]);
  return sizeToBudget(config, {
    synthetic: { train: synthetic.train.length, val: synthetic.val.length },
    real: { train: realSets.train.length, val: realSets.val.length },
    adaptive: adaptiveSetSize(config, synthetic.val.length),
  }, speeds);
}

/** How far the synthetic labels may miss the training masks' width before labelWidth refuses (the recipe's maskWidth has limits). */
const LABEL_WIDTH_TOLERANCE = 0.15;

export async function runExperiment(config: ExperimentConfig, recipe: Recipe, realItems: readonly RealItem[], hooks: ExperimentHooks = {},
  done?: FinishedRuns): Promise<ExperimentResults> {
  const size = config.input.size;
  const task = config.task === 'grains' ? 'segment' : 'classify';
  const channels = config.input.channels ?? 1;
  const real = prepareReal(realItems, size, config.real.fit ?? 'resize', channels);
  if (real.length === 0) throw new Error('No real images were given: an experiment is evaluated on real data.');
  if (config.real.stored && !config.real.split) throw new Error('real.stored: the stored split\'s shares were not filled in (the Experiments view does it on start).');
  // Synthetic samples are made from the recipe when a batch asks for them, never held as a set
  // (synthetic.ts); the recipe changes per run when texture comes from the run's real training split.
  const maker = new SampleMaker();
  const serve = hooks.syntheticSource ?? madeSource;
  const perRunTexture = recipe.kind === 'cracks' && config.synthetic.texture === 'real-train';
  const perRunLabelWidth = recipe.kind === 'grains' && config.synthetic.labelWidth === 'real-train';
  // While set, the records of the recipe's samples as they are made: adaptive sampling scores the
  // validation samples and then needs the params of the hard ones (and, once, of all of them).
  let records: Map<number, SampleOrigin> | null = null;
  const synthetic = (): SampleSource => ({ ...serve(recipe.count, recipe.size, (i) => {
    const s = maker.make(recipe, i);
    records?.set(i, { seed: s.seed, label: s.label, params: s.params });
    return toRaw(s);
  }), channels: recipeChannels(recipe) });
  // Finished runs come first: they are the prefix an interrupted attempt stored, in run order.
  const runs: RunResult[] = keptRuns(config, done?.runs ?? []);
  let hardSamples: HardSamples | undefined = done?.hardSamples;
  const hardRounds: HardSamples[] = [...(done?.hardRounds ?? [])];
  const predictions: RegimePredictions[] = (done?.predictions ?? []).filter((p) => runs.some((r) => r.seed === p.seed && r.regime === p.regime));
  const finished = (seed: number, regime: Regime) => runs.some((r) => r.seed === seed && r.regime === regime);
  const trainConfig = (seed: number, phases: TrainConfig['phases']): TrainConfig => ({
    model: { task, depth: config.model.depth, width: config.model.width, classes: 2, seed, ...(channels === 3 ? { channels } : {}) },
    loss: config.model.loss, batchSize: config.train.batchSize, phases, weightDecay: config.train.weightDecay,
    augment: config.train.augment ? DEFAULT_AUGMENT : NO_AUGMENT, seed, valFraction: SYNTHETIC_VAL, norm: 'standardise',
  });
  const stopped = () => hooks.shouldStop?.() ?? false;
  const realSource = memorySource(real, size, channels);
  const allIndices = real.map((_, i) => i);
  if (config.train.budgetMinutes && !config.train.sized) {
    config = await budgeted(config, recipe.count, real, (progress) => hooks.onProgress?.(progress), trainConfig(config.seeds[0], config.train.synthetic));
    if (stopped()) return summarise(config, runs, false, tf.getBackend(), { hardSamples, hardRounds, predictions });
  }

  for (const [r, seed] of config.seeds.entries()) {
    // Regimes of this seed still to run; the model a finished regime shares (the synthetic one) is trained again.
    const wants = (g: Regime) => config.regimes.includes(g) && !finished(seed, g);
    if (!config.regimes.some(wants)) continue;
    const split = realSplit(real, config, seed);
    if (split.test.length === 0) {
      throw new Error(`Run seed ${seed}: the real test set is empty (${new Set(real.map((p) => p.group)).size} real images; whole images stay together). Add real images, raise the test share or pin test images.`);
    }
    const progress = (regime: Regime, phase: string) => hooks.onProgress?.({ run: r + 1, runs: config.runs, seed, regime, phase });
    // Images to adapt batch-norm statistics to (a val taken from train is not counted twice), checked before any training.
    const unlabelled = [...new Set([...split.train, ...split.val])];
    if (config.real.adapt && unlabelled.length < MIN_ADAPT_IMAGES) {
      throw new Error(`real.adapt: run seed ${seed} has ${unlabelled.length} real training and validation images; adapting needs at least ${MIN_ADAPT_IMAGES}. Give the split more, or leave adapt out.`);
    }
    if (perRunTexture && config.regimes.some((g) => g !== 'real' && wants(g))) {
      progress(config.regimes[0], 'taking synthetic tile texture from the real training split\'s crack-free images');
      recipe = withTrainingTexture(recipe as CrackRecipe, realItems, new Set(split.train.map((i) => real[i].group)), seed);
    }
    let labelWidth: number | undefined;
    if (perRunLabelWidth && config.regimes.some((g) => g !== 'real' && wants(g))) {
      progress(config.regimes[0], 'matching the synthetic label width to the real training split\'s masks');
      labelWidth = labelBoundaryWidth(split.train.flatMap((i) => real[i].mask ? [{ pixels: real[i].mask!, width: size, height: size }] : []));
      if (labelWidth === undefined) {
        throw new Error(`synthetic.labelWidth "real-train": run seed ${seed}'s real training split has no boundary in its masks. Give it traced masks, or leave labelWidth out.`);
      }
      const matched = withLabelWidth(recipe as GrainRecipe, labelWidth, size);
      if (Math.abs(matched.reached / labelWidth - 1) > LABEL_WIDTH_TOLERANCE) {
        throw new Error(`synthetic.labelWidth "real-train": run seed ${seed}'s training masks draw boundaries ${labelWidth.toFixed(2)} px wide at the input size, and the recipe's labels (maskWidth ${GRAIN_MASK_WIDTH.min}–${GRAIN_MASK_WIDTH.max} px at ${recipe.size} px) reach only ${matched.reached.toFixed(2)} px there. Bring synthetic.size nearer input.size, or leave labelWidth out.`);
      }
      recipe = matched.recipe;
    }
    /**
     * Segmentation decides boundary above a threshold picked by boundary F1 on validation data that
     * matches the regime's training: synthetic validation for a synthetic-trained model, the real
     * validation split once real data trained it. Never on test images.
     */
    const pickThreshold = async (model: tf.LayersModel, regime: Regime): Promise<number | undefined> => {
      if (task !== 'segment') return undefined;
      progress(regime, 'choosing the boundary threshold on validation data');
      const onReal = regime === 'real' || regime === 'mixed';
      const source = onReal ? realSource : synthetic();
      const indices = onReal ? split.val : splitIndices(recipe.count, SYNTHETIC_VAL, seed).val;
      const at = onReal ? size : config.train.synthetic.at(-1)!.size;
      return (await new Trainer(model, trainConfig(seed, config.train.real), source).pickThreshold(indices, at, undefined, MIRROR_AVERAGED[task])).threshold;
    };
    const evaluate = async (model: tf.LayersModel, regime: Regime) => {
      // The threshold is picked for the model as trained (on its own validation data); then the
      // model is adapted to real images like the test images (the run's other real images).
      const threshold = await pickThreshold(model, regime);
      let restore = () => {};
      if (config.real.adapt) {
        progress(regime, `adapting batch-norm statistics to ${unlabelled.length} real training and validation images`);
        restore = await adaptBatchNorm(model, realSource, trainConfig(seed, config.train.real), unlabelled, size);
      }
      try {
        await score(model, regime, threshold);
      } finally {
        // Later regimes go on training this model from what it learnt, not from the adapted statistics.
        restore();
      }
    };
    const score = async (model: tf.LayersModel, regime: Regime, threshold: number | undefined) => {
      progress(regime, 'evaluating');
      const evaluator = new Trainer(model, trainConfig(seed, config.train.real), realSource);
      // Classes interleaved, so the kept predictions show both (metrics do not depend on order).
      // Tiles are small, so a classifier keeps all of them for the sheet; masks keep the first 8.
      const keep = r > 0 ? 0 : task === 'classify' ? split.test.length : 8;
      const test = await evaluator.validate(interleaveClasses(split.test, real), size, undefined, keep, threshold, MIRROR_AVERAGED[task]);
      if (r === 0) predictions.push({ regime, seed, items: test.predictions });
      const all = await evaluator.validate(allIndices, size, undefined, 0, threshold, MIRROR_AVERAGED[task]);
      const result: RunResult = { seed, regime, metrics: { test: setMetrics(test.metrics, split.test.length), all: setMetrics(all.metrics, allIndices.length) },
        ...(threshold === undefined ? {} : { threshold }), ...(labelWidth === undefined || regime === 'real' ? {} : { labelWidth: +labelWidth.toFixed(2) }) };
      runs.push(result);
      hooks.onRun?.(result, summarise(config, runs, false, tf.getBackend(), { hardSamples, hardRounds, predictions }));
    };
    const train = async (model: tf.LayersModel, regime: Regime, source: SampleSource, phases: TrainConfig['phases'], what: string, fixed?: { train: number[]; val: number[] }) => {
      const trainer = new Trainer(model, trainConfig(seed, phases), source, {
        shouldStop: stopped,
        onStep: (p) => progress(regime, `${what}: phase ${p.phase + 1}, epoch ${p.epoch + 1}, step ${p.step + 1}/${p.stepsPerEpoch}`),
      });
      return !(await trainer.run(undefined, fixed)).stopped;
    };
    /**
     * From the synthetic model: random-finetune on fresh random samples and adaptive-finetune on
     * variations of the hardest validation samples, as many of each, same seed and schedule.
     */
    const adaptiveRounds = async (synthModel: tf.LayersModel): Promise<boolean> => {
      const a = config.adaptive;
      const { val } = splitIndices(recipe.count, SYNTHETIC_VAL, seed);
      const copy = () => {
        const m = buildModel(trainConfig(seed, a.phases).model as ModelConfig);
        m.setWeights(synthModel.getWeights());
        return m;
      };
      const higherIsWorse = task === 'classify';
      for (const regime of ['random-finetune', 'adaptive-finetune'] as const) {
        if (!wants(regime)) continue;
        const model = copy();
        try {
          for (let round = 0; round < a.rounds; round++) {
            progress(regime, `round ${round + 1}: scoring ${val.length} synthetic validation samples`);
            const scored = (records = new Map<number, SampleOrigin>());
            const scorer = new Trainer(regime === 'adaptive-finetune' ? model : synthModel, trainConfig(seed, a.phases), synthetic());
            const { scores, predictions } = await scorer.scoreSamples(val, config.input.size).finally(() => (records = null));
            const hard = selectWorst(scores, a.fraction, higherIsWorse);
            const n = hard.length * a.variations;
            const random = regime === 'random-finetune';
            // Fine-tuning samples, made on demand too: fresh ones past the recipe's count, or
            // variation v of hard sample k at k × variations + v.
            const set = random ? serve(n, recipe.size, (j) => toRaw(maker.make(recipe, recipe.count + round * n + j)))
              : serve(n, recipe.size, (j) => {
                const sample = scored.get(val[hard[Math.floor(j / a.variations)]])!;
                const r = variationRecipe(recipe, sample.params, sample.seed, a.parameters, round, j % a.variations);
                return toRaw(maker.make(r, variationIndex(sample.label)));
              });
            if (!random) {
              // Every recorded parameter that varies among the scored samples, not only the moved
              // ones: a parameter the model finds hard shows up even when the config does not move it.
              const prior = Object.fromEntries(movableParameters(recipe.kind).map(({ name }) =>
                [name, val.map((i) => movableValue(scored.get(i)!.params, name)).filter((v): v is number => v !== undefined)] as const)
                .filter(([, values]) => values.length > 1 && Math.min(...values) < Math.max(...values)));
              const found: HardSamples = { seed, round, parameters: Object.keys(prior), moved: Object.keys(a.parameters), higherIsWorse, prior,
                hard: hard.map((h) => ({ index: val[h], score: scores[h], params: scored.get(val[h])!.params })) };
              // A resumed run that is done again finds the same samples: recorded once.
              if (!hardRounds.some((h) => h.seed === seed && h.round === round)) hardRounds.push(found);
              // The first seed's first round keeps the predictions too (for the gallery), so a resume that starts later records the same.
              if (r === 0 && round === 0) hardSamples = { ...found, hard: found.hard.map((h, k) => ({ ...h, prediction: predictions[hard[k]] })) };
            }
            progress(regime, `round ${round + 1}: fine-tuning on ${n} ${random ? 'random' : 'adapted'} samples`);
            const all = Array.from({ length: n }, (_, i) => i);
            if (!(await train(model, regime, { ...set, channels: recipeChannels(recipe) }, a.phases, 'fine-tuning', { train: all, val: all.slice(0, Math.max(1, Math.floor(n / 5))) }))) return false;
          }
          await evaluate(model, regime);
        } finally {
          model.dispose();
        }
      }
      return true;
    };
    const adaptive = wants('random-finetune') || wants('adaptive-finetune');
    if (wants('synthetic') || wants('mixed') || adaptive) {
      const model = buildModel(trainConfig(seed, config.train.synthetic).model as ModelConfig);
      const first = config.regimes.find((g) => g !== 'real')!;
      try {
        if (!(await train(model, first, synthetic(), config.train.synthetic, 'synthetic training'))) break;
        if (wants('synthetic')) await evaluate(model, 'synthetic');
        if (adaptive && !(await adaptiveRounds(model))) break;
        if (wants('mixed')) {
          if (!(await train(model, 'mixed', realSource, config.train.real, 'fine-tuning on real', { train: split.train, val: split.val }))) break;
          await evaluate(model, 'mixed');
        }
      } finally {
        model.dispose();
      }
    }
    if (wants('real')) {
      const model = buildModel(trainConfig(seed, config.train.real).model as ModelConfig);
      try {
        if (!(await train(model, 'real', realSource, config.train.real, 'real training', { train: split.train, val: split.val }))) break;
        await evaluate(model, 'real');
      } finally {
        model.dispose();
      }
    }
    if (stopped()) break;
  }
  return summarise(config, runs, runs.length === config.runs * config.regimes.length, tf.getBackend(), { hardSamples, hardRounds, predictions });
}
