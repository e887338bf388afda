import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeGreyPng } from '../../src/lib/data/png';
import { Rng } from '../../src/lib/random';
import { fit, sample, type Distribution } from '../../src/lib/stats/distributions';
import { CRACK_VARIETY, crackCoverage, MAX_EXTRA_CRACKS, sampleCrack, type CrackModel } from '../../src/lib/synth/cracks/crack';
import { CrackGenerator, crackNumberError, MIN_CRACK_PIXELS, validateCrackRecipe, type CrackRecipe } from '../../src/lib/synth/cracks/index';
import { recipeFromSpec, type RecipeSpec } from '../../src/lib/synth/recipe';
import { DEFAULT_CRACK_MODEL, DEFAULT_TEXTURE_SETTINGS } from '../../src/lib/synth/cracks/space';
import { buildDictionary, synthesizeTexture } from '../../src/lib/synth/cracks/texture';
import { FIRST_MARK_STYLE, MARK_KINDS, paintMarks } from '../../src/lib/synth/cracks/marks';

const index = JSON.parse(readFileSync('public/exemplars/index.json', 'utf8'));
const exemplars = index.files.map((f: string) => decodeGreyPng(readFileSync(`public/exemplars/${f}`), f));

export function crackRecipe(overrides: Partial<CrackRecipe> = {}): CrackRecipe {
  return { kind: 'cracks', size: 128, count: 20, seed: 3, settings: structuredClone(DEFAULT_TEXTURE_SETTINGS),
    crack: structuredClone(DEFAULT_CRACK_MODEL), exemplars, exemplarSource: index.source, ...overrides };
}

/** Mean absolute difference between horizontally adjacent pixels, over the given columns. */
function horizontalEdges(img: ArrayLike<number>, width: number, height: number, columns: number[]): number {
  let sum = 0;
  for (const x of columns) for (let y = 0; y < height; y++) sum += Math.abs(img[y * width + x] - img[y * width + x - 1]);
  return sum / (columns.length * height);
}

describe('texture synthesis', () => {
  it('fills the whole tile with values from the exemplar range, differently per seed', () => {
    const dictionary = buildDictionary(exemplars, 24);
    const params = { patchSize: 24, overlap: 6, randomness: 0.2, candidates: 48 };
    const a = synthesizeTexture(dictionary, exemplars, 128, params, new Rng(1));
    const b = synthesizeTexture(dictionary, exemplars, 128, params, new Rng(2));
    const lo = Math.min(...exemplars.map((e: { pixels: Uint8Array }) => Math.min(...e.pixels)));
    const hi = Math.max(...exemplars.map((e: { pixels: Uint8Array }) => Math.max(...e.pixels)));
    for (const v of a) {
      expect(v).toBeGreaterThanOrEqual(lo);
      expect(v).toBeLessThanOrEqual(hi);
    }
    expect(a.some((v, i) => v !== b[i])).toBe(true);
  });

  it('leaves seams no stronger than the edges inside the exemplar itself', () => {
    for (const exemplar of exemplars) {
      const P = 28, O = 7;
      const dictionary = buildDictionary([exemplar], P);
      const own = horizontalEdges(exemplar.pixels, exemplar.width, exemplar.height, Array.from({ length: exemplar.width - 1 }, (_, i) => i + 1));
      const seamColumns: number[] = [];
      for (let x = P - O; x < 128; x += P - O) for (let k = 0; k <= O && x + k < 128; k++) seamColumns.push(x + k);
      for (let seed = 0; seed < 3; seed++) {
        const texture = synthesizeTexture(dictionary, [exemplar], 128, { patchSize: P, overlap: O, randomness: 0.2, candidates: 64 }, new Rng(seed));
        expect(horizontalEdges(texture, 128, 128, seamColumns)).toBeLessThanOrEqual(1.2 * own + 0.1);
      }
    }
  });

  it('never uses a dictionary patch as the seed tile', () => {
    // The seed is cut at an x offset off the dictionary grid: with one flat-free exemplar, the
    // top-left 32×32 of the texture matches no dictionary patch position exactly.
    const exemplar = exemplars[2];
    const dictionary = buildDictionary([exemplar], 24);
    for (let seed = 0; seed < 10; seed++) {
      const texture = synthesizeTexture(dictionary, [exemplar], 128, { patchSize: 24, overlap: 6, randomness: 0, candidates: 8 }, new Rng(seed));
      let onGrid = false;
      for (let oy = 0; oy + 32 <= 128 && !onGrid; oy++) {
        for (let ox = 0; ox + 32 <= 128; ox += dictionary.stride) {
          let same = true;
          for (let v = 0; v < 8 && same; v++) for (let u = 0; u < 8 && same; u++) same = texture[v * 128 + u] === exemplar.pixels[(oy + v) * 128 + ox + u];
          if (same) onGrid = true;
        }
      }
      expect(onGrid).toBe(false);
    }
  });
});

