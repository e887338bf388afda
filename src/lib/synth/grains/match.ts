/**
 * "Match my images": measures how a few unlabelled grain micrographs look (grey levels, grain tone
 * and its spread, boundary lines, grain size, noise, blur, uneven light) and turns the measurements
 * into ranges of the grain generator's parameters, so synthetic training data resembles them.
 *
 * Every measurement is made so that it means what the generator's parameter means (render.ts):
 * tones on a 0–1 scale after the light ramp is divided out, line darkness as the relative darkening
 * a line multiplies into the grain, white noise before the blur, the diameter the generator's grain
 * count is made from. The methods, in the order they run on each image:
 *
 * 1. Illumination: a plane fitted to block medians of the whole image; the image is divided by it.
 * 2. Boundary pixels: a black top-hat of the lightly smoothed image (grey closing with an 11 × 11
 *    square, minus the image, relative to the closing), thresholded with hysteresis (Otsu's
 *    threshold, and a noise floor from the grain pixels); pieces too small to be boundaries (pits,
 *    specks) dropped. The same on the inverted image finds bright lines (SEM's edge effect); the
 *    stronger of the two is taken. Where neither stands out more than the grains differ in tone
 *    (tint-etched look), edges of tone steps (gradient magnitude) stand in.
 * 3. Grain size: the boundaries thinned to one pixel; the mean intercept L̄ = length of every row
 *    and column / crossings; L̄ turned into the generator's diameter by a relation fitted to the
 *    generator's own images (diameterFromIntercept).
 * 4. Line darkness, width and blur: many short cross-sections of straight boundary pieces (normal
 *    from the local structure tensor, centre from the darkening's centroid), every pixel binned by
 *    its distance from the centre line at ¼ px, relative to the grains either side; the mean
 *    profile is fitted with the renderer's anti-aliased line (coverage of a line of width w)
 *    blurred by a Gaussian, times the darkness.
 * 5. Noise: second differences with taps 1–4 px apart on grain interiors; the ratio of two
 *    neighbouring ones' variances tells how correlated (blurred) the noise is, their size how
 *    strong. Where that blur fits the line cross-section too, it pins the line fit's blur.
 * 6. Tone: connected grain interiors clear of the blurred lines; the median of their mean tones,
 *    twice the interquartile range of those tones, and (less the noise) the spread inside them.
 *
 * Pure: no DOM, no I/O. Large images are analysed on a central crop (the light on all of it).
 */
import { greyLevels } from '../../data/greyLevels';
import { centralBox, type GreyImage } from '../../data/tiling';
import type { Range, Settings } from '../../params/space';
import { zhangSuen } from '../../analysis/skeleton';
import { gaussianBlur } from '../filters';
import { GRAIN_PARAMS } from './space';
import { measureTints, type TintEstimates } from './matchTint';

/** Images narrower or lower than this are refused: too few grains to measure anything. */
export const MIN_MATCH_SIZE = 32;
/** Images of more pixels than MATCH_CROP² are measured on a central crop of about that many pixels. */
export const MATCH_CROP = 768;

/**
 * From the mean intercept L̄ (px) of the thinned boundaries to the generator's grain diameter d
 * (the equivalent circle of its mean cell area) for generated images of side S:
 *   d = (1.42 L̄ − 2.47) / (1 + 1.15 L̄ / S).
 * Fitted (least squares) to this very measurement on the generator's own images: etched-lines
 * preset, d = 15–120 px, line widths 1–5 px, blur 0.5–1.5 px, S = 256 and 512; every case within
 * 3.5 %. The three terms:
 * - 1.42 is d / L̄ of an unbounded structure of the generator's grains, Lloyd-relaxed Voronoi cells
 *   (its label images give 1.40–1.42; Poisson–Voronoi theory 1.44, hexagons 1.34). The circle (and
 *   E112) relation d = 4/π · L̄ = 1.27 L̄ holds for round sections; grains that tile the plane have
 *   more boundary per area than circles of the same area, so it would make grains 10 % too small.
 * - 2.47 px: crossings the thinned boundary loses where two boundaries pass within a pixel or two
 *   (near triple points), about 1.7 px of intercept.
 * - 1.15 L̄ / S: in a finite generated image the cells at the border are larger (no seeds outside),
 *   so the same d gives a longer intercept in a smaller image.
 */
export const INTERCEPT_FACTOR = 1.42;
export const MERGE_LOSS = 2.47;
export const BORDER_FACTOR = 1.15;

/** The generator's grain diameter for a measured mean intercept `L` (px) and generated image side `size`. */
export function diameterFromIntercept(L: number, size: number): number {
  return Math.max(0, INTERCEPT_FACTOR * L - MERGE_LOSS) / (1 + (BORDER_FACTOR * L) / size);
}

export interface Estimate {
  /** The measured value, in the unit of the generator parameter of the same name. */
  value: number;
  /** How it was measured, and how sure it is, in a short sentence. */
  note: string;
}

export interface GrainLookEstimates {
  /** Grey-level percentiles over all pixels of all images, 0–1 scale. */
  percentiles: { p1: number; p5: number; p50: number; p95: number; p99: number; note: string };
  /** Fractions of all pixels in 32 equal bins of the 8-bit grey level (bin k: levels 8k … 8k + 7). */
  histogram: { bins: number[]; note: string };
  illumination: Estimate;
  meanIntensity: Estimate;
  grainContrast: Estimate | null;
  /** Mean intercept L̄ (px), the distance between boundary crossings along straight lines. */
  meanIntercept: Estimate | null;
  grainDiameter: Estimate | null;
  lineDarkness: Estimate | null;
  /** Bright boundary lines (SEM's edge effect): how far towards white a line brightens the grain under it. */
  brightEdges: Estimate | null;
  lineWidth: Estimate | null;
  blurSigma: Estimate | null;
  noiseSigma: Estimate | null;
  textureStrength: Estimate | null;
  /** Texture wavelength as a share of the grain diameter (the generator's textureWavelength). */
  textureWavelength: Estimate | null;
  /** Pits and inclusions per 100² px and their diameter (px): small round dark spots apart from the lines. */
  pitDensity: Estimate | null;
  pitSize: Estimate | null;
  /** Grain tints (hue centre, opposite-hue share, hue spread, saturation) of colour images; null for grey ones or too little colour. */
  tints: TintEstimates | null;
}

export interface GrainMatch {
  /** What told grains apart: dark boundary lines, or (no lines darker than the grains) tone steps. */
  boundaries: 'dark lines' | 'bright lines' | 'tone edges';
  estimates: GrainLookEstimates;
  /** Ranges around the estimates, inside each parameter's allowed range, for the parameters measured. */
  settings: Partial<Settings>;
  /** The preset that draws boundaries the way these images show them (presetForLook). */
  preset: string;
  /** Generator parameters left alone (the preset's ranges stand). */
  unmeasured: string[];
  /** Anything the caller should know (crops, fallbacks, too few grains). */
  notes: string[];
}

export interface MatchOptions {
  /**
   * Side of the images that will be generated, in the user's pixels (the grain diameter is
   * corrected for the generator's larger cells at the image border, which matter more in small
   * images), or 'native' for as large as the user's images. Default 512.
   */
  size?: number | 'native';
}

/**
 * Measures the look of grain micrographs and proposes generator ranges. Throws on no or tiny images.
 * Images that carry their colour (interleaved RGB beside the grey) also give the grain tints.
 */
