/** Grain micrograph samples: recipe + index → parameters, image, boundary mask. */
import { hashSeed, Rng } from '../../random';
import { ParamError, sampleParams, validateSettings, type SampledParams, type Settings } from '../../params/space';
import { validateSizeCountSeed } from '../dataset';
import { validateMicronsPerPixel } from '../scale';
import { colourise, isColour, recipeChannels } from './colour';
import { renderGrains } from './render';
import { GRAIN_PARAMS, GRAIN_PRESETS } from './space';

export const MIN_SIZE = 64;
export const MAX_SIZE = 1024;

export interface GrainRecipe {
  kind: 'grains';
  preset: string;
  settings: Settings;
  size: number;
  count: number;
  seed: number;
  /**
   * µm per pixel the samples stand for (scale.ts); absent = unknown. Generation never reads it, and
   * it is left out rather than set to undefined so older recipes keep their JSON bytes.
   */
  micronsPerPixel?: number;
}

export interface GrainSample {
  index: number;
  name: string;
  seed: number;
  /** Every sampled value, plus the derived grain count. */
  params: SampledParams;
  /** Grey: one byte per pixel; colour (`params.colour` 1): RGB, three bytes per pixel, interleaved. */
  image: Uint8Array;
  mask: Uint8Array;
  grainIds: Uint16Array;
}

export function validateRecipe(recipe: GrainRecipe): void {
  validateSizeCountSeed(recipe, 'Image', MIN_SIZE, MAX_SIZE);
  if (!GRAIN_PRESETS.some((p) => p.id === recipe.preset)) {
    throw new ParamError('preset', `Unknown preset "${String(recipe.preset)}". Choose one of: ${GRAIN_PRESETS.map((p) => p.id).join(', ')}.`);
  }
  validateSettings(GRAIN_PARAMS, recipe.settings);
  const colour = recipe.settings.colour;
  if (colour && colour.lo !== colour.hi) {
    throw new ParamError('colour', 'Colour (colour) must be fixed at 0 (grey) or 1 (RGB): every image of a dataset has the same channels.');
  }
  validateMicronsPerPixel(recipe.micronsPerPixel);
}

/** Channels of a grain recipe's images: 1 (grey) or 3 (RGB, colour etching). */
export const grainChannels = (recipe: GrainRecipe): 1 | 3 => recipeChannels(recipe.settings);

/** Sample names sort in index order: grain_00042. */
export function sampleName(index: number, count: number): string {
  return `grain_${String(index).padStart(Math.max(5, String(count - 1).length), '0')}`;
}

/** Each sample depends only on (recipe, index), so any subset can be made anywhere, in any order. */
export function generateGrainSample(recipe: GrainRecipe, index: number): GrainSample {
  const seed = hashSeed(recipe.seed, index);
  const params = sampleParams(GRAIN_PARAMS, recipe.settings, new Rng(seed));
  const render = renderGrains(recipe.size, params, seed);
  // Colour is painted over the finished grey render, so grey recipes keep their bytes.
  const image = isColour(params) ? colourise(render.image, render.grainIds, render.grainCount, recipe.size, params, seed) : render.image;
  return {
    index,
    name: sampleName(index, recipe.count),
    seed,
    params: { ...params, grainCount: render.grainCount },
    image,
    mask: render.mask,
    grainIds: render.grainIds,
  };
}