describe('cracks', () => {
  const straight = (overrides: Partial<CrackModel> = {}): CrackModel => ({
    segments: { family: 'integer', lo: 3, hi: 3 },
    segmentLength: { family: 'lognormal', mu: Math.log(30), sigma: 0 },
    bendAngle: { family: 'normal', mean: 25, sd: 0 },
    width: { family: 'lognormal', mu: Math.log(3), sigma: 0 },
    intensity: { family: 'normal', mean: -0.5, sd: 0 },
    branchProbability: 0, roughness: 0, ...overrides,
  });

  it('draws a crack whose measured length and bend angles match its parameters', () => {
    const size = 512; // the crack starts in the central half and reaches 90 px: always inside
    for (let seed = 0; seed < 5; seed++) {
      const crack = sampleCrack(straight(), size, new Rng(seed));
      const coverage = crackCoverage([crack.main], size, 0, new Rng(0));
      // Length: covered area over width (+ the two round ends, half a width each).
      let area = 0;
      for (const c of coverage) area += c;
      expect(Math.abs(area / 3 - 3 - 90) / 90).toBeLessThan(0.08);
      // Bend angles: principal direction of the covered pixels around each segment's middle.
      const headings = [0, 1, 2].map((k) => {
        const [ax, ay, bx, by] = crack.main.points.slice(2 * k, 2 * k + 4);
        let sxx = 0, syy = 0, sxy = 0, n = 0, mx = 0, my = 0;
        const pts: [number, number][] = [];
        for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
          if (coverage[y * size + x] < 0.5) continue;
          const px = x + 0.5, py = y + 0.5;
          const t = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / 900;
          const d = Math.abs((px - ax) * (by - ay) - (py - ay) * (bx - ax)) / 30;
          if (t > 0.25 && t < 0.75 && d < 3) pts.push([px, py]);
        }
        for (const [x, y] of pts) { mx += x; my += y; n++; }
        mx /= n; my /= n;
        for (const [x, y] of pts) { sxx += (x - mx) ** 2; syy += (y - my) ** 2; sxy += (x - mx) * (y - my); }
        return 0.5 * Math.atan2(2 * sxy, sxx - syy);
      });
      for (let k = 1; k < 3; k++) {
        let turn = ((headings[k] - headings[k - 1]) * 180) / Math.PI;
        turn = ((turn + 90) % 180 + 180) % 180 - 90; // directions are axial (mod 180°)
        expect(Math.abs(turn - crack.angles[k - 1])).toBeLessThan(3);
      }
    }
  });

  it('fitting recovers the parameters of known distributions', () => {
    const rng = new Rng(11);
    const cases: [Distribution, Distribution['family']][] = [
      [{ family: 'lognormal', mu: Math.log(24), sigma: 0.4 }, 'lognormal'],
      [{ family: 'normal', mean: -0.45, sd: 0.12 }, 'normal'],
      [{ family: 'normal', mean: 0, sd: 25 }, 'normal'],
    ];
    for (const [truth, family] of cases) {
      const values = Array.from({ length: 4000 }, () => sample(truth, rng));
      const fitted = fit(family, values) as unknown as Record<string, number>;
      for (const [key, value] of Object.entries(truth)) {
        if (key === 'family') continue;
        // Standard errors at n = 4000 are ~1.6 % of sd; allow 4 of them.
        const scale = truth.family === 'lognormal' ? truth.sigma : truth.family === 'normal' ? truth.sd : 1;
        expect(Math.abs(fitted[key] - (value as number))).toBeLessThan(0.065 * scale);
      }
    }
    expect(() => fit('lognormal', [1, -2])).toThrow('above 0');
    expect(() => fit('normal', [1])).toThrow('at least 2');
  });
});