export function matchGrainLook(images: (GreyImage & { colour?: Uint8Array })[], options: MatchOptions = {}): GrainMatch {
  if (!Array.isArray(images) || images.length === 0) throw new Error('Matching needs at least one grain micrograph; none were given.');
  images.forEach((im, k) => {
    const name = `Image ${k + 1}`;
    if (!im || !Number.isInteger(im.width) || !Number.isInteger(im.height) || !(im.pixels instanceof Uint8Array) || im.pixels.length !== im.width * im.height) {
      throw new Error(`${name} is not a grey image (width × height bytes).`);
    }
    if (im.width < MIN_MATCH_SIZE || im.height < MIN_MATCH_SIZE) {
      throw new Error(`${name} is ${im.width}×${im.height} px; matching needs images of at least ${MIN_MATCH_SIZE}×${MIN_MATCH_SIZE} px.`);
    }
  });
  // 'native': the images will be generated as large as the user's (an experiment that resizes both
  // to the network's input): the side, in the user's pixels as L̄ is, is their own mean width.
  const size = options.size === 'native' ? images.reduce((sum, im) => sum + im.width, 0) / images.length : options.size ?? 512;
  if (!(size >= 16)) throw new Error(`The generated image size must be at least 16 px; got ${size}.`);
  const notes: string[] = [];
  const { percentiles, histogram } = greyLevels(images);

  const measured = images.map((im) => measureImage(im));
  if (measured.some((m) => m.cropped)) notes.push(`Images of more than ${MATCH_CROP}² pixels were measured on a central crop of that many (${measured.filter((m) => m.cropped).map((m) => `${m.width}×${m.height}`).join(', ')}); the illumination on the whole image.`);

  // Dark lines, bright lines or tone edges: lines where the pooled cross-section shows a line that
  // stands out from the differences in tone between grains (tint-etched grains differ far more).
  // Bright lines (SEM's edge effect) are dark lines of the inverted image: the renderer brightens a
  // line pixel by a share b of what is left to white, v + b (1 − v), which is 1 − v darkened by b.
  // Grain interiors keep clear of the blurred line (or, without a fit, of a typical one).
  const halo = (w: number, s: number) => Math.max(1, Math.ceil(w / 2 + 0.5 + 2 * s));
  const polarity = (of: Pick<Measured, 'f' | 'width' | 'height'>[], parts: LinePart[], invert: boolean) => {
    const pooled = poolProfiles(parts);
    const fit = pooled.profiles >= 20 ? fitLineProfile(pooled) : null;
    const margin = fit ? halo(fit.width, fit.blur) : 3;
    const grains = of.flatMap((m, k) => grainTones(m.f, maxFilterBinary(parts[k].boundary, m.width, m.height, margin), m.width));
    const tones = grains.map((g) => (invert ? 1 - g.tone : g.tone));
    const spread = tones.length >= 6 ? (2 * (quantile(tones, 0.75) - quantile(tones, 0.25))) / Math.max(median(tones), 1e-6) : 0;
    // Bright lines need grain interiors to compare with: with fewer than 6 the spread reads 0 and any
    // faint bright profile would win (dark-line steel was read as SEM, its grains 5–6× too large).
    const interiors = !invert || tones.length >= 6;
    return { parts, pooled, fit, margin, grains, spread, seen: fit !== null && interiors && fit.peak >= 0.1 && fit.peak >= spread };
  };
  const dark = polarity(measured, measured.map((m) => m.lines), false);
  const brightParts = (of: Pick<Measured, 'f' | 'width' | 'height'>[]) => of.map((m) => measureLines(m.f.map((v) => Math.max(0, 1 - v)), m.width, m.height));
  // Bright lines are looked for on central crops of a quarter of the area (at least 256² px) first,
  // and measured in full only where they win there: most micrographs have none, and the line
  // measurement is most of the matcher's time.
  const probes = measured.map(centralCrop);
  const probe = polarity(probes, brightParts(probes), true);
  const wins = (p: typeof dark) => p.seen && (!dark.seen || p.fit!.peak > dark.fit!.peak);
  const bright = wins(probe) ? polarity(measured, brightParts(measured), true) : probe;
  const brightLines = bright !== probe && wins(bright);
  const lines = dark.seen && !brightLines;
  const chosen = lines ? dark : brightLines ? bright : null;
  const boundaries: GrainMatch['boundaries'] = lines ? 'dark lines' : brightLines ? 'bright lines' : 'tone edges';
  let { pooled, fit } = chosen ?? dark;
  let margin = chosen?.margin ?? 2;
  const lineGrains = chosen?.grains ?? [];
  // Without dark lines the darkness is still bounded (a recipe with dark lines would teach a
  // network to look for lines these images do not have): by the depth the mean cross-section shows
  // at its centre. That is stricter than the fitted darkness, which a thin blurred line's shallow
  // depth can inflate several times when the profile is a tone step rather than a line.
  const faintest = brightLines ? 0 : dark.fit ? dark.fit.peak : 0;
  if (brightLines) {
    notes.push(`Boundaries are bright lines (${fmt(bright.fit!.peak)} of the way to white at their brightest, as SEM's edge effect draws them): bright edges, line width and blur were fitted to their mean cross-section, and line darkness is kept near 0.`);
  } else if (!lines) {
    notes.push(`${dark.fit === null
      ? 'No straight dark boundary lines were found'
      : `Boundary lines are not clearly darker than the grains (${fmt(dark.fit.peak)} darker, against a tone spread between grains of ${fmt(dark.spread)})`}: grains were told apart by tone steps (gradient magnitude); line width and blur were not measured, and line darkness ranges from 0 to what the lines show.`);
    fit = null;
  }
  const parts: BoundaryPart[] = chosen ? chosen.parts : measured.map((m) => measureToneEdges(m));

  // Grain size: intercepts pooled over all images.
  let length = 0, crossings = 0, runPixels = 0, runs = 0;
  for (const p of parts) { length += p.scanLength; crossings += p.crossings; runPixels += p.runPixels; runs += p.runs; }
  const L = crossings > 0 ? length / crossings : NaN;
  const thickness = runs > 0 ? runPixels / runs : 0;
  const perImageL = parts.filter((p) => p.crossings >= 20).map((p) => p.scanLength / p.crossings);
  const diameterOf = (l: number) => diameterFromIntercept(l, size);
  const enoughGrains = crossings >= 20;
  if (!enoughGrains) notes.push(`Only ${crossings} boundary crossings were found: too few to measure the grain size.`);

  // Noise, on grain interiors clear of the filters' reach.
  const noise = noiseOwn(measured.map((m, k) => noiseSums(m.f, parts[k].boundary, margin, m.width, m.height)));
  // Blur: the lines' own, unless the blur the noise went through fits the lines as well (it does
  // in the generator's images, where the noise is blurred with the lines; then it settles how the
  // line's width and darkness share its area, which the cross-section alone tells only roughly).
  let blurSource = 'fitted to the edges of the mean line cross-section';
  if (fit && noise?.reliable) {
    const pinned = fitLineProfile(pooled, noise.blur);
    if (pinned && pinned.sse <= 1.5 * fit.sse) {
      fit = pinned;
      blurSource = 'the blur the noise went through (its correlation), which fits the mean line cross-section as well as any';
    }
  }
  const toneMargin = fit ? halo(fit.width, fit.blur) : margin;
  const grains = chosen && toneMargin === margin ? lineGrains
    : measured.flatMap((m, k) => grainTones(m.f, maxFilterBinary(parts[k].boundary, m.width, m.height, toneMargin), m.width));
  const tones = grains.map((g) => g.tone);
  // Texture: the tone's spread inside grains (of at least 50 px), less the noise's.
  const inside = grains.filter((g) => g.pixels >= 50).map((g) => g.variance);
  const textureSd = inside.length >= 6 && noise ? Math.sqrt(Math.max(0, median(inside) - noise.observed ** 2 - QUANT)) : NaN;
  // Texture wavelength: how far the tone inside grains stays alike, against the grain size.
  const texture = { products: new Float64Array(MAX_TEXTURE_LAG + 1), pairs: new Float64Array(MAX_TEXTURE_LAG + 1) };
  measured.forEach((m, k) => textureCorrelation(m.f, maxFilterBinary(parts[k].boundary, m.width, m.height, toneMargin), m.width, m.height, texture));
  const textureFrom = Math.max(2, Math.ceil(2 * (fit?.blur ?? noise?.blur ?? 1)));
  const halfLag = halfCorrelationLag(texture, textureFrom);
  const ownDiameter = enoughGrains ? diameterFromIntercept(L, median(measured.map((m) => Math.max(m.width, m.height)))) : NaN;
  const noiseSigma = noise ? whiteNoise(noise, fit?.blur) : null;

  // Pits: only beside dark lines (in tone-edge images a dark spot is as likely a small grain).
  const pitAreas = lines ? measured.flatMap((m) => m.lines.pits) : [];
  const clearPixels = measured.reduce((a, m) => a + m.lines.pitArea, 0);
  const pitDensity = clearPixels > 0 ? (pitAreas.length * 10_000) / clearPixels : 0;
  const perImagePits = measured.map((m) => (m.lines.pitArea > 0 ? (m.lines.pits.length * 10_000) / m.lines.pitArea : 0));

  const est: GrainLookEstimates = {
    percentiles,
    histogram,
    illumination: {
      value: median(measured.map((m) => m.light.strength)),
      note: `Plane fitted to block medians of each whole image: slope × image side / mean (the generator's ramp), median of ${images.length} image(s); (max − min) / mean over the image ${fmtList(measured.map((m) => m.light.span))}.`,
    },
    meanIntensity: {
      value: tones.length ? median(tones) : median(measured.map((m) => m.median)),
      note: tones.length
        ? `Median of the mean tones of ${tones.length} grain interiors (away from boundaries), light ramp divided out.`
        : 'No grain interiors found: the median grey level of the images.',
    },
    grainContrast: tones.length >= 6 ? {
      value: 2 * (quantile(tones, 0.75) - quantile(tones, 0.25)),
      note: `Twice the interquartile range of ${tones.length} grain interiors' mean tones (the full width of the generator's uniform spread)${tones.length < 20 ? '; few grains, rough' : ''}.`,
    } : null,
    meanIntercept: enoughGrains ? {
      value: L,
      note: `Total length of all rows and columns / crossings of the thinned ${boundaries} (${crossings}), over ${images.length} image(s)${perImageL.length > 1 ? `: per image ${fmtList(perImageL)} px` : ''}; boundary runs are ${fmt(thickness)} px long on average.`,
    } : null,
    grainDiameter: enoughGrains ? {
      value: diameterOf(L),
      note: `(${INTERCEPT_FACTOR} L̄ − ${MERGE_LOSS}) / (1 + ${BORDER_FACTOR} L̄ / ${size}): the generator's own diameter-to-intercept ratio for grains that tile the plane (4/π = 1.27 is for round sections), less crossings merged near triple points, for ${size} px generated images.`,
    } : null,
    lineDarkness: lines && fit ? {
      value: fit.darkness,
      note: `Fitted to the mean cross-section of ${pooled.profiles} boundary pieces (relative darkening; the darkest point of the blurred line is ${fmt(fit.peak)} darker than the grains either side).`,
    } : {
      value: faintest,
      note: brightLines ? 'Boundaries are bright lines, not dark ones.'
        : `At most: boundaries are tone steps, and ${faintest > 0 ? `the mean cross-section of ${dark.pooled.profiles} boundary pieces is at its centre only ${fmt(faintest)} darker than the grains either side (its depth, taken as the bound)` : 'no dark boundary line was found'}.`,
    },
    brightEdges: brightLines && fit ? {
      value: fit.darkness,
      note: `Fitted to the mean cross-section of ${pooled.profiles} bright boundary pieces: the share of the way to white a line brightens the grain under it (the renderer's bright edges).`,
    } : null,
    lineWidth: fit ? {
      value: fit.width,
      note: `Width of the renderer's anti-aliased line fitted to the mean cross-section (its blurred width at half depth is ${fmt(fit.fwhm)} px).`,
    } : null,
    blurSigma: fit ? {
      value: fit.blur,
      note: `Gaussian blur: ${blurSource}${noise ? ` (the noise's correlation says ${fmt(noise.blur)} px)` : ''}.`,
    } : null,
    textureStrength: Number.isFinite(textureSd) ? {
      value: textureSd / TEXTURE_SD,
      note: `Spread of the tone inside grains (median over ${inside.length} interiors of at least 50 px), less the noise's, / ${TEXTURE_SD} (the generator's texture spread per unit strength; texture finer than a few px counts as noise).`,
    } : null,
    noiseSigma: noise && noiseSigma ? {
      value: noiseSigma.sigma,
      note: `Second differences (taps ${noise.taps.join(' and ')} px apart) on grain interiors, robust spread: the image noise is ${fmt(noise.observed)} (0–1 scale), blurred by about ${fmt(noise.blur)} px; as white noise before a blur of ${fmt(noiseSigma.blur)} px that is ${fmt(noiseSigma.sigma)}${noise.coarse ? '. The noise is weak, and taps this far apart also see the grains\' texture: an upper bound (the range starts at 0)' : ''}.`,
    } : null,
    // Only beside lines: grains found by tone edges merge, and the tone step between them reads as slow texture.
    textureWavelength: lines && Number.isFinite(halfLag) && Number.isFinite(ownDiameter) && Number.isFinite(textureSd) && textureSd > 0.01 ? {
      value: halfLag / HALF_LAG_PER_WAVELENGTH / ownDiameter,
      note: `The tone inside grains (each less its own mean) stays correlated to half its value at ${fmt(textureFrom)} px out to ${fmt(halfLag)} px; / ${HALF_LAG_PER_WAVELENGTH} (that lag per texture wavelength in the generator's own images) / the grain diameter (${fmt(ownDiameter)} px).`,
    } : null,
    pitDensity: lines ? {
      value: pitDensity,
      note: `${pitAreas.length} small round dark spots (at least ${MIN_PIT_PIXELS} px, under ${2 * CLOSING_RADIUS} px across) in the ${fmt(clearPixels / 10_000)} × 100² px more than ${PIT_CLEARANCE} px from a line (a pit on a line merges with it; the density there is taken to be the same).`,
    } : null,
    pitSize: pitAreas.length >= 3 ? {
      value: Math.max(1, median(pitAreas.map((a) => 2 * Math.sqrt(a / Math.PI))) - PIT_BLUR_WIDENING * (fit?.blur ?? 0)),
      note: `Median equivalent-circle diameter of the ${pitAreas.length} spots, less ${PIT_BLUR_WIDENING} × the blur (${fmt(fit?.blur ?? 0)} px), by which blur widens a spot as the matcher outlines it (measured on the generator's own pits of 2.5–4 px).`,
    } : null,
    tints: null,
  };
  const coloured = images.filter((im): im is GreyImage & { colour: Uint8Array } => im.colour instanceof Uint8Array && im.colour.length === 3 * im.width * im.height);
  if (coloured.length) {
    const { tints, note } = measureTints(coloured);
    est.tints = tints;
    notes.push(`Colour (${coloured.length} of ${images.length} image(s)): ${note}${tints ? ' The tint ranges apply to colour recipes (colour 1) only.' : ''}`);
  }

  // Ranges, widened to hold every image's own value where there is one per image.
  const settings: Partial<Settings> = {};
  const put = (name: string, e: Estimate | null, perImage: number[] = [], fromZero = false) => {
    if (e && Number.isFinite(e.value)) settings[name] = rangeAround(name, e.value, fromZero ? [0, ...perImage] : perImage);
  };
  put('illumination', est.illumination, measured.map((m) => m.light.strength));
  put('meanIntensity', est.meanIntensity);
  put('grainContrast', est.grainContrast);
  put('grainDiameter', est.grainDiameter, perImageL.map(diameterOf));
  put('lineDarkness', est.lineDarkness, [], !lines);
  put('brightEdges', est.brightEdges);
  put('lineWidth', est.lineWidth);
  put('blurSigma', est.blurSigma);
  put('noiseSigma', est.noiseSigma, [], noise?.coarse);
  put('textureStrength', est.textureStrength);
  put('textureWavelength', est.textureWavelength);
  put('pitDensity', est.pitDensity, perImagePits, true);
  put('pitSize', est.pitSize);
  if (est.tints) for (const [name, e] of Object.entries(est.tints)) put(name, e);
  const unmeasured = GRAIN_PARAMS.map((p) => p.name).filter((name) => !(name in settings));
  return { boundaries, estimates: est, settings, preset: presetForLook(boundaries, est.tints !== null), unmeasured, notes };
}

/** The preset whose boundaries look like the matched ones: dark lines, bright lines, or tone steps (in colour when the images have tints). */
export function presetForLook(boundaries: GrainMatch['boundaries'], coloured: boolean): string {
  if (boundaries === 'dark lines') return 'etched-lines';
  if (boundaries === 'bright lines') return 'sem';
  return coloured ? 'colour-etched' : 'tint-etched';
}

// ---------------------------------------------------------------------------------------------
// Ranges

/** Half-width of the proposed range: the larger of a fraction of the value and an absolute floor. */
const SPREAD: Record<string, { rel: number; abs: number }> = {
  grainDiameter: { rel: 0.25, abs: 2 },
  meanIntensity: { rel: 0, abs: 0.05 },
  grainContrast: { rel: 0.4, abs: 0.02 },
  lineDarkness: { rel: 0.15, abs: 0.05 },
  brightEdges: { rel: 0.15, abs: 0.05 },
  lineWidth: { rel: 0.25, abs: 0.4 },
  noiseSigma: { rel: 0.3, abs: 0.005 },
  blurSigma: { rel: 0.3, abs: 0.2 },
  illumination: { rel: 0.3, abs: 0.03 },
  textureStrength: { rel: 0.3, abs: 0.01 },
  textureWavelength: { rel: 0.25, abs: 0.03 },
  pitDensity: { rel: 0.4, abs: 0.1 },
  pitSize: { rel: 0.3, abs: 1 },
  hueCentre: { rel: 0, abs: 8 },
  oppositeHueShare: { rel: 0.25, abs: 0.05 },
  hueSpread: { rel: 0.3, abs: 0.03 },
  tintSaturation: { rel: 0.25, abs: 0.05 },
};

function rangeAround(name: string, value: number, perImage: number[]): Range {
  const spec = GRAIN_PARAMS.find((p) => p.name === name)!;
  const { rel, abs } = SPREAD[name];
  const half = Math.max(rel * Math.abs(value), abs);
  let lo = value - half, hi = value + half;
  for (const v of perImage) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  // Onto the parameter's step (outwards), inside its allowed range.
  const step = spec.step;
  const snap = (x: number) => Number((Math.round(x / step) * step).toFixed(6));
  lo = snap(Math.floor(lo / step + 1e-9) * step);
  hi = snap(Math.ceil(hi / step - 1e-9) * step);
  lo = Math.min(Math.max(lo, spec.min), spec.max);
  hi = Math.min(Math.max(hi, spec.min), spec.max);
  if (spec.distribution === 'int') { lo = Math.ceil(lo); hi = Math.floor(hi); }
  if (lo > hi) lo = hi;
  return { lo, hi };
}

// ---------------------------------------------------------------------------------------------
// Grey levels


// ---------------------------------------------------------------------------------------------
// One image

/** What one image contributes, whichever way its boundaries were found. */
interface BoundaryPart {
  /** Length of the scan lines (every row and column) and the crossings of the thinned boundary on them. */
  scanLength: number;
  crossings: number;
  /** Boundary pixels on the scan lines and the runs they form (before thinning): mean run = thickness. */
  runPixels: number;
  runs: number;
  /** Boundary pixels (1), before thinning. */
  boundary: Uint8Array;
}

interface LinePart extends BoundaryPart {
  /** Cross-section bins (¼ px, −PROFILE_REACH … PROFILE_REACH): sums and counts of relative darkening. */
  sum: Float64Array;
  count: Float64Array;
  profiles: number;
  /** How far each cross-section reached (its baseline sits in the last 2 px). */
  reach: number;
  /** Areas (px) of the small round dark pieces apart from the lines: pits and inclusions. */
  pits: number[];
  /** Pixels more than PIT_CLEARANCE from a line, where a pit is seen apart from it. */
  pitArea: number;
}

interface Measured {
  width: number;
  height: number;
  /** The crop, 0–1 grey, light divided out. */
  f: Float64Array;
  cropped: boolean;
  median: number;
  light: { strength: number; span: number };
  lines: LinePart;
}

/** The central part of a measured crop, a quarter of its area but at least 256 px a side (within its sides). */
function centralCrop(m: Measured): Pick<Measured, 'f' | 'width' | 'height'> {
  const width = Math.min(m.width, Math.max(256, m.width >> 1)), height = Math.min(m.height, Math.max(256, m.height >> 1));
  if (width === m.width && height === m.height) return m;
  const x0 = (m.width - width) >> 1, y0 = (m.height - height) >> 1;
  const f = new Float64Array(width * height);
  for (let y = 0; y < height; y++) f.set(m.f.subarray((y + y0) * m.width + x0, (y + y0) * m.width + x0 + width), y * width);
  return { f, width, height };
}

function measureImage(im: GreyImage): Measured {
  const light = fitLight(im);
  // A crop of the image's shape (within its sides) of at most MATCH_CROP² pixels.
  const { x0, y0, width, height } = centralBox(im.width, im.height, MATCH_CROP * MATCH_CROP);
  const f = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = (y + y0) * im.width + x0;
    const ly = light.b * (y + y0 - light.cy);
    for (let x = 0; x < width; x++) {
      f[y * width + x] = im.pixels[row + x] / 255 / Math.max(0.05, 1 + light.a * (x + x0 - light.cx) + ly);
    }
  }
  const sorted = strided(f, 100_000).sort();
  return {
    width, height, f, cropped: width < im.width || height < im.height,
    median: sorted[sorted.length >> 1],
    light: { strength: light.strength, span: light.span },
    lines: measureLines(f, width, height),
  };
}

