/**
 * A link that carries a generator recipe and seed, so a collaborator's browser makes the same
 * dataset (samples depend only on recipe and index). Crack recipes travel without their texture
 * exemplars: a link reproduces tiles made on the bundled texture, and one made on the sender's own
 * texture names it and is refused with a message saying what is missing.
 */
import type { CrackRecipe } from './cracks/index';
import type { GrainRecipe } from './grains/index';
import { isPlainObject } from '../params/space';
import { validateAnyRecipe, type Recipe } from './recipe';

export const LINK_PREFIX = '#recipe=';

/** Crack recipes say which texture they were made on: 'bundled', or the name of the sender's own. */
export type SharedRecipe = GrainRecipe | (Omit<CrackRecipe, 'exemplars' | 'exemplarSource'> & { texture?: string });

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** The link for a recipe; crack tiles made on the user's own texture name it (`texture`), as links cannot carry images. */
export function recipeLinkHash(recipe: Recipe, texture = 'bundled'): string {
  const shared: SharedRecipe = recipe.kind === 'cracks'
    ? { kind: 'cracks', size: recipe.size, count: recipe.count, seed: recipe.seed, settings: recipe.settings, crack: recipe.crack, texture }
    : recipe;
  return LINK_PREFIX + toBase64Url(JSON.stringify(shared));
}

/**
 * What a receiver must know before using a link's recipe, or undefined: crack tiles made on the
 * sender's own texture, which a link cannot carry. The recipe still opens (its settings and crack
 * model are worth having); the tiles it makes here differ until the receiver has that texture.
 */
export function linkTextureNote(shared: SharedRecipe): string | undefined {
  if (shared.kind !== 'cracks' || shared.texture === undefined || shared.texture === 'bundled') return undefined;
  return `This link's crack tiles were made on the sender's own texture ("${String(shared.texture).slice(0, 200)}"), which a link cannot carry: `
    + 'its recipe is opened here on the bundled texture, so the tiles differ from the sender\'s. For theirs, ask the sender for the crack-free images, '
    + 'import them in Real data, label their tiles no crack, and pick "my no-crack tiles" under "Crack-free texture from".';
}

/** Reads a link's recipe, or throws a message saying the link is damaged. */
export function recipeFromLinkHash(hash: string): SharedRecipe {
  if (!hash.startsWith(LINK_PREFIX)) throw new Error('This link carries no SynthScope recipe.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromBase64Url(hash.slice(LINK_PREFIX.length)));
  } catch {
    throw new Error('This recipe link is damaged (cut short or changed); ask for it again.');
  }
  if (!isPlainObject(parsed) || (parsed.kind !== 'grains' && parsed.kind !== 'cracks')) {
    throw new Error('This recipe link is not valid: it holds no grain or crack recipe; ask for it again.');
  }
  const shared = parsed as unknown as SharedRecipe;
  // Validate with a placeholder texture: the receiver uses the bundled exemplars.
  const probe = shared.kind === 'cracks'
    ? { ...shared, exemplars: [{ width: 128, height: 128, pixels: new Uint8Array(128 * 128) }], exemplarSource: 'link' }
    : shared;
  try {
    validateAnyRecipe(probe as Recipe);
  } catch (e) {
    throw new Error(`This recipe link is not valid: ${(e as Error).message}`);
  }
  return shared;
}