describe('crack tiles', () => {
  it('are deterministic, balanced, and labelled by what they show', () => {
    const recipe = crackRecipe({ count: 40 });
    const a = new CrackGenerator(recipe), b = new CrackGenerator(recipe);
    let cracks = 0;
    for (let i = 0; i < 40; i++) {
      const s = a.sample(i);
      const t = b.sample(i);
      expect(Buffer.from(s.image).equals(Buffer.from(t.image))).toBe(true);
      const crackPixels = s.mask.reduce((n, v) => n + (v === 255 ? 1 : 0), 0);
      if (s.label === 'crack') {
        cracks++;
        expect(crackPixels).toBeGreaterThanOrEqual(MIN_CRACK_PIXELS);
        expect(s.params.segmentLengths).toHaveLength(s.params.segments as number);
      } else {
        expect(crackPixels).toBe(0);
      }
    }
    expect(cracks).toBe(20);
  });

  it('reject a bad recipe with a message naming the field', () => {
    expect(() => validateCrackRecipe(crackRecipe({ size: 32 }))).toThrow('Tile size must be a whole number of pixels from 64 to 256');
    const bad = crackRecipe();
    bad.crack.width = { family: 'lognormal', mu: 1, sigma: -1 };
    expect(() => validateCrackRecipe(bad)).toThrow('crack.width');
    const noTexture = crackRecipe({ exemplars: [] });
    expect(() => validateCrackRecipe(noTexture)).toThrow('exemplar');
    // A stored exemplar whose pixels do not fill it gave blank tiles (short) or a TypeError (none).
    const [first] = crackRecipe().exemplars;
    for (const pixels of [first.pixels.subarray(0, 100), undefined]) {
      expect(() => validateCrackRecipe(crackRecipe({ exemplars: [{ ...first, pixels: pixels as Uint8Array }] }))).toThrow('A texture exemplar is damaged: its pixels do not fill its width × height.');
    }
    // A misspelt field would otherwise be ignored and tiles made without it.
    const misspelt = crackRecipe({ crack: { ...DEFAULT_CRACK_MODEL, smoth: 0.5 } as CrackModel });
    expect(() => validateCrackRecipe(misspelt)).toThrow(/crack\.smoth is not a field of the crack model; the fields are .*smooth/);
    // An emptied box in the Generate form reads as null.
    expect(crackNumberError({ ...DEFAULT_CRACK_MODEL, branchProbability: null as unknown as number })).toBe('crack.branchProbability must be a number from 0 to 1; got nothing.');
    expect(crackNumberError({ ...DEFAULT_CRACK_MODEL, smooth: null as unknown as number })).toBe('crack.smooth is a probability from 0 to 1 (0 turns it off); got nothing.');
    expect(crackNumberError(DEFAULT_CRACK_MODEL)).toBeUndefined();
    expect(() => recipeFromSpec('cracks', { crack: 'smooth' } as unknown as RecipeSpec, 128, 2, 1, exemplars, index.source)).toThrow(/crack must be an object of crack-model fields/);
  });

  it('refuse distributions whose draws no tile can hold, and never draw past the limits (a share link of Infinity looped forever)', () => {
    const withCrack = (crack: Partial<CrackModel>) => crackRecipe({ crack: { ...DEFAULT_CRACK_MODEL, ...crack } });
    expect(() => validateCrackRecipe(withCrack({ segments: { family: 'lognormal', mu: 1000, sigma: 0 } }))).toThrow('crack.segments: its distribution draws up to Infinity segments (99.9 % of draws); a crack in a tile takes at most 100.');
    expect(() => validateCrackRecipe(withCrack({ segmentLength: { family: 'normal', mean: 1e300, sd: 1 } }))).toThrow(/^crack\.segmentLength: its distribution draws up to 1e\+300 px/);
    expect(() => validateCrackRecipe(withCrack({ width: { family: 'uniform', lo: 1, hi: 500 } }))).toThrow(/^crack\.width: .*at most 128/);
    expect(() => validateCrackRecipe(withCrack({ segments: { family: 'integer', lo: 1, hi: 1e7 } }))).toThrow(/^crack\.segments/);
    expect(() => validateCrackRecipe(crackRecipe())).not.toThrow();
    // Past validation (a stored record, a caller of its own), draws stop at the limits.
    const wild: CrackModel = { ...DEFAULT_CRACK_MODEL, segments: { family: 'integer', lo: 1e6, hi: 1e6 }, segmentLength: { family: 'lognormal', mu: 1000, sigma: 0 },
      width: { family: 'normal', mean: 1e300, sd: 0 } };
    const drawn = sampleCrack(wild, 128, new Rng(3));
    expect(drawn.lengths.length).toBe(100);
    expect(Math.max(...drawn.lengths)).toBe(2048);
    expect(Math.max(...drawn.main.widths)).toBe(128);
  });
});