/**
 * Relative light ramp 1 + a (x − cx) + b (y − cy) from a least-squares plane through block medians
 * (blocks about 1/16 of the image side, at least 8 px); blocks off the plane by more than 3 robust
 * spreads are dropped and the plane refitted once.
 */
function fitLight(im: GreyImage) {
  const { width: W, height: H, pixels } = im;
  const block = Math.max(8, Math.floor(Math.min(W, H) / 16));
  const nx = Math.floor(W / block), ny = Math.floor(H / block);
  const xs: number[] = [], ys: number[] = [], zs: number[] = [];
  const hist = new Int32Array(256);
  for (let by = 0; by < ny; by++) {
    for (let bx = 0; bx < nx; bx++) {
      hist.fill(0);
      // Every pixel of small blocks; a grid of at most 32 × 32 samples of large ones.
      const stride = Math.max(1, Math.floor(block / 32));
      let n = 0;
      for (let y = by * block; y < (by + 1) * block; y += stride) {
        for (let x = bx * block; x < (bx + 1) * block; x += stride) { hist[pixels[y * W + x]]++; n++; }
      }
      let acc = 0, v = 0;
      while (v < 255 && (acc += hist[v]) < n / 2) v++;
      xs.push((bx + 0.5) * block);
      ys.push((by + 0.5) * block);
      zs.push(v);
    }
  }
  const cx = W / 2, cy = H / 2;
  let use = zs.map(() => true);
  let plane = fitPlane(xs, ys, zs, use, cx, cy);
  const residual = zs.map((z, k) => z - (plane.c + plane.a * (xs[k] - cx) + plane.b * (ys[k] - cy)));
  const spread = 1.4826 * median(residual.map(Math.abs));
  if (spread > 0) {
    use = residual.map((r) => Math.abs(r) <= 3 * spread + 1);
    if (use.filter(Boolean).length >= 3) plane = fitPlane(xs, ys, zs, use, cx, cy);
  }
  const mean = plane.c;
  if (!(mean > 1)) return { a: 0, b: 0, cx, cy, strength: 0, span: 0 };
  const a = plane.a / mean, b = plane.b / mean;
  // Generator: light = 1 + (strength / side) · (direction · offset); side of a W × H image: √(W H).
  const strength = Math.hypot(a, b) * Math.sqrt(W * H);
  const span = Math.abs(a) * W + Math.abs(b) * H;
  return { a, b, cx, cy, strength, span };
}

