/** Grain micrograph samples: recipe + index → parameters, image, boundary mask. */
import { hashSeed, Rng } from '../../random';
import { sampleParams, validateSettings, type SampledParams, type Settings } from '../../params/space';
import { renderGrains } from './render';
import { GRAIN_PARAMS } from './space';

export const MIN_SIZE = 64;
export const MAX_SIZE = 1024;

export interface GrainRecipe {
  kind: 'grains';
  preset: string;
  settings: Settings;
  size: number;
  count: number;
  seed: number;
}

export interface GrainSample {
  index: number;
  name: string;
  seed: number;
  /** Every sampled value, plus the derived grain count. */
  params: SampledParams;
  image: Uint8Array;
  mask: Uint8Array;
  grainIds: Uint16Array;
}

export function validateRecipe(recipe: GrainRecipe): void {
  const { size, count, seed } = recipe;
  if (!Number.isInteger(size) || size < MIN_SIZE || size > MAX_SIZE) {
    throw new RangeError(`Image size must be a whole number of pixels from ${MIN_SIZE} to ${MAX_SIZE}; got ${size}.`);
  }
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`Count must be a whole number of at least 1; got ${count}.`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`Seed must be a whole number from 0 to 4294967295; got ${seed}.`);
  }
  validateSettings(GRAIN_PARAMS, recipe.settings);
}

/** Sample names sort in index order: grain_00042. */
export function sampleName(index: number, count: number): string {
  return `grain_${String(index).padStart(Math.max(5, String(count - 1).length), '0')}`;
}

/** Each sample depends only on (recipe, index), so any subset can be made anywhere, in any order. */
export function generateGrainSample(recipe: GrainRecipe, index: number): GrainSample {
  const seed = hashSeed(recipe.seed, index);
  const params = sampleParams(GRAIN_PARAMS, recipe.settings, new Rng(seed));
  const render = renderGrains(recipe.size, params, seed);
  return {
    index,
    name: sampleName(index, recipe.count),
    seed,
    params: { ...params, grainCount: render.grainCount },
    image: render.image,
    mask: render.mask,
    grainIds: render.grainIds,
  };
}