describe('crack variety', () => {
  it('cracks from the edge, tapering tips and halos change the tiles, keep true labels, and are recorded', () => {
    const plain = new CrackGenerator(crackRecipe({ count: 40, crack: { ...DEFAULT_CRACK_MODEL, edgeStart: 0, taper: 0, halo: 0 } }));
    const varied = new CrackGenerator(crackRecipe({ count: 40, crack: { ...DEFAULT_CRACK_MODEL, edgeStart: 1, taper: 1, halo: 1 } }));
    for (let i = 0; i < 40; i += 2) {
      const a = plain.sample(i), b = varied.sample(i);
      expect(Buffer.from(b.image).equals(Buffer.from(a.image))).toBe(false);
      expect(b.params.fromEdge).toBe(1);
      expect(b.params.tapered).toBe(1);
      expect(b.params.haloWidth).toBeGreaterThan(0);
      expect(b.mask.reduce((n, v) => n + (v === 255 ? 1 : 0), 0)).toBeGreaterThanOrEqual(MIN_CRACK_PIXELS);
      // From the edge: the crack's label touches the tile's border.
      const size = 128;
      let border = 0;
      for (let k = 0; k < size; k++) border += (b.mask[k] + b.mask[(size - 1) * size + k] + b.mask[k * size] + b.mask[k * size + size - 1]) > 0 ? 1 : 0;
      expect(border).toBeGreaterThan(0);
    }
    const bad = crackRecipe();
    bad.crack.halo = 2;
    expect(() => validateCrackRecipe(bad)).toThrow('crack.halo is a probability from 0 to 1');
    bad.crack.halo = 0;
    bad.crack.moreCracks = -0.5;
    expect(() => validateCrackRecipe(bad)).toThrow('crack.moreCracks is a probability from 0 to 1');
  });

  it('more cracks add crack pixels to the label, at most two more, and leave tiles without them as they were', () => {
    const { moreCracks: _, ...withoutField } = DEFAULT_CRACK_MODEL;
    const absent = new CrackGenerator(crackRecipe({ count: 20, crack: withoutField }));
    const one = new CrackGenerator(crackRecipe({ count: 20, crack: { ...DEFAULT_CRACK_MODEL, moreCracks: 0 } }));
    const many = new CrackGenerator(crackRecipe({ count: 20, crack: { ...DEFAULT_CRACK_MODEL, moreCracks: 1 } }));
    const count = (m: Uint8Array) => m.reduce((n, v) => n + (v === 255 ? 1 : 0), 0);
    for (let i = 0; i < 20; i++) {
      const a = one.sample(i), b = many.sample(i);
      // Off, or left out by a recipe made before it: the same bytes.
      expect(Buffer.from(absent.sample(i).image).equals(Buffer.from(a.image))).toBe(true);
      if (a.label === 'no_crack') continue;
      expect(b.params.moreCracks).toBe(MAX_EXTRA_CRACKS);
      expect(a.params.moreCracks).toBeUndefined();
      // The first crack is the same draw: every pixel of its label stays crack.
      for (let k = 0; k < a.mask.length; k++) if (a.mask[k]) expect(b.mask[k]).toBe(255);
      expect(count(b.mask)).toBeGreaterThanOrEqual(count(a.mask));
      expect(b.params.crackPixels).toBe(count(b.mask));
    }
  });

  it('smooth cracks are long gentle curves with true labels; off, or left out, tiles keep their bytes', () => {
    const absent = new CrackGenerator(crackRecipe({ count: 20 })); // the default model has no smooth field
    const off = new CrackGenerator(crackRecipe({ count: 20, crack: { ...DEFAULT_CRACK_MODEL, smooth: 0 } }));
    const on = new CrackGenerator(crackRecipe({ count: 20, crack: { ...DEFAULT_CRACK_MODEL, smooth: 1 } }));
    for (let i = 0; i < 20; i++) {
      const a = off.sample(i), b = on.sample(i);
      expect(Buffer.from(absent.sample(i).image).equals(Buffer.from(a.image))).toBe(true);
      if (a.label === 'no_crack') {
        expect(Buffer.from(b.image).equals(Buffer.from(a.image))).toBe(true);
        continue;
      }
      expect(a.params.smooth).toBeUndefined();
      expect(b.params.smooth).toBe(1);
      expect(Buffer.from(b.image).equals(Buffer.from(a.image))).toBe(false);
      expect(b.params.crackPixels).toBe(b.mask.reduce((n, v) => n + (v === 255 ? 1 : 0), 0));
      expect(b.params.crackPixels as number).toBeGreaterThanOrEqual(MIN_CRACK_PIXELS);
    }
    // Drawn alone: one curve at least 0.8 tile long, whose heading turns by well under a right
    // angle between neighbouring quarters of its length.
    const rng = new Rng(7);
    for (let k = 0; k < 50; k++) {
      const crack = sampleCrack({ ...DEFAULT_CRACK_MODEL, smooth: 1 }, 128, rng);
      expect(crack.smooth).toBe(true);
      expect(crack.lengths[0]).toBeGreaterThanOrEqual(0.8 * 128);
      const p = crack.main.points, n = p.length / 2, q = Math.floor(n / 4);
      const heading = (a: number, b: number) => Math.atan2(p[2 * b + 1] - p[2 * a + 1], p[2 * b] - p[2 * a]);
      for (let s = 0; s + 2 * q < n; s += q) {
        const turn = Math.abs(((heading(s + q, s + 2 * q) - heading(s, s + q) + 3 * Math.PI) % (2 * Math.PI)) - Math.PI);
        expect(turn).toBeLessThan(Math.PI / 3);
      }
    }
  });
});