function fitPlane(xs: number[], ys: number[], zs: number[], use: boolean[], cx: number, cy: number) {
  // Normal equations for z = c + a (x − cx) + b (y − cy).
  let n = 0, sx = 0, sy = 0, sz = 0, sxx = 0, syy = 0, sxy = 0, sxz = 0, syz = 0;
  for (let k = 0; k < zs.length; k++) {
    if (!use[k]) continue;
    const x = xs[k] - cx, y = ys[k] - cy, z = zs[k];
    n++; sx += x; sy += y; sz += z; sxx += x * x; syy += y * y; sxy += x * y; sxz += x * z; syz += y * z;
  }
  if (n < 3) return { a: 0, b: 0, c: n ? sz / n : 0 };
  const m = [[n, sx, sy], [sx, sxx, sxy], [sy, sxy, syy]], r = [sz, sxz, syz];
  const s = solve3(m, r);
  if (!s) return { a: 0, b: 0, c: sz / n };
  return { c: s[0], a: s[1], b: s[2] };
}

function solve3(m: number[][], r: number[]): number[] | null {
  const det = (a: number[][]) => a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  const d = det(m);
  if (Math.abs(d) < 1e-12) return null;
  return [0, 1, 2].map((j) => det(m.map((row, i) => row.map((v, k) => (k === j ? r[i] : v)))) / d);
}

// ---------------------------------------------------------------------------------------------
// Boundary lines

/** Radius of the closing window: lines up to about 2·radius − 1 px wide are seen whole. */
const CLOSING_RADIUS = 5;
/** Cross-sections reach at most this far either side of the line centre (px). */
const PROFILE_REACH = 14;
const BIN = 0.25;
const BINS = Math.round((2 * PROFILE_REACH) / BIN) + 1;
/** At most this many cross-sections per image. */
const MAX_PROFILES = 1200;

function measureLines(f: Float64Array, W: number, H: number): LinePart {
  // Black top-hat of the smoothed image relative to its closing: the fraction a pixel is darker
  // than its bright surroundings (smoothing first keeps noise from breaking lines or making specks).
  const smooth = binomialSmooth(f, W, H);
  const closed = minFilter(maxFilter(smooth, W, H, CLOSING_RADIUS), W, H, CLOSING_RADIUS);
  const hat = new Float64Array(f.length);
  for (let i = 0; i < f.length; i++) hat[i] = closed[i] > 0 ? Math.max(0, 1 - smooth[i] / closed[i]) : 0;
  const boundary = hysteresis(hat, W, H, 0.03);
  const pits = dropSmallPieces(boundary, W, H, 2 * CLOSING_RADIUS);
  // A pit that touches a line merges with it and is not seen: pits are counted on the area clear of the lines.
  const nearLines = maxFilterBinary(boundary, W, H, PIT_CLEARANCE);
  let pitArea = 0;
  for (let i = 0; i < nearLines.length; i++) if (!nearLines[i]) pitArea++;
  const { runPixels, crossings: runs } = intercepts(boundary, W, H);
  const { scanLength, crossings } = intercepts(zhangSuen(boundary, W, H), W, H);
  // Typical line thickness along rows and columns, to size the cross-sections and the margins.
  const thickness = runs > 0 ? runPixels / runs : 2;
  const L = crossings > 0 ? scanLength / crossings : Math.max(W, H);
  const reach = Math.round(Math.min(PROFILE_REACH, Math.max(5, thickness + 4), Math.max(5, 0.45 * L)));
  const part = crossSections(f, smooth, boundary, W, H, reach);
  return { scanLength, crossings, runPixels, runs, boundary, ...part, reach, pits, pitArea };
}

/**
 * Pixels above a high threshold, grown into connected pixels above a low one (8-connected). Otsu's
 * threshold splits grain from boundary pixels, however many of each there are; the grain pixels'
 * spread is read from the lower half of those below it. The high threshold is Otsu's and at least
 * 6 such spreads above their median, the low one half Otsu's and at least 3 spreads; at least
 * 2·floor and `floor`; both times `scale`.
 */
