import { describe, expect, it } from 'vitest';
import { LINK_PREFIX, linkTextureNote, recipeFromLinkHash, recipeLinkHash } from '../../src/lib/synth/shareLink';
import { recipe } from './helpers';

const link = (value: unknown) => LINK_PREFIX + Buffer.from(JSON.stringify(value)).toString('base64url');
const grains = () => recipe() as unknown as Record<string, unknown>;
const cracks = () => ({ kind: 'cracks', size: 128, count: 10, seed: 1, settings: { patchSize: { lo: 24, hi: 32 }, overlap: { lo: 6, hi: 8 },
  randomness: { lo: 0.1, hi: 0.3 }, candidates: { lo: 48, hi: 48 }, textureGain: { lo: 1, hi: 1 } },
  crack: { segments: { family: 'integer', lo: 3, hi: 8 }, segmentLength: { family: 'lognormal', mu: 3, sigma: 0.4 }, bendAngle: { family: 'normal', mean: 0, sd: 25 },
    width: { family: 'lognormal', mu: 0.8, sigma: 0.3 }, intensity: { family: 'normal', mean: -0.45, sd: 0.12 }, branchProbability: 0.15, roughness: 0.6 } });

describe('share links', () => {
  it('carry a recipe there and back', () => {
    const r = recipe();
    expect(recipeFromLinkHash(recipeLinkHash(r))).toEqual(r);
    expect(recipeFromLinkHash(link(cracks())).kind).toBe('cracks');
    expect(recipeFromLinkHash(link({ ...cracks(), texture: 'bundled' })).kind).toBe('cracks');
    expect(linkTextureNote(recipeFromLinkHash(link(cracks())))).toBeUndefined();
  });

  it('open crack tiles made on the sender\'s own texture, with a note of what differs and how to get it', () => {
    const shared = recipeFromLinkHash(link({ ...cracks(), texture: 'my no-crack tiles' }));
    expect(shared.kind === 'cracks' && shared.crack.roughness).toBe(0.6); // the recipe is kept
    expect(linkTextureNote(shared)).toMatch(/made on the sender's own texture \("my no-crack tiles"\), which a link cannot carry: its recipe is opened here on the bundled texture/);
  });

  const hostile: [string, string, RegExp][] = [
    ['an unknown preset', link({ ...grains(), preset: 'nope' }), /Unknown preset "nope"/],
    ['a null recipe', link(null), /holds no grain or crack recipe/],
    ['an array', link([1, 2]), /holds no grain or crack recipe/],
    ['an unknown kind', link({ ...grains(), kind: 'pores' }), /holds no grain or crack recipe/],
    ['a crack recipe without its crack part', link({ ...cracks(), crack: undefined }), /crack model is missing/],
    ['null settings', link({ ...grains(), settings: null }), /settings must be an object/],
    ['a setting that is not a range', link({ ...grains(), settings: { ...(grains().settings as object), blurSigma: 3 } }), /blurSigma/],
    ['a prototype key', LINK_PREFIX + Buffer.from(`{"kind":"grains","preset":"etched-lines","size":128,"count":1,"seed":1,"settings":{"__proto__":{"lo":1,"hi":1}}}`).toString('base64url'), /Unknown parameter "__proto__"|missing/],
    ['a huge count', link({ ...grains(), count: 1e12 }), /Count must be a whole number from 1 to 1,000,000/],
    ['too many pixels', link({ ...grains(), size: 1024, count: 900_000 }), /billion pixels/],
    ['cut-off text', LINK_PREFIX + 'eyJr', /damaged/],
  ];
  it.each(hostile)('refuse %s with a message that says what is wrong', (_what, hash, message) => {
    let error: unknown;
    try {
      recipeFromLinkHash(hash);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^This (recipe )?link/);
    expect((error as Error).message).toMatch(message);
  });
});