describe('hard negatives', () => {
  const withMarks = (hard: number, onCracks: number, junctions = 0.3) =>
    crackRecipe({ count: 24, settings: { ...structuredClone(DEFAULT_TEXTURE_SETTINGS), hardNegatives: { lo: hard, hi: hard }, crackDistractors: { lo: onCracks, hi: onCracks }, junctions: { lo: junctions, hi: junctions } } });

  /** A generator marking every tile, with one setting fixed at `value` or, undefined, left out (as recipes made before it). */
  const markedWith = (name: string, value?: number) => {
    const r = withMarks(1, 1);
    if (value === undefined) delete r.settings[name];
    else r.settings[name] = { lo: value, hi: value };
    return new CrackGenerator(r);
  };

  it('mark no-crack tiles (and, if asked, crack tiles) without touching any label', () => {
    const plain = new CrackGenerator(withMarks(0, 0)), marked = new CrackGenerator(withMarks(1, 1));
    const kinds = new Set<number>();
    for (let i = 0; i < 24; i++) {
      const a = plain.sample(i), b = marked.sample(i);
      expect(b.label).toBe(a.label);
      expect(Buffer.from(b.mask).equals(Buffer.from(a.mask))).toBe(true);
      expect(Buffer.from(b.image).equals(Buffer.from(a.image))).toBe(false);
      expect(a.params.marks).toBeUndefined();
      for (const k of b.params.marks as number[]) kinds.add(k);
    }
    expect(kinds.size).toBe(MARK_KINDS.length);
  });

  it('are widened by markWidth without touching a label; at 1, or left out, they keep their bytes', () => {
    const width = (w?: number) => markedWith('markWidth', w);
    const plain = new CrackGenerator(withMarks(0, 0)), absent = width(), one = width(1), wide = width(3);
    let narrowChange = 0, wideChange = 0;
    for (let i = 0; i < 24; i++) {
      const p = plain.sample(i), a = absent.sample(i), w = wide.sample(i);
      expect(Buffer.from(one.sample(i).image).equals(Buffer.from(a.image))).toBe(true);
      expect(Buffer.from(w.mask).equals(Buffer.from(p.mask))).toBe(true);
      expect(w.params.marks).toEqual(a.params.marks);
      for (let k = 0; k < p.image.length; k++) {
        narrowChange += Math.abs(a.image[k] - p.image[k]);
        wideChange += Math.abs(w.image[k] - p.image[k]);
      }
    }
    // Lines, grout and joints are half the kinds (edges and blobs, which cover far more, are not widened).
    expect(wideChange).toBeGreaterThan(1.2 * narrowChange);
  });

  it('reach markContrast at their strongest without touching a label; at 0.6, or left out, they keep their bytes', () => {
    const strongest = (c?: number) => markedWith('markContrast', c);
    const absent = strongest(), first = strongest(0.6), strong = strongest(0.95);
    for (let i = 0; i < 24; i++) {
      const a = absent.sample(i), s = strong.sample(i);
      expect(Buffer.from(first.sample(i).image).equals(Buffer.from(a.image))).toBe(true);
      expect(Buffer.from(s.mask).equals(Buffer.from(a.mask))).toBe(true);
      expect(s.params.marks).toEqual(a.params.marks);
    }
    // Drawn alone on a flat surface: a straight line darkens by at most the strongest contrast, and
    // over many draws comes near it.
    const darkest = (c: number) => {
      let low = 255;
      for (let k = 0; k < 300; k++) {
        const flat = new Float64Array(64 * 64).fill(200);
        const rng = new Rng(k);
        // One mark, of the first kind ('line'): paintMarks draws its count and kind first.
        const count = 1 + Math.floor(rng.next() * 2.2), kind = Math.floor(rng.next() * 6);
        if (count !== 1 || MARK_KINDS[kind] !== 'line') continue;
        paintMarks(flat, 64, new Rng(k), { ...FIRST_MARK_STYLE, strongest: c });
        for (const v of flat) low = Math.min(low, v);
      }
      return 1 - low / 200;
    };
    expect(darkest(0.6)).toBeLessThanOrEqual(0.6 + 1e-9);
    expect(darkest(0.6)).toBeGreaterThan(0.5);
    expect(darkest(0.9)).toBeLessThanOrEqual(0.9 + 1e-9);
    expect(darkest(0.9)).toBeGreaterThan(0.75);
  });

  it('include junctions as the recipe\'s share of marks; without them, or left out, tiles keep their bytes', () => {
    const make = (junctions?: number) => markedWith('junctions', junctions);
    const absent = make(), none = make(0), all = make(1);
    const junction = MARK_KINDS.indexOf('junction');
    for (let i = 0; i < 24; i++) {
      const a = none.sample(i), j = all.sample(i);
      expect(Buffer.from(absent.sample(i).image).equals(Buffer.from(a.image))).toBe(true);
      expect(a.params.marks).not.toContain(junction);
      expect(new Set(j.params.marks as number[])).toEqual(new Set([junction]));
      expect(Buffer.from(j.mask).equals(Buffer.from(a.mask))).toBe(true);
      expect(Buffer.from(j.image).equals(Buffer.from(a.image))).toBe(false);
    }
  });

  it('come as the recipe’s share of no-crack tiles, and only there when crack tiles get none', () => {
    const g = new CrackGenerator(withMarks(0.5, 0));
    let marked = 0;
    for (let i = 0; i < 200; i++) {
      const s = g.sample(i);
      if (s.label === 'crack') expect(s.params.marks).toBeUndefined();
      else if (s.params.marks) marked++;
    }
    expect(marked).toBeGreaterThan(35);
    expect(marked).toBeLessThan(65);
  });

  it('a recipe made before hard negatives existed validates and keeps its bytes; default tiles match their golden hashes', () => {
    const legacySettings = Object.fromEntries(Object.entries(DEFAULT_TEXTURE_SETTINGS).filter(([k]) => !['hardNegatives', 'crackDistractors', 'markWidth', 'randomSurface', 'junctions', 'markContrast'].includes(k)));
    const digest = (recipe: CrackRecipe) => {
      const g = new CrackGenerator(recipe);
      return [0, 1, 2, 3].map((i) => {
        const s = g.sample(i);
        return createHash('sha256').update(s.image).update(s.mask).digest('hex').slice(0, 16);
      });
    };
    // The crack model as it was before the variety fields (and before the default intensity widened).
    const legacyCrack = { ...Object.fromEntries(Object.entries(DEFAULT_CRACK_MODEL).filter(([k]) => !(CRACK_VARIETY as readonly string[]).includes(k))),
      intensity: { family: 'normal', mean: -0.45, sd: 0.12 } } as unknown as CrackModel;
    const legacy = crackRecipe({ count: 4, seed: 7, settings: legacySettings, crack: legacyCrack });
    expect(() => validateCrackRecipe(legacy)).not.toThrow();
    // An intended change to the generator's bytes updates these; an unintended one fails here.
    expect(digest(legacy)).toEqual(['bbe0e0521ca0109e', '3be12dc284fb91f3', '272e0c66439b8ade', '076e5e921c6c1965']);
    expect(digest(crackRecipe({ count: 4, seed: 7 }))).toEqual(['999cb3495bd61795', '3be12dc284fb91f3', 'f18038f55dd1ce7d', '076e5e921c6c1965']);
  });
});