function hysteresis(score: Float64Array, W: number, H: number, floor: number, scale = 1): Uint8Array {
  const sample = strided(score, 100_000).sort();
  const otsu = otsuThreshold(sample);
  let below = 0;
  while (below < sample.length && sample[below] < otsu) below++;
  const q = (p: number) => sample[Math.min(sample.length - 1, Math.floor(p * below))];
  const med = q(0.5), spread = (med - q(0.25)) / 0.6745;
  const low = scale * Math.max(floor, med + 3 * spread, otsu / 2), high = scale * Math.max(2 * floor, med + 6 * spread, otsu);
  const out = new Uint8Array(score.length);
  const claim = (k: number) => !out[k] && score[k] >= low && (out[k] = 1) === 1;
  for (let i = 0; i < score.length; i++) {
    if (score[i] < high || out[i]) continue;
    out[i] = 1;
    grow8(i, W, H, claim);
  }
  return out;
}

/** Otsu's threshold (largest between-class variance) of sorted values, over 256 bins from 0 to the largest. */
function otsuThreshold(sorted: Float64Array): number {
  const top = sorted[sorted.length - 1];
  if (!(top > 0)) return 0;
  const hist = new Float64Array(256);
  for (let k = 0; k < sorted.length; k++) hist[Math.min(255, Math.floor((sorted[k] / top) * 256))]++;
  let total = 0, sumAll = 0;
  for (let b = 0; b < 256; b++) { total += hist[b]; sumAll += b * hist[b]; }
  let w0 = 0, sum0 = 0, best = 0, bestT = 0;
  for (let b = 0; b < 255; b++) {
    w0 += hist[b]; sum0 += b * hist[b];
    const w1 = total - w0;
    if (w0 === 0 || w1 === 0) continue;
    const between = w0 * w1 * (sum0 / w0 - (sumAll - sum0) / w1) ** 2;
    if (between > best) { best = between; bestT = b + 1; }
  }
  return (bestT / 256) * top;
}

/** The 8-connected piece grown from `start` (already claimed): each neighbour `claim` accepts, and marks so it is taken once. */
function grow8(start: number, W: number, H: number, claim: (k: number) => boolean): number[] {
  const piece = [start];
  for (let p = 0; p < piece.length; p++) {
    const j = piece[p], x = j % W, y = (j - x) / W;
    for (let yy = Math.max(0, y - 1); yy <= Math.min(H - 1, y + 1); yy++) {
      for (let xx = Math.max(0, x - 1); xx <= Math.min(W - 1, x + 1); xx++) {
        const k = yy * W + xx;
        if (claim(k)) piece.push(k);
      }
    }
  }
  return piece;
}

/**
 * Removes 8-connected pieces whose bounding box is under `extent` px both ways (pits, specks), and
 * returns the areas of those that look like pits: at least MIN_PIT_PIXELS, roundish (box sides
 * within 2:1) and filling half their box or more (a disc fills π/4 of it; a stray bit of line, far less).
 */
function dropSmallPieces(mask: Uint8Array, W: number, H: number, extent: number): number[] {
  const pits: number[] = [];
  const seen = new Uint8Array(mask.length);
  const claim = (k: number) => mask[k] !== 0 && !seen[k] && (seen[k] = 1) === 1;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    seen[start] = 1;
    const piece = grow8(start, W, H, claim);
    let x0 = W, x1 = -1, y0 = H, y1 = -1;
    for (const j of piece) {
      const x = j % W, y = (j - x) / W;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    const w = x1 - x0 + 1, h = y1 - y0 + 1;
    if (w >= extent || h >= extent) continue;
    for (const j of piece) mask[j] = 0;
    if (piece.length >= MIN_PIT_PIXELS && Math.max(w, h) <= 2 * Math.min(w, h) && piece.length >= 0.5 * w * h) pits.push(piece.length);
  }
  return pits;
}

/** Smaller dark pieces are taken for noise, not pits. */
const MIN_PIT_PIXELS = 4;
/** A blurred pit's outline is wider than the pit by about this many blur sigmas. */
const PIT_BLUR_WIDENING = 2.5;
/** A pit's centre must be this far (px) from a line for the pit to be seen apart from it. */
const PIT_CLEARANCE = 4;

/**
 * Boundary runs crossed along every row and every column; a run at either end of a line counts ½
 * (the line starts or ends on a boundary, as ASTM E112 scores it).
 */
function intercepts(mask: Uint8Array, W: number, H: number) {
  let crossings = 0, runPixels = 0;
  for (let y = 0; y < H; y++) {
    const o = y * W;
    let inRun = 0;
    for (let x = 0; x < W; x++) {
      const v = mask[o + x];
      if (v) {
        runPixels++;
        if (!inRun) crossings += x === 0 ? 0.5 : 1;
      }
      inRun = v;
    }
    if (inRun) crossings -= 0.5;
  }
  // Columns a row at a time (a run starts where the pixel above is not boundary).
  for (let x = 0; x < W; x++) if (mask[x]) { runPixels++; crossings += 0.5; }
  for (let y = 1; y < H; y++) {
    const o = y * W;
    for (let x = 0; x < W; x++) {
      if (!mask[o + x]) continue;
      runPixels++;
      if (!mask[o - W + x]) crossings++;
    }
  }
  for (let x = 0, o = (H - 1) * W; x < W; x++) if (mask[o + x]) crossings -= 0.5;
  return { scanLength: 2 * W * H, crossings, runPixels };
}

/**
 * Cross-sections of straight pieces of boundary line. Candidates: boundary pixels at the bottom of
 * the (smoothed) line whose neighbourhood is strongly oriented (structure-tensor coherence > 0.6:
 * not a junction, pit or corner). Each centre is moved to the centroid of the (smoothed, squared)
 * darkening along the normal; the grains either side (the last 2 px of the reach) give a linear baseline and must not
 * be boundary themselves nor differ by more than 15 %. Every pixel within 1 px along the line is
 * binned by its distance across it.
 */
function crossSections(f: Float64Array, smooth: Float64Array, boundary: Uint8Array, W: number, H: number, reach: number) {
  const sum = new Float64Array(BINS), count = new Float64Array(BINS);
  const candidates: number[] = [];
  const edge = reach + 3;
  for (let y = edge; y < H - edge; y++) {
    for (let x = edge; x < W - edge; x++) {
      const i = y * W + x;
      if (boundary[i] && smooth[i] <= smooth[i - 1] && smooth[i] <= smooth[i + 1] || boundary[i] && smooth[i] <= smooth[i - W] && smooth[i] <= smooth[i + W]) candidates.push(i);
    }
  }
  const step = Math.max(1, Math.ceil(candidates.length / (2 * MAX_PROFILES)));
  let profiles = 0;
  const ts: number[] = [], vs: number[] = [], onBoundary: number[] = [];
  const along = new Float64Array(2 * reach * 2 + 1);
  for (let c = 0; c < candidates.length && profiles < MAX_PROFILES; c += step) {
    const i = candidates[c];
    const x = i % W, y = (i - x) / W;
    // Structure tensor over a 7 × 7 window of central-difference gradients of the smoothed image.
    let j11 = 0, j22 = 0, j12 = 0;
    for (let dy = -3; dy <= 3; dy++) {
      for (let dx = -3; dx <= 3; dx++) {
        const k = (y + dy) * W + x + dx;
        const gx = smooth[k + 1] - smooth[k - 1], gy = smooth[k + W] - smooth[k - W];
        j11 += gx * gx; j22 += gy * gy; j12 += gx * gy;
      }
    }
    const trace = j11 + j22;
    if (!(trace > 0) || Math.hypot(j11 - j22, 2 * j12) / trace < 0.6) continue;
    const theta = 0.5 * Math.atan2(2 * j12, j11 - j22);
    const nx = Math.cos(theta), ny = Math.sin(theta);
    // Centre: centroid of the squared darkening of the smoothed image along the normal, twice
    // (smoothed, so noise hardly moves it: centres that wander would widen the mean cross-section).
    let cx = x, cy = y, ok = true;
    for (let pass = 0; pass < 2 && ok; pass++) {
      let n = 0;
      for (let k = -2 * reach; k <= 2 * reach; k++) along[n++] = bilinear(smooth, W, H, cx + (k / 2) * nx, cy + (k / 2) * ny);
      const left = (along[0] + along[1] + along[2] + along[3]) / 4, right = (along[n - 1] + along[n - 2] + along[n - 3] + along[n - 4]) / 4;
      let sw = 0, st = 0;
      for (let k = 4; k < n - 4; k++) {
        const t = (k - 2 * reach) / 2;
        const base = left + ((right - left) * k) / (n - 1);
        const d = Math.max(0, 1 - along[k] / base) ** 2;
        sw += d; st += d * t;
      }
      if (!(sw > 0)) { ok = false; break; }
      const shift = st / sw;
      if (Math.abs(shift) > 1.5) ok = false;
      cx += shift * nx; cy += shift * ny;
    }
    if (!ok) continue;
    // Pixels within 1 px along the line and `reach` across it.
    ts.length = 0; vs.length = 0; onBoundary.length = 0;
    const box = reach + 2;
    const bx0 = Math.max(0, Math.floor(cx - box)), bx1 = Math.min(W - 1, Math.ceil(cx + box));
    const by0 = Math.max(0, Math.floor(cy - box)), by1 = Math.min(H - 1, Math.ceil(cy + box));
    for (let py = by0; py <= by1; py++) {
      for (let px = bx0; px <= bx1; px++) {
        const dx = px - cx, dy = py - cy;
        const t = dx * nx + dy * ny, u = -dx * ny + dy * nx;
        if (Math.abs(u) > 1 || Math.abs(t) > reach) continue;
        ts.push(t);
        vs.push(f[py * W + px]);
        onBoundary.push(boundary[py * W + px]);
      }
    }
    let ls = 0, ln = 0, rs = 0, rn = 0, bad = false;
    for (let k = 0; k < ts.length; k++) {
      if (Math.abs(ts[k]) < reach - 2) continue;
      if (onBoundary[k]) { bad = true; break; }
      if (ts[k] < 0) { ls += vs[k]; ln++; } else { rs += vs[k]; rn++; }
    }
    if (bad || ln < 2 || rn < 2) continue;
    const left = ls / ln, right = rs / rn;
    if (!(left > 0 && right > 0) || Math.abs(left - right) > 0.15 * (left + right) / 2) continue;
    for (let k = 0; k < ts.length; k++) {
      const base = left + ((right - left) * (ts[k] + reach)) / (2 * reach);
      const b = Math.round((ts[k] + PROFILE_REACH) / BIN);
      sum[b] += 1 - vs[k] / base;
      count[b]++;
    }
    profiles++;
  }
  return { sum, count, profiles };
}

