/** Crack tiles: recipe + index → texture, crack (for even indices), label and every value drawn. */
import { isPlainObject, sampleParams, validateSettings, type Settings } from '../../params/space';
import { hashSeed, Rng } from '../../random';
import { bulkTop, distributionError } from '../../stats/distributions';
import { validateSizeCountSeed } from '../dataset';
import { applyCrack, applyHalo, CRACK_DRAW_LIMITS, CRACK_VARIETY, crackCoverage, MAX_EXTRA_CRACKS, sampleCrack, type CrackModel } from './crack';
import { paintMarks } from './marks';
import { paintRandomSurface } from './surface';
import { TEXTURE_PARAMS } from './space';
import { buildDictionary, synthesizeTexture, type Exemplar, type PatchDictionary, SEED_TILE } from './texture';

export const MIN_TILE = 64;
export const MAX_TILE = 256;
/** A tile counts as "crack" when at least this many pixels are crack (as in the real tile set). */
export const MIN_CRACK_PIXELS = 40;

export type CrackLabel = 'crack' | 'no_crack';

export interface CrackRecipe {
  kind: 'cracks';
  size: number;
  count: number;
  seed: number;
  /** Texture parameters (ranges). */
  settings: Settings;
  crack: CrackModel;
  /** Crack-free texture the tiles are synthesised from, kept with the recipe so it stays reproducible. */
  exemplars: Exemplar[];
  /** Where the exemplars came from, in words. */
  exemplarSource: string;
}

export interface CrackSample {
  index: number;
  name: string;
  seed: number;
  label: CrackLabel;
  params: Record<string, number | number[]>;
  image: Uint8Array;
  /** 255 where the crack covers at least half a pixel. */
  mask: Uint8Array;
}

/** The crack model's fields that are distributions. */
export const CRACK_DISTRIBUTIONS = ['segments', 'segmentLength', 'bendAngle', 'width', 'intensity'] as const;
const CRACK_NUMBERS = { branchProbability: 1, roughness: 5 } as const;

/**
 * What is wrong with a crack model's plain numbers (branch probability, roughness, the variety
 * probabilities) or its field names, else undefined: for validation and for the Generate form,
 * where an emptied box reads as null.
 */
export function crackNumberError(crack: CrackModel): string | undefined {
  const known: readonly string[] = [...CRACK_DISTRIBUTIONS, ...Object.keys(CRACK_NUMBERS), ...CRACK_VARIETY];
  const unknown = Object.keys(crack).find((k) => !known.includes(k));
  if (unknown !== undefined) return `crack.${unknown} is not a field of the crack model; the fields are ${known.join(', ')}.`;
  for (const [field, max] of Object.entries(CRACK_NUMBERS)) {
    const v = crack[field as keyof typeof CRACK_NUMBERS];
    if (typeof v !== 'number' || !(v >= 0 && v <= max)) return `crack.${field} must be a number from 0 to ${max}; got ${v ?? 'nothing'}.`;
  }
  for (const field of CRACK_VARIETY) {
    const v = crack[field];
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1))) return `crack.${field} is a probability from 0 to 1 (0 turns it off); got ${v ?? 'nothing'}.`;
  }
  return undefined;
}

export function validateCrackRecipe(recipe: CrackRecipe): void {
  validateSizeCountSeed(recipe, 'Tile', MIN_TILE, MAX_TILE);
  validateSettings(TEXTURE_PARAMS, recipe.settings);
  if (!isPlainObject(recipe.crack)) throw new RangeError(`crack: the crack model is missing; give ${CRACK_DISTRIBUTIONS.join(', ')}, branchProbability and roughness.`);
  for (const field of CRACK_DISTRIBUTIONS) {
    const message = distributionError(`crack.${field}`, recipe.crack[field]);
    if (message) throw new RangeError(message);
  }
  for (const [field, most] of Object.entries(CRACK_DRAW_LIMITS)) {
    const top = bulkTop(recipe.crack[field as keyof typeof CRACK_DRAW_LIMITS]);
    if (!(top <= most)) {
      throw new RangeError(`crack.${field}: its distribution draws up to ${+top.toPrecision(3)}${field === 'segments' ? ' segments' : ' px'} (99.9 % of draws); a crack in a tile takes at most ${most}. Lower it.`);
    }
  }
  const message = crackNumberError(recipe.crack);
  if (message) throw new RangeError(message);
  if (!Array.isArray(recipe.exemplars) || !recipe.exemplars.length) throw new RangeError('Crack tiles need at least one crack-free texture exemplar.');
  const maxPatch = recipe.settings.patchSize?.hi ?? 64;
  for (const ex of recipe.exemplars) {
    // A short or missing pixel buffer gave blank tiles or a TypeError deep in the synthesis.
    if (!isPlainObject(ex) || !Number.isInteger(ex.width) || !Number.isInteger(ex.height) || !(ex.pixels instanceof Uint8Array || Array.isArray(ex.pixels)) || ex.pixels.length !== ex.width * ex.height) {
      throw new RangeError('A texture exemplar is damaged: its pixels do not fill its width × height.');
    }
    if (ex.width < Math.max(maxPatch, SEED_TILE + 8) || ex.height < Math.max(maxPatch, SEED_TILE)) {
      throw new RangeError(`Texture exemplars must be at least ${Math.max(maxPatch, SEED_TILE + 8)} px wide and high; one is ${ex.width}×${ex.height}.`);
    }
  }
}

