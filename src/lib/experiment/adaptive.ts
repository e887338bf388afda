/**
 * Adaptive sampling (the paper's section 3.3): after training, score the synthetic validation
 * samples with the model, take the worst fraction, and make variations of each by perturbing its
 * recorded parameters within an interval per parameter; fine-tune on those. The baseline
 * fine-tunes on as many fresh random samples. Perturbed values stay inside the parameter space.
 */
import { hashSeed, Rng } from '../random';
import { type ParamSpec, type Settings } from '../params/space';
import { TEXTURE_PARAMS } from '../synth/cracks/space';
import { GRAIN_PARAMS } from '../synth/grains/space';
import type { Recipe, SampleParams } from '../synth/recipe';

export interface AdaptiveConfig {
  /** Share of the synthetic validation samples taken as hard (paper: 0.1). */
  fraction: number;
  /** Variations made of each hard sample (paper: 10). */
  variations: number;
  /** Which parameters may move, and by how much (± this, in the parameter's unit). */
  parameters: Record<string, number>;
  /** Further rounds of select → vary → fine-tune. */
  rounds: number;
}

/** Paper's choice: grain contrast and boundary thickness; for cracks, width and intensity. */
export const DEFAULT_MOVES: Record<Recipe['kind'], Record<string, number>> = {
  grains: { grainContrast: 0.15, lineWidth: 0.75, maskWidth: 0.75 },
  cracks: { crackWidth: 0.3, crackIntensity: 0.15 },
};

/** The `count` worst samples by score: highest when higher is worse (loss), lowest otherwise (IoU); ties by index. */
export function selectWorst(scores: readonly number[], fraction: number, higherIsWorse: boolean): number[] {
  const count = Math.max(1, Math.round(scores.length * fraction));
  return scores
    .map((score, index) => ({ score: Number.isFinite(score) ? score : higherIsWorse ? Infinity : -Infinity, index }))
    .sort((a, b) => (higherIsWorse ? b.score - a.score : a.score - b.score) || a.index - b.index)
    .slice(0, count)
    .map((s) => s.index);
}

const clampTo = (spec: ParamSpec, v: number) => {
  const c = Math.min(spec.max, Math.max(spec.min, v));
  return spec.distribution === 'int' ? Math.round(c) : c;
};

/** The parameters that can move for a recipe kind: names and what they mean. */
export function movableParameters(kind: Recipe['kind']): { name: string; help: string }[] {
  // Colour is not a look to vary: a dataset, and the model trained on it, is all grey or all RGB.
  if (kind === 'grains') return GRAIN_PARAMS.filter((p) => p.name !== 'colour').map((p) => ({ name: p.name, help: `${p.label} (${p.unit || 'no unit'})` }));
  return [
    { name: 'crackWidth', help: 'crack width, as a relative change (0.3 = ±30 %)' },
    { name: 'crackIntensity', help: 'crack intensity (−1 black … +1 white), absolute' },
    ...TEXTURE_PARAMS.map((p) => ({ name: p.name, help: `${p.label} (${p.unit || 'no unit'})` })),
  ];
}

export function adaptiveConfigError(kind: Recipe['kind'], a: AdaptiveConfig): string | undefined {
  if (!(a.fraction > 0 && a.fraction <= 1)) return 'adaptive.fraction: must be above 0 and at most 1.';
  if (!(Number.isInteger(a.variations) && a.variations >= 1 && a.variations <= 1000)) return 'adaptive.variations: must be a whole number from 1 to 1000.';
  if (!(Number.isInteger(a.rounds) && a.rounds >= 1 && a.rounds <= 100)) return 'adaptive.rounds: must be a whole number from 1 to 100.';
  const known = new Set(movableParameters(kind).map((p) => p.name));
  for (const [name, delta] of Object.entries(a.parameters)) {
    if (!known.has(name)) return `adaptive.parameters.${name}: unknown; ${kind} can move ${[...known].join(', ')}.`;
    if (!(typeof delta === 'number' && delta >= 0)) return `adaptive.parameters.${name}: must be an interval of 0 or more.`;
  }
  return undefined;
}

/**
 * A recipe for variation `v` of a hard sample: every recorded value fixed, the movable ones moved
 * by up to ± their interval (clamped into the parameter space), a fresh seed for the rest. Same
 * inputs, same recipe. Crack recipes hold a crack tile at index 0 and a no-crack tile at index 1
 * (see `variationIndex`).
 */
export function variationRecipe(recipe: Recipe, params: SampleParams, sampleSeed: number, moves: Record<string, number>, round: number, v: number): Recipe {
  const seed = hashSeed(sampleSeed, 0xada, round, v);
  const rng = new Rng(seed);
  const fixed = (specs: readonly ParamSpec[]): Settings => Object.fromEntries(specs.map((spec) => {
    // Samples recorded before a parameter existed had it at its `off` value.
    let value = (params[spec.name] as number | undefined) ?? spec.off!;
    if (moves[spec.name] !== undefined) value = clampTo(spec, value + (rng.next() * 2 - 1) * moves[spec.name]);
    return [spec.name, { lo: value, hi: value }];
  }));
  if (recipe.kind === 'grains') return { ...recipe, settings: fixed(GRAIN_PARAMS), count: 1, seed };
  // Texture values first, then the crack's, so a no-crack tile draws the same texture values.
  const settings = fixed(TEXTURE_PARAMS);
  const crack = { ...recipe.crack };
  const widths = params.widths as number[] | undefined;
  if (widths?.length) {
    const mean = widths.reduce((a, b) => a + b, 0) / widths.length;
    const factor = 1 + (rng.next() * 2 - 1) * (moves.crackWidth ?? 0);
    crack.width = { family: 'lognormal', mu: Math.log(Math.max(0.5, mean * factor)), sigma: 0.1 };
  }
  if (typeof params.intensity === 'number') {
    const value = Math.max(-1, Math.min(1, params.intensity + (rng.next() * 2 - 1) * (moves.crackIntensity ?? 0)));
    crack.intensity = { family: 'normal', mean: value, sd: 0.02 };
  }
  return { ...recipe, settings, crack, count: 2, seed };
}

/** A movable parameter's value in a sample's record (crack width: the mean over bend points). */
export function movableValue(params: SampleParams, name: string): number | undefined {
  if (name === 'crackWidth') {
    const w = params.widths as number[] | undefined;
    return w?.length ? w.reduce((a, b) => a + b, 0) / w.length : undefined;
  }
  const v = params[name === 'crackIntensity' ? 'intensity' : name];
  return typeof v === 'number' ? v : undefined;
}

/** Which index of a variation recipe makes a sample of the hard sample's class. */
export const variationIndex = (label: string | undefined) => (label === 'no_crack' ? 1 : 0);