function bilinear(f: Float64Array, W: number, H: number, x: number, y: number): number {
  const xc = Math.min(Math.max(x, 0), W - 1.000001), yc = Math.min(Math.max(y, 0), H - 1.000001);
  const x0 = Math.floor(xc), y0 = Math.floor(yc), tx = xc - x0, ty = yc - y0;
  const i = y0 * W + x0;
  const top = f[i] + tx * (f[i + 1] - f[i]);
  const bottom = f[i + W] + tx * (f[i + W + 1] - f[i + W]);
  return top + ty * (bottom - top);
}

interface PooledProfile {
  /** Mean relative darkening per bin (NaN where empty). */
  mean: Float64Array;
  count: Float64Array;
  profiles: number;
  /** The smallest reach of any image's cross-sections. */
  reach: number;
}

function poolProfiles(parts: LinePart[]): PooledProfile {
  const sum = new Float64Array(BINS), count = new Float64Array(BINS);
  let profiles = 0, reach = PROFILE_REACH;
  for (const p of parts) {
    if (p.profiles === 0) continue;
    for (let b = 0; b < BINS; b++) { sum[b] += p.sum[b]; count[b] += p.count[b]; }
    profiles += p.profiles;
    reach = Math.min(reach, p.reach);
  }
  const mean = new Float64Array(BINS);
  for (let b = 0; b < BINS; b++) mean[b] = count[b] > 0 ? sum[b] / count[b] : NaN;
  return { mean, count, profiles, reach };
}

// ---------------------------------------------------------------------------------------------
// Line profile model and fit

const SQRT1_2 = Math.SQRT1_2, INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** erf, Abramowitz & Stegun 7.1.26 (error below 1.5e-7). */
function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

/** E[max(0, x + s Z)] for standard normal Z: a ramp blurred by a Gaussian of sd s. */
function blurredRamp(x: number, s: number): number {
  if (s < 1e-6) return Math.max(0, x);
  const z = x / s;
  return x * 0.5 * (1 + erf(z * SQRT1_2)) + s * INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/**
 * The renderer's line coverage across a line of width w (min(1, max(0, w/2 + ½ − |t|)), times
 * min(1, w) for lines under a pixel) blurred by a Gaussian of sd s; the darkening is D times it.
 */
export function lineProfile(t: number, w: number, s: number): number {
  const h = w / 2 + 0.5;
  const fade = Math.min(1, w);
  if (h >= 1) {
    const a = h - 1;
    return fade * (blurredRamp(t + h, s) - blurredRamp(t + a, s) - blurredRamp(t - a, s) + blurredRamp(t - h, s));
  }
  return fade * (blurredRamp(t + h, s) - 2 * blurredRamp(t, s) + blurredRamp(t - h, s));
}

interface LineFit {
  darkness: number;
  width: number;
  blur: number;
  /** Deepest point of the fitted (blurred) line, and its width at half that depth. */
  peak: number;
  fwhm: number;
  /** Sum of squared residuals of the fit. */
  sse: number;
}

/**
 * Least squares over a grid of widths (0.2–9 px by 0.25) and blurs (0–4 px by 0.125), or the blur
 * given, the darkness solved in closed form for each and kept within 0–1; then the grid refined
 * twice around the best (to 0.01 px and 0.005 px).
 */
function fitLineProfile(p: PooledProfile, blur?: number): LineFit | null {
  const ts: number[] = [], ys: number[] = [];
  const limit = p.reach - 2;
  for (let b = 0; b < BINS; b++) {
    const t = -PROFILE_REACH + b * BIN;
    if (Math.abs(t) <= limit && p.count[b] >= 5 && Number.isFinite(p.mean[b])) { ts.push(t); ys.push(p.mean[b]); }
  }
  if (ts.length < 10) return null;
  const g = new Float64Array(ts.length);
  const score = (w: number, s: number) => {
    let gy = 0, gg = 0;
    for (let k = 0; k < ts.length; k++) { g[k] = lineProfile(ts[k], w, s); gy += g[k] * ys[k]; gg += g[k] * g[k]; }
    const d = gg > 0 ? Math.min(1, Math.max(0, gy / gg)) : 0;
    let sse = 0;
    for (let k = 0; k < ts.length; k++) { const r = ys[k] - d * g[k]; sse += r * r; }
    return { sse, d };
  };
  let best = { sse: Infinity, d: 0, w: 1, s: 1 };
  const search = (w0: number, w1: number, dw: number, s0: number, s1: number, ds: number) => {
    for (let w = w0; w <= w1 + 1e-9; w += dw) {
      for (let s = s0; s <= s1 + 1e-9; s += ds) {
        const r = score(w, s);
        if (r.sse < best.sse) best = { ...r, w, s };
      }
    }
  };
  if (blur === undefined) {
    search(0.2, 9, 0.25, 0, 4, 0.125);
    search(Math.max(0.2, best.w - 0.25), best.w + 0.25, 0.05, Math.max(0, best.s - 0.125), best.s + 0.125, 0.025);
    search(Math.max(0.2, best.w - 0.05), best.w + 0.05, 0.01, Math.max(0, best.s - 0.025), best.s + 0.025, 0.005);
  } else {
    search(0.2, 9, 0.25, blur, blur, 1);
    search(Math.max(0.2, best.w - 0.25), best.w + 0.25, 0.01, blur, blur, 1);
  }
  if (!(best.d > 0)) return null;
  // Half-depth width of the fitted curve.
  const peak = best.d * lineProfile(0, best.w, best.s);
  let fwhm = 0;
  for (let t = 0; t <= PROFILE_REACH; t += 0.01) if (best.d * lineProfile(t, best.w, best.s) >= peak / 2) fwhm = 2 * t;
  return { darkness: best.d, width: best.w, blur: best.s, peak, fwhm, sse: best.sse };
}

// ---------------------------------------------------------------------------------------------
// Tone-edge fallback

/**
 * Tone-edge thresholds are the line thresholds times this: gradient magnitude has no clean gap
 * between grain texture and tone steps, and the grain size it gives depends strongly on it (on
 * six colour-etched crops with traced boundaries 1 gives mean intercepts 73 % too long, 0.7 14 %
 * too short, 0.5 46 % too short; on generated tint-etched images +19 %, +11 %, −16 %).
 */
const TONE_EDGE_SCALE = 0.7;

/**
 * Boundaries as tone steps: gradient magnitude of the twice-smoothed image, hysteresis-thresholded
 * like the lines (thresholds times TONE_EDGE_SCALE), small pieces dropped.
 */
function measureToneEdges(m: Measured): BoundaryPart {
  const { f, width: W, height: H } = m;
  const s = binomialSmooth(binomialSmooth(f, W, H), W, H);
  const grad = new Float64Array(f.length);
  for (let y = 1; y < H - 1; y++) {
    for (let x = 1; x < W - 1; x++) {
      const i = y * W + x;
      grad[i] = Math.hypot(s[i + 1] - s[i - 1], s[i + W] - s[i - W]) / 2;
    }
  }
  const edges = hysteresis(grad, W, H, 0.004, TONE_EDGE_SCALE);
  dropSmallPieces(edges, W, H, 2 * CLOSING_RADIUS);
  const { runPixels, crossings: runs } = intercepts(edges, W, H);
  const { scanLength, crossings } = intercepts(zhangSuen(edges, W, H), W, H);
  return { scanLength, crossings, runPixels, runs, boundary: edges };
}

// ---------------------------------------------------------------------------------------------
// Grain tones

interface GrainInterior {
  /** Mean tone (0–1, light divided out). */
  tone: number;
  /** Variance of the tone about that mean, and the pixel count. */
  variance: number;
  pixels: number;
}

/** Each 4-connected region outside `near` (boundaries and their margin) numbered 0, 1, …; −1 on `near`. */
function labelInteriors(near: Uint8Array, W: number): { label: Int32Array; count: number } {
  const label = new Int32Array(near.length).fill(-1);
  const stack: number[] = [];
  let count = 0;
  for (let start = 0; start < near.length; start++) {
    if (near[start] || label[start] >= 0) continue;
    const g = count++;
    label[start] = g;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % W;
      if (x > 0 && !near[i - 1] && label[i - 1] < 0) { label[i - 1] = g; stack.push(i - 1); }
      if (x < W - 1 && !near[i + 1] && label[i + 1] < 0) { label[i + 1] = g; stack.push(i + 1); }
      if (i >= W && !near[i - W] && label[i - W] < 0) { label[i - W] = g; stack.push(i - W); }
      if (i + W < near.length && !near[i + W] && label[i + W] < 0) { label[i + W] = g; stack.push(i + W); }
    }
  }
  return { label, count };
}