describe('random surfaces', () => {
  const withSurface = (share?: number) => {
    const r = crackRecipe({ count: 40 });
    if (share === undefined) delete r.settings.randomSurface;
    else r.settings.randomSurface = { lo: share, hi: share };
    return new CrackGenerator(r);
  };

  it('change the surface of the recipe\'s share of tiles and never a label; off, or left out, the tiles keep their bytes', () => {
    const off = withSurface(0), absent = withSurface(), all = withSurface(1), some = withSurface(0.3);
    let changed = 0;
    for (let i = 0; i < 40; i++) {
      const a = off.sample(i), b = all.sample(i);
      expect(Buffer.from(absent.sample(i).image).equals(Buffer.from(a.image))).toBe(true);
      expect(b.label).toBe(a.label);
      expect(Buffer.from(b.mask).equals(Buffer.from(a.mask))).toBe(true);
      expect(Buffer.from(b.image).equals(Buffer.from(a.image))).toBe(false);
      expect(b.params.surfaceWeight).toBeGreaterThanOrEqual(0.3);
      expect(a.params.surfaceWeight).toBeUndefined();
      if (some.sample(i).params.surfaceWeight !== undefined) changed++;
    }
    expect(changed).toBeGreaterThan(4);
    expect(changed).toBeLessThan(20);
  });

  it('keep the tile\'s brightness and add texture of the drawn scale', () => {
    const off = withSurface(0), all = withSurface(1);
    for (let i = 1; i < 40; i += 2) { // no-crack tiles: the surface alone
      const a = off.sample(i), b = all.sample(i);
      const mean = (img: Uint8Array) => img.reduce((t, v) => t + v, 0) / img.length;
      expect(Math.abs(mean(b.image) - mean(a.image))).toBeLessThan(6);
      // Coarse surfaces move neighbouring pixels little; fine or grainy ones more.
      const edges = horizontalEdges(b.image, 128, 128, Array.from({ length: 127 }, (_, x) => x + 1));
      if ((b.params.surfaceWavelength as number) > 32 && (b.params.surfaceGrain as number) < 1) expect(edges).toBeLessThan(horizontalEdges(a.image, 128, 128, Array.from({ length: 127 }, (_, x) => x + 1)) + 2);
    }
  });
});
