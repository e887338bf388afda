/** Every kind of synthetic dataset behind one recipe type and one `makeSample`. */
import { isPlainObject, parseSettings } from '../params/space';
import type { CrackModel } from './cracks/crack';
import { CrackGenerator, validateCrackRecipe, type CrackLabel, type CrackRecipe } from './cracks/index';
import { DEFAULT_CRACK_MODEL, DEFAULT_TEXTURE_SETTINGS } from './cracks/space';
import type { Exemplar } from './cracks/texture';
import { DEFAULT_PRESET, presetById } from './grains/space';
import { fnv1a, sampleHash } from './dataset';
import { generateGrainSample, grainChannels, validateRecipe as validateGrainRecipe, type GrainRecipe } from './grains/index';

export type Recipe = GrainRecipe | CrackRecipe;
export type SampleParams = Record<string, number | number[]>;

export interface Sample {
  index: number;
  name: string;
  seed: number;
  params: SampleParams;
  image: Uint8Array;
  /** Grains: boundary mask; cracks: crack mask (255 = crack). */
  mask: Uint8Array;
  /** Cracks only: the tile's class. */
  label?: CrackLabel;
  hash: number;
}

/** The loose JSON people write for a generator: a preset and ranges (grains), ranges and crack distributions (cracks). */
export interface RecipeSpec {
  preset?: string;
  /** Parameter ranges over the preset's or the defaults: a number, [lo, hi] or {lo, hi}. */
  params?: unknown;
  /** Cracks: distributions over the default crack model. */
  crack?: Partial<CrackModel>;
  /** Grains: µm per pixel the samples stand for (absent = unknown scale). */
  micronsPerPixel?: number;
}

/** A full recipe from a spec (not yet validated); crack tiles take their texture exemplars here. */
export function recipeFromSpec(kind: Recipe['kind'], spec: RecipeSpec, size: number, count: number, seed: number,
  exemplars: Exemplar[] = [], exemplarSource = ''): Recipe {
  // A field of the other kind would be dropped without a word.
  const foreign = kind === 'grains' ? (['crack'] as const).filter((k) => spec[k] !== undefined) : (['preset', 'micronsPerPixel'] as const).filter((k) => spec[k] !== undefined);
  if (foreign.length) {
    throw new RangeError(`${foreign.join(' and ')} ${foreign.length > 1 ? 'belong' : 'belongs'} to ${kind === 'grains' ? 'crack tiles' : 'grain recipes'}, not to ${kind}; remove ${foreign.length > 1 ? 'them' : 'it'}.`);
  }
  if (kind === 'grains') {
    const preset = presetById(spec.preset ?? DEFAULT_PRESET.id);
    // Appended only when given, so recipes without a scale keep their bytes.
    return { kind, preset: preset.id, settings: { ...preset.settings, ...parseSettings(spec.params) }, size, count, seed,
      ...(spec.micronsPerPixel !== undefined ? { micronsPerPixel: spec.micronsPerPixel } : {}) };
  }
  if (spec.crack !== undefined && !isPlainObject(spec.crack)) {
    throw new RangeError(`crack must be an object of crack-model fields over the defaults, e.g. {"edgeStart": 0.5}; got ${JSON.stringify(spec.crack)}.`);
  }
  return { kind, size, count, seed, settings: { ...DEFAULT_TEXTURE_SETTINGS, ...parseSettings(spec.params) },
    crack: { ...DEFAULT_CRACK_MODEL, ...(spec.crack ?? {}) }, exemplars, exemplarSource };
}

/** Channels of a recipe's images: 3 for colour-etched grains, else 1 (grey). */
export const recipeChannels = (recipe: Recipe): 1 | 3 => (recipe.kind === 'grains' ? grainChannels(recipe) : 1);

export function validateAnyRecipe(recipe: Recipe): void {
  if (recipe.kind === 'grains') validateGrainRecipe(recipe);
  else if (recipe.kind === 'cracks') validateCrackRecipe(recipe);
  else throw new RangeError(`Unknown dataset kind "${(recipe as { kind: string }).kind}".`);
}

/** Identifies a recipe's content, so a generator built for it (patch dictionaries) can be reused. */
export function recipeKey(recipe: Recipe): string {
  if (recipe.kind === 'grains') return JSON.stringify(recipe);
  const { exemplars, ...rest } = recipe;
  let h = 0x811c9dc5;
  for (const ex of exemplars) h = fnv1a(ex.pixels, Math.imul(h ^ ex.width, 0x01000193));
  return JSON.stringify(rest) + h;
}

/** Makes samples of any recipe, keeping the last crack generator (its dictionaries are costly). */
export class SampleMaker {
  private crack: { key: string; generator: CrackGenerator } | null = null;

  make(recipe: Recipe, index: number): Sample {
    if (recipe.kind === 'grains') {
      const { grainIds: _, ...s } = generateGrainSample(recipe, index);
      return { ...s, hash: sampleHash(s.image, s.mask) };
    }
    const key = recipeKey(recipe);
    if (this.crack?.key !== key) this.crack = { key, generator: new CrackGenerator(recipe) };
    const s = this.crack.generator.sample(index);
    return { ...s, hash: sampleHash(s.image, s.mask) };
  }
}