/** Every 4-connected region of at least 20 px outside `near` (boundaries and their margin). */
function grainTones(f: Float64Array, near: Uint8Array, W: number): GrainInterior[] {
  const { label, count } = labelInteriors(near, W);
  const n = new Float64Array(count), sum = new Float64Array(count), sq = new Float64Array(count);
  for (let i = 0; i < f.length; i++) {
    const g = label[i];
    if (g < 0) continue;
    n[g]++;
    sum[g] += f[i];
    sq[g] += f[i] * f[i];
  }
  const grains: GrainInterior[] = [];
  for (let g = 0; g < count; g++) {
    if (n[g] >= 20) grains.push({ tone: sum[g] / n[g], variance: Math.max(0, sq[g] / n[g] - (sum[g] / n[g]) ** 2), pixels: n[g] });
  }
  return grains;
}

/**
 * Half-correlation lag of the generator's texture per unit wavelength, measured on its own
 * etched-lines images (0.19–0.26 for wavelengths of 0.25–0.65 grain diameters, d 40–100 px).
 */
const HALF_LAG_PER_WAVELENGTH = 0.225;
/** Longest lag (px) at which the texture's correlation is followed. */
const MAX_TEXTURE_LAG = 60;

/**
 * The texture's correlation inside grains, by lag: each grain interior's tone less its own mean,
 * correlated with itself `k` px along rows and columns (pairs within one grain only), for k = 0 …
 * MAX_TEXTURE_LAG. Sums over images, so several images pool; `pairs[k]` counts what entered.
 */
function textureCorrelation(f: Float64Array, near: Uint8Array, W: number, H: number, sums: { products: Float64Array; pairs: Float64Array }): void {
  const { label, count } = labelInteriors(near, W);
  const n = new Float64Array(count), sum = new Float64Array(count);
  for (let i = 0; i < f.length; i++) if (label[i] >= 0) { n[label[i]]++; sum[label[i]] += f[i]; }
  const r = new Float64Array(f.length);
  for (let i = 0; i < f.length; i++) if (label[i] >= 0) r[i] = f[i] - sum[label[i]] / n[label[i]];
  const { products, pairs } = sums;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x, g = label[i];
      if (g < 0) continue;
      products[0] += r[i] * r[i];
      pairs[0]++;
      for (let k = 1; k <= MAX_TEXTURE_LAG; k++) {
        if (x + k < W && label[i + k] === g) { products[k] += r[i] * r[i + k]; pairs[k]++; }
        if (y + k < H && label[i + k * W] === g) { products[k] += r[i] * r[i + k * W]; pairs[k]++; }
      }
    }
  }
}

/**
 * Lag (px) at which the texture's correlation has fallen to half its value at `from` px (past the
 * reach of the noise and its blur), or NaN when it never does within reach or too few pairs.
 */
function halfCorrelationLag(sums: { products: Float64Array; pairs: Float64Array }, from: number): number {
  const c = (k: number) => (sums.pairs[k] >= 500 ? sums.products[k] / sums.pairs[k] : NaN);
  const c0 = c(from);
  if (!(c0 > 0)) return NaN;
  for (let k = from + 1; k <= MAX_TEXTURE_LAG; k++) {
    const ck = c(k);
    if (!Number.isFinite(ck)) return NaN;
    if (ck <= 0.5 * c0) {
      const prev = c(k - 1);
      return k - 1 + (prev - 0.5 * c0) / (prev - ck);
    }
  }
  return NaN;
}

// ---------------------------------------------------------------------------------------------
// Noise

interface NoiseSums {
  /** Responses of the second-difference filters F_1 … F_4 at grain-interior pixels (a sample). */
  responses: Float64Array[];
}

/** Tap spacings of the noise filters. */
const TAPS = [1, 2, 3, 4];

/**
 * F_j = d_j ⊗ d_j with d_j = [1, 0…, −2, 0…, 1] (taps j px apart), each where its (2j + 1)²
 * footprint is clear of boundaries and their blurred edges: `halo` px from `boundary` plus j.
 * Each cancels any tone that is linear along a row or a column, so grain tone and slow texture
 * hardly enter.
 */
function noiseSums(f: Float64Array, boundary: Uint8Array, halo: number, W: number, H: number): NoiseSums {
  const clear = [maxFilterBinary(boundary, W, H, halo + 2), maxFilterBinary(boundary, W, H, halo + 4)];
  const out: number[][] = TAPS.map(() => []);
  const total = (W - 8) * (H - 8);
  const stride = Math.max(1, Math.floor(total / 60_000));
  let k = 0;
  for (let y = 4; y < H - 4; y++) {
    for (let x = 4; x < W - 4; x++, k++) {
      const i = y * W + x;
      if (clear[0][i] || k % stride) continue;
      for (let t = 0; t < TAPS.length; t++) {
        const j = TAPS[t], o = j * W;
        if (j > 2 && clear[1][i]) break;
        const above = f[i - o - j] - 2 * f[i - o] + f[i - o + j];
        const here = f[i - j] - 2 * f[i] + f[i + j];
        const below = f[i + o - j] - 2 * f[i + o] + f[i + o + j];
        out[t].push(above - 2 * here + below);
      }
    }
  }
  return { responses: out.map((r) => Float64Array.from(r)) };
}

/** Per blur sigma on a 0.05 px grid (0–4): Σ k² and Σ (d_j ∗ k)² for the generator's 1-D blur kernel k. */
let kernelTable: { sigma: number; a: number; e: number[] }[] | null = null;

function blurTable() {
  if (kernelTable) return kernelTable;
  const n = 49, c = 24;
  kernelTable = [];
  for (let k = 0; k <= 80; k++) {
    const sigma = k * 0.05;
    const image = new Float64Array(n * n);
    image[c * n + c] = 1;
    gaussianBlur(image, n, sigma);
    const row = image.subarray(c * n, c * n + n);
    let total = 0;
    for (const v of row) total += v;
    const kernel = Array.from(row, (v) => v / total);
    const at = (x: number) => (x >= 0 && x < n ? kernel[x] : 0);
    let a = 0;
    const e = TAPS.map(() => 0);
    for (let x = -4; x < n + 4; x++) {
      a += at(x) ** 2;
      TAPS.forEach((j, t) => { e[t] += (at(x - j) - 2 * at(x) + at(x + j)) ** 2; });
    }
    kernelTable.push({ sigma, a, e });
  }
  return kernelTable;
}

/**
 * Standard deviation of the generator's grain texture about each grain's mean, per unit of
 * textureStrength: 0.19–0.24 on its images (grains 30–70 px, texture wavelengths 0.2–0.667 of
 * the grain: the coarser the texture against the grain, the more of it goes into the grain's mean).
 */
const TEXTURE_SD = 0.22;

/** Variance of 8-bit rounding on the 0–1 scale. */
const QUANT = 1 / (12 * 255 * 255);

/**
 * White noise σ and the blur it went through. For noise blurred by the generator's kernel k,
 * Var(F_j ∗ n) = σ² (Σ (d_j ∗ k)²)², plus 36 × the rounding variance. The ratio of two neighbouring
 * filters' variances gives the blur, then σ follows; the finest pair whose noise stands twice above
 * the rounding is used (finer filters see less of the grains' texture), and only then is it reliable.
 */