export function crackTileName(index: number, count: number): string {
  return `tile_${String(index).padStart(Math.max(5, String(count - 1).length), '0')}`;
}

/** Classes come out balanced: even indices carry a crack, odd ones do not. */
export const labelOf = (index: number): CrackLabel => (index % 2 === 0 ? 'crack' : 'no_crack');

/** Makes tiles of one recipe; keeps one patch dictionary per patch size, as building it is the slow part. */
export class CrackGenerator {
  private dictionaries = new Map<number, PatchDictionary>();

  constructor(readonly recipe: CrackRecipe) {}

  private dictionary(patchSize: number): PatchDictionary {
    let d = this.dictionaries.get(patchSize);
    if (!d) this.dictionaries.set(patchSize, (d = buildDictionary(this.recipe.exemplars, patchSize)));
    return d;
  }

  sample(index: number): CrackSample {
    const { recipe } = this;
    const size = recipe.size;
    const seed = hashSeed(recipe.seed, index);
    const values = sampleParams(TEXTURE_PARAMS, recipe.settings, new Rng(seed));
    const texture = synthesizeTexture(this.dictionary(values.patchSize), recipe.exemplars, size, {
      patchSize: values.patchSize, overlap: values.overlap, randomness: values.randomness, candidates: values.candidates,
    }, new Rng(hashSeed(seed, 1)));
    const params: Record<string, number | number[]> = { ...values };
    stretch(texture, values.textureGain);
    // Random surfaces draw from a stream of their own (as marks do): off, tiles are as before they existed.
    const surfaceRng = new Rng(hashSeed(seed, 4));
    if (values.randomSurface > 0 && surfaceRng.next() < values.randomSurface) Object.assign(params, paintRandomSurface(texture, size, surfaceRng));

    const label = labelOf(index);
    // Marks draw from a stream of their own: with them off, tiles are as before they existed.
    const markRng = new Rng(hashSeed(seed, 3));
    if (markRng.next() < (label === 'crack' ? values.crackDistractors : values.hardNegatives)) params.marks = paintMarks(texture, size, markRng, { widthScale: values.markWidth, junctions: values.junctions, strongest: values.markContrast });
    const mask = new Uint8Array(size * size);
    if (label === 'crack') {
      const rng = new Rng(hashSeed(seed, 2));
      let attempt = 0;
      for (;;) {
        const crack = sampleCrack(recipe.crack, size, rng);
        const coverage = crackCoverage([crack.main, ...crack.branches], size, recipe.crack.roughness, rng);
        let pixels = 0;
        for (let i = 0; i < coverage.length; i++) if (coverage[i] >= 0.5) pixels++;
        // A crack that leaves the tile at once is redrawn: the label must be true.
        if (pixels >= MIN_CRACK_PIXELS || ++attempt >= 20) {
          // Further cracks come after the first is accepted, so tiles without them keep their bytes.
          let extra = 0;
          while (extra < MAX_EXTRA_CRACKS && recipe.crack.moreCracks && rng.next() < recipe.crack.moreCracks) {
            const more = sampleCrack(recipe.crack, size, rng);
            const c = crackCoverage([more.main, ...more.branches], size, recipe.crack.roughness, rng);
            for (let i = 0; i < c.length; i++) if (c[i] > coverage[i]) coverage[i] = c[i];
            extra++;
          }
          pixels = 0;
          for (let i = 0; i < coverage.length; i++) if (coverage[i] >= 0.5) { mask[i] = 255; pixels++; }
          if (crack.halo) applyHalo(texture, coverage, size, crack.halo);
          applyCrack(texture, coverage, crack.intensity);
          Object.assign(params, {
            segments: crack.lengths.length, segmentLengths: crack.lengths, bendAngles: crack.angles,
            widths: crack.main.widths, intensity: crack.intensity, branches: crack.branches.length, crackPixels: pixels,
            ...(crack.halo ? { haloWidth: crack.halo.width, haloIntensity: crack.halo.intensity } : {}),
            ...(crack.fromEdge ? { fromEdge: 1 } : {}), ...(crack.tapered ? { tapered: 1 } : {}), ...(crack.smooth ? { smooth: 1 } : {}), ...(extra ? { moreCracks: extra } : {}),
          });
          break;
        }
      }
    }
    const bytes = new Uint8ClampedArray(size * size);
    for (let i = 0; i < texture.length; i++) bytes[i] = texture[i];
    return { index, name: crackTileName(index, recipe.count), seed, label, params, image: new Uint8Array(bytes.buffer), mask };
  }
}

function stretch(texture: Float64Array, gain: number) {
  if (gain === 1) return;
  let mean = 0;
  for (let i = 0; i < texture.length; i++) mean += texture[i];
  mean /= texture.length;
  for (let i = 0; i < texture.length; i++) texture[i] = mean + gain * (texture[i] - mean);
}