function noiseOwn(parts: NoiseSums[]) {
  const responses = TAPS.map((_, t) => concat(parts.map((p) => p.responses[t])));
  if (responses[0].length < 200) return null;
  // Taps with too few clear pixels (small grains) are left out: NaN never qualifies below.
  const v = responses.map((r) => (r.length >= 200 ? Math.max(0, robustSd(r) ** 2 - 36 * QUANT) : NaN));
  const table = blurTable();
  let pair = v.findIndex((x, t) => t < v.length - 1 && x >= 2 * 36 * QUANT && v[t + 1] >= 2 * 36 * QUANT);
  const reliable = pair >= 0;
  let own = table[0], sigma = 0;
  if (pair < 0) { // weak noise: the coarsest pair measured
    for (let t = v.length - 2; t >= 0 && pair < 0; t--) if (Number.isFinite(v[t]) && Number.isFinite(v[t + 1])) pair = t;
  }
  if (pair < 0) return null;
  if (v[pair] > 0) {
    const ratio = Math.log(Math.max(v[pair + 1], 1e-12) / v[pair]);
    let bestErr = Infinity;
    for (const row of table) {
      const err = Math.abs(2 * Math.log(row.e[pair + 1] / row.e[pair]) - ratio);
      if (err < bestErr) { bestErr = err; own = row; }
    }
    sigma = Math.sqrt(v[pair]) / own.e[pair];
  }
  // Taps 3 and 4 come in only for weak or much blurred noise, and see slow texture as well.
  return { sigma, blur: own.sigma, observed: sigma * own.a, reliable, taps: [TAPS[pair], TAPS[pair + 1]], coarse: TAPS[pair] >= 3 };
}

/**
 * The generator's noise σ. Where the lines' blur and the noise's own agree (as in the generator's
 * images), σ as measured; where they differ (camera noise added after the optics' blur), the σ
 * that through the lines' blur gives the same image noise.
 */
function whiteNoise(noise: NonNullable<ReturnType<typeof noiseOwn>>, blur?: number): { sigma: number; blur: number } {
  if (blur === undefined || Math.abs(blur - noise.blur) <= Math.max(0.25, 0.25 * blur)) return { sigma: noise.sigma, blur: noise.blur };
  const table = blurTable();
  const row = table[Math.min(table.length - 1, Math.max(0, Math.round(blur / 0.05)))];
  return { sigma: noise.observed / row.a, blur };
}

/**
 * Standard deviation robust to a few outliers (pits, scratches, missed boundaries) and to values
 * on a coarse grid (8-bit levels, where the median absolute deviation jumps): the rms about the
 * median of the values within 5 rough spreads of it, the rough spread from the mean absolute deviation.
 */
function robustSd(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const med = sorted[sorted.length >> 1];
  let mad = 0;
  for (let k = 0; k < sorted.length; k++) mad += Math.abs(sorted[k] - med);
  const rough = 1.2533 * (mad / sorted.length);
  let ss = 0, n = 0;
  for (let k = 0; k < sorted.length; k++) {
    const d = sorted[k] - med;
    if (Math.abs(d) <= 5 * rough) { ss += d * d; n++; }
  }
  return n ? Math.sqrt(ss / n) : 0;
}

// ---------------------------------------------------------------------------------------------
// Small image tools (any width × height)

/**
 * Max over a (2r + 1)² square, the image padded with its edge values (the same as a window cut
 * short there); van Herk / Gil–Werman along rows, then down columns a whole row at a time:
 * 3 comparisons a pixel and direction, whatever the window.
 */
function maxFilter(src: Float64Array, W: number, H: number, r: number): Float64Array {
  const k = 2 * r + 1;
  // Rows.
  const rows = new Float64Array(src.length);
  const m = W + 2 * r;
  const pad = new Float64Array(m), g = new Float64Array(m), h = new Float64Array(m);
  for (let y = 0; y < H; y++) {
    const o = y * W;
    for (let i = 0; i < m; i++) pad[i] = src[o + Math.min(W - 1, Math.max(0, i - r))];
    for (let start = 0; start < m; start += k) {
      const end = Math.min(m, start + k);
      g[start] = pad[start];
      for (let i = start + 1; i < end; i++) g[i] = pad[i] > g[i - 1] ? pad[i] : g[i - 1];
      h[end - 1] = pad[end - 1];
      for (let i = end - 2; i >= start; i--) h[i] = pad[i] > h[i + 1] ? pad[i] : h[i + 1];
    }
    for (let x = 0; x < W; x++) rows[o + x] = h[x] > g[x + k - 1] ? h[x] : g[x + k - 1];
  }
  // Columns, whole rows at once: padded row p is image row clamp(p − r).
  const n = H + 2 * r;
  const G = new Float64Array(n * W), Hh = new Float64Array(n * W);
  const row = (p: number) => Math.min(H - 1, Math.max(0, p - r)) * W;
  for (let start = 0; start < n; start += k) {
    const end = Math.min(n, start + k);
    G.set(rows.subarray(row(start), row(start) + W), start * W);
    for (let p = start + 1; p < end; p++) {
      const a = row(p), o = p * W, q = o - W;
      for (let x = 0; x < W; x++) { const v = rows[a + x], u = G[q + x]; G[o + x] = v > u ? v : u; }
    }
    Hh.set(rows.subarray(row(end - 1), row(end - 1) + W), (end - 1) * W);
    for (let p = end - 2; p >= start; p--) {
      const a = row(p), o = p * W, q = o + W;
      for (let x = 0; x < W; x++) { const v = rows[a + x], u = Hh[q + x]; Hh[o + x] = v > u ? v : u; }
    }
  }
  const out = new Float64Array(src.length);
  for (let y = 0; y < H; y++) {
    const o = y * W, b = (y + k - 1) * W;
    for (let x = 0; x < W; x++) { const v = Hh[o + x], u = G[b + x]; out[o + x] = v > u ? v : u; }
  }
  return out;
}

/** Min over a (2r + 1)² square: the max of the negated image, negated. */
function minFilter(src: Float64Array, W: number, H: number, r: number): Float64Array {
  const neg = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) neg[i] = -src[i];
  const out = maxFilter(neg, W, H, r);
  for (let i = 0; i < out.length; i++) out[i] = -out[i];
  return out;
}

/** Pixels within a (2r + 1)² square of a set pixel. */
function maxFilterBinary(mask: Uint8Array, W: number, H: number, r: number): Uint8Array {
  const tmp = new Uint8Array(mask.length), out = new Uint8Array(mask.length);
  for (let y = 0; y < H; y++) {
    const o = y * W;
    let last = -Infinity;
    for (let x = 0; x < W; x++) if (mask[o + x]) { const a = Math.max(last + 1, x - r); for (let k = Math.max(0, a); k <= Math.min(W - 1, x + r); k++) tmp[o + k] = 1; last = Math.min(W - 1, x + r); }
  }
  for (let x = 0; x < W; x++) {
    let last = -Infinity;
    for (let y = 0; y < H; y++) if (tmp[y * W + x]) { const a = Math.max(last + 1, y - r); for (let k = Math.max(0, a); k <= Math.min(H - 1, y + r); k++) out[k * W + x] = 1; last = Math.min(H - 1, y + r); }
  }
  return out;
}

/** Binomial [1 4 6 4 1] / 16 along rows and columns (≈ Gaussian of sd 1), edges clamped. */
function binomialSmooth(src: Float64Array, W: number, H: number): Float64Array {
  const tmp = new Float64Array(src.length), out = new Float64Array(src.length);
  const cx = (x: number) => (x < 0 ? 0 : x >= W ? W - 1 : x), cy = (y: number) => (y < 0 ? 0 : y >= H ? H - 1 : y);
  for (let y = 0; y < H; y++) {
    const o = y * W;
    for (let x = 0; x < W; x++) {
      if (x >= 2 && x < W - 2) {
        const i = o + x;
        tmp[i] = (src[i - 2] + 4 * src[i - 1] + 6 * src[i] + 4 * src[i + 1] + src[i + 2]) * 0.0625;
      } else {
        tmp[o + x] = (src[o + cx(x - 2)] + 4 * src[o + cx(x - 1)] + 6 * src[o + x] + 4 * src[o + cx(x + 1)] + src[o + cx(x + 2)]) * 0.0625;
      }
    }
  }
  for (let y = 0; y < H; y++) {
    const a = cy(y - 2) * W, b = cy(y - 1) * W, c = y * W, d = cy(y + 1) * W, e = cy(y + 2) * W;
    for (let x = 0; x < W; x++) out[c + x] = (tmp[a + x] + 4 * tmp[b + x] + 6 * tmp[c + x] + 4 * tmp[d + x] + tmp[e + x]) * 0.0625;
  }
  return out;
}

/** Every n-th value, n chosen to keep at most `most` of them. */
function strided(values: Float64Array, most: number): Float64Array {
  const step = Math.max(1, Math.floor(values.length / most));
  const out = new Float64Array(Math.ceil(values.length / step));
  for (let i = 0, k = 0; i < values.length; i += step, k++) out[k] = values[i];
  return out;
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1), lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

function median(values: number[]): number {
  return values.length ? quantile(values, 0.5) : NaN;
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(3)));
}

function fmtList(values: number[]): string {
  return values.map(fmt).join(', ');
}
