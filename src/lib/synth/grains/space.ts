/** The grain-micrograph parameter space and its presets. */
import type { ParamSpec, Settings } from '../../params/space';

export const GRAIN_PARAMS: readonly ParamSpec[] = [
  { name: 'grainDiameter', label: 'Mean grain diameter', unit: 'px', distribution: 'loguniform', min: 6, max: 400, step: 1,
    help: 'Equivalent-circle diameter of an average grain; the grain count follows from it and the image size.' },
  { name: 'lloydIterations', label: 'Lloyd iterations', unit: '', distribution: 'int', min: 0, max: 10, step: 1,
    help: '0 gives a plain Poisson–Voronoi structure; each iteration moves seeds to cell centroids, making grains more equal.' },
  { name: 'splinePoints', label: 'Spline control points', unit: '', distribution: 'int', min: 0, max: 6, step: 1,
    help: 'Interior control points per boundary; each boundary is a cubic spline through them (0 = straight).' },
  { name: 'boundaryWaviness', label: 'Boundary waviness', unit: '× edge length', distribution: 'uniform', min: 0, max: 0.3, step: 0.01,
    help: 'How far control points are displaced sideways, as a fraction of the boundary length.' },
  { name: 'meanIntensity', label: 'Mean grain intensity', unit: '', distribution: 'uniform', min: 0, max: 1, step: 0.01,
    help: 'Average grey level of grains (0 black, 1 white).' },
  { name: 'grainContrast', label: 'Grain contrast', unit: '', distribution: 'uniform', min: 0, max: 1, step: 0.01,
    help: 'Spread of grain base intensities around the mean (full width).' },
  { name: 'minNeighbourContrast', label: 'Minimum neighbour contrast', unit: '', distribution: 'uniform', min: 0, max: 0.5, step: 0.01,
    help: 'Neighbouring grains differ in intensity by at least this much where the spread allows it.' },
  { name: 'textureStrength', label: 'Texture strength', unit: '', distribution: 'uniform', min: 0, max: 0.5, step: 0.01,
    help: 'Amplitude of the per-grain gradient-noise texture.' },
  { name: 'textureWavelength', label: 'Texture wavelength', unit: '× grain diameter', distribution: 'uniform', min: 0.2, max: 0.667, step: 0.01,
    help: 'Wavelength of the per-grain texture relative to the grain diameter (the paper used 1/5 to 2/3).' },
  { name: 'lineDarkness', label: 'Boundary line darkness', unit: '', distribution: 'uniform', min: 0, max: 1, step: 0.01,
    help: 'How much a boundary line darkens the image (0 = no drawn line, 1 = black).' },
  { name: 'lineWidth', label: 'Boundary line width', unit: 'px', distribution: 'uniform', min: 0, max: 8, step: 0.1,
    help: 'Width of the drawn boundary line.' },
  { name: 'maskWidth', label: 'Label boundary width', unit: 'px', distribution: 'uniform', min: 1, max: 9, step: 0.1,
    help: 'Width of the boundary in the label mask, independent of the drawn line.' },
  { name: 'illumination', label: 'Illumination gradient', unit: '', distribution: 'uniform', min: 0, max: 0.6, step: 0.01,
    help: 'Strength of a slow brightness ramp across the image, in a random direction.' },
  { name: 'noiseSigma', label: 'White noise', unit: '', distribution: 'uniform', min: 0, max: 0.3, step: 0.005,
    help: 'Standard deviation of per-pixel Gaussian noise (image range 0 to 1).' },
  { name: 'blurSigma', label: 'Blur sigma', unit: 'px', distribution: 'uniform', min: 0, max: 4, step: 0.05,
    help: 'Standard deviation of the Gaussian blur applied last.' },
  // Distractors: things real micrographs show that are not boundaries. Recipes made before they
  // existed leave them out and get them off (`off`), with unchanged bytes.
  { name: 'faintBoundaries', label: 'Faint boundary share', unit: '', distribution: 'uniform', min: 0, max: 0.8, step: 0.01, off: 0,
    help: 'Share of boundaries etched faintly or not at all (drawn at 0–30 % of the line darkness); the label keeps them.' },
  { name: 'pitDensity', label: 'Pits and inclusions', unit: 'per 100² px', distribution: 'uniform', min: 0, max: 10, step: 0.1, off: 0,
    help: 'Dark dots (pits, inclusions, dust) scattered over grains and boundaries; not labelled as boundary.' },
  { name: 'pitSize', label: 'Pit diameter', unit: 'px', distribution: 'uniform', min: 1, max: 12, step: 0.1, off: 3,
    help: 'Typical pit diameter; each pit varies from half to 1.5 times this.' },
  { name: 'scratches', label: 'Polishing scratches', unit: 'per image', distribution: 'uniform', min: 0, max: 12, step: 0.1, off: 0,
    help: 'Straight or slightly curved thin lines across grains, darker or lighter; not boundaries. Fractional values give a scratch with that probability.' },
  { name: 'scratchContrast', label: 'Scratch contrast', unit: '', distribution: 'uniform', min: 0, max: 0.6, step: 0.01, off: 0.25,
    help: 'How much a scratch darkens (or, for one in three, lightens) the image.' },
  { name: 'stains', label: 'Stains and uneven etching', unit: '', distribution: 'uniform', min: 0, max: 0.5, step: 0.01, off: 0,
    help: 'Strength of slow blotchy brightness changes over a few grains (stains, patchy etching).' },
  // Added later: new parameters go last, so earlier recipes' draws stay where they were.
  { name: 'doubledLines', label: 'Doubled boundary share', unit: '', distribution: 'uniform', min: 0, max: 1, step: 0.01, off: 0,
    help: 'Share of boundaries etched as two thin parallel lines (grooved) instead of one; the label stays on the boundary.' },
  { name: 'twins', label: 'Annealing twins', unit: 'share of grains', distribution: 'uniform', min: 0, max: 0.8, step: 0.01, off: 0,
    help: 'Share of grains crossed by a straight parallel-sided band of another tone (an annealing twin).' },
  { name: 'twinsLabelled', label: 'Twin edges labelled', unit: '0 no / 1 yes', distribution: 'int', min: 0, max: 1, step: 1, off: 0,
    help: 'Whether twin edges count as boundaries in the label. ASTM E112 leaves twin boundaries out of grain counts, hence 0.' },
  { name: 'defocus', label: 'Out-of-focus share', unit: '', distribution: 'uniform', min: 0, max: 0.6, step: 0.01, off: 0,
    help: 'About this share of the image is out of focus (blurred 2–4 px more); the label stays.' },
  { name: 'brightEdges', label: 'Bright boundary edges', unit: '', distribution: 'uniform', min: 0, max: 1, step: 0.01, off: 0,
    help: 'How far boundary lines are lifted towards white, as the edge effect shows them in secondary-electron (SEM) images.' },
  // Colour etching (grains/colour.ts), applied after the grey render; off keeps grey bytes.
  { name: 'colour', label: 'Colour (tint etching)', unit: '0 grey / 1 RGB', distribution: 'int', min: 0, max: 1, step: 1, off: 0,
    help: 'Render RGB: every grain takes a tint of its own, as in colour (tint) etching. A dataset is all grey or all colour, so fix it at 0 or 1.' },
  { name: 'tintSaturation', label: 'Tint saturation', unit: '', distribution: 'uniform', min: 0, max: 1, step: 0.01, off: 0.4,
    help: 'How strongly grains are tinted (0 grey, 1 pure hue); each grain takes 60–100 % of it. Colour only.' },
  { name: 'hueCentre', label: 'Tint hue centre', unit: '°', distribution: 'uniform', min: 0, max: 360, step: 1, off: 40,
    help: 'Hue the grain tints gather around (0 red, 40 amber, 60 yellow, 120 green, 220 blue). Colour only.' },
  { name: 'hueSpread', label: 'Tint hue spread', unit: '× hue circle', distribution: 'uniform', min: 0, max: 1, step: 0.01, off: 0.8,
    help: 'Width of the range grain hues are drawn from, as a share of the colour circle (1 = any hue). Colour only.' },
  { name: 'boundaryHue', label: 'Boundary hue', unit: '°', distribution: 'uniform', min: 0, max: 360, step: 1, off: 25,
    help: 'Hue boundaries are stained (e.g. 25 brown). Colour only.' },
  { name: 'boundaryTint', label: 'Boundary colour strength', unit: '', distribution: 'uniform', min: 0, max: 1, step: 0.01, off: 0,
    help: 'How far boundary bands take the boundary hue instead of their grains\' tints (0 none). Colour only.' },
  { name: 'oppositeHueShare', label: 'Opposite-hue share', unit: 'share of grains', distribution: 'uniform', min: 0, max: 1, step: 0.01, off: 0,
    help: 'Share of grains tinted around the opposite hue (centre + 180°), as thicker interference films show, e.g. blue grains among amber ones. Colour only.' },
];

export interface Preset {
  id: string;
  label: string;
  description: string;
  settings: Settings;
}

const r = (lo: number, hi = lo) => ({ lo, hi });

/**
 * Colour (tint) etching leaves more than tone between grains: patchy film and stains, mottled
 * texture inside grains, pits and scratches, none of them boundaries. On the mlographypp crops,
 * adding these to the tint-etched preset moved grains-quick from mIoU 0.512, pixel error 0.228,
 * boundary F1 0.763 to 0.527, 0.188, 0.771 (one run), with fewer boundaries drawn inside grains.
 */
const COLOUR_ETCH_DISTRACTORS = {
  stains: r(0, 0.3), pitDensity: r(0, 2), pitSize: r(2, 6), scratches: r(0, 2), scratchContrast: r(0.1, 0.4),
};

export const GRAIN_PRESETS: readonly Preset[] = [
  {
    id: 'etched-lines',
    label: 'Etched lines',
    description: 'Bright grains of similar tone separated by dark etched boundary lines (e.g. optical steel).',
    settings: {
      grainDiameter: r(30, 100), lloydIterations: r(1, 3), splinePoints: r(2, 4), boundaryWaviness: r(0.03, 0.12),
      meanIntensity: r(0.78, 0.92), grainContrast: r(0.03, 0.12), minNeighbourContrast: r(0),
      textureStrength: r(0.01, 0.05), textureWavelength: r(0.2, 0.667),
      lineDarkness: r(0.55, 0.9), lineWidth: r(1, 2.5), maskWidth: r(3),
      illumination: r(0, 0.2), noiseSigma: r(0.01, 0.04), blurSigma: r(0.4, 1.2),
      // Real etched micrographs miss boundary segments and carry pits and scratches.
      faintBoundaries: r(0, 0.3), pitDensity: r(0, 2), pitSize: r(2, 6), scratches: r(0, 2), scratchContrast: r(0.1, 0.4), stains: r(0, 0.15),
    },
  },
  {
    id: 'tint-etched',
    label: 'Tint etched',
    description: 'Grains told apart by tone and texture; boundaries faint or absent (e.g. colour-etched steels).',
    settings: {
      grainDiameter: r(30, 100), lloydIterations: r(0, 2), splinePoints: r(2, 4), boundaryWaviness: r(0.03, 0.15),
      meanIntensity: r(0.4, 0.65), grainContrast: r(0.3, 0.6), minNeighbourContrast: r(0.08, 0.12),
      textureStrength: r(0.04, 0.2), textureWavelength: r(0.2, 0.667),
      lineDarkness: r(0, 0.15), lineWidth: r(0.5, 1.5), maskWidth: r(3),
      illumination: r(0, 0.3), noiseSigma: r(0.01, 0.04), blurSigma: r(1, 2.5),
      ...COLOUR_ETCH_DISTRACTORS,
    },
  },
  {
    id: 'sem',
    label: 'SEM (secondary electrons)',
    description: 'Darker grains of slightly different tone (channelling contrast) with bright boundary edges, grainy noise and uneven charging (e.g. etched steel in an SEM).',
    settings: {
      grainDiameter: r(30, 100), lloydIterations: r(1, 3), splinePoints: r(2, 4), boundaryWaviness: r(0.03, 0.12),
      meanIntensity: r(0.3, 0.5), grainContrast: r(0.05, 0.25), minNeighbourContrast: r(0, 0.05),
      textureStrength: r(0.01, 0.06), textureWavelength: r(0.2, 0.667),
      lineDarkness: r(0), lineWidth: r(1, 3), maskWidth: r(3),
      illumination: r(0, 0.3), noiseSigma: r(0.05, 0.15), blurSigma: r(0.5, 1.5),
      faintBoundaries: r(0, 0.3), pitDensity: r(0, 1), pitSize: r(2, 5), stains: r(0, 0.15), brightEdges: r(0.3, 0.8),
    },
  },
  {
    id: 'colour-etched',
    label: 'Colour etched (RGB)',
    description: 'Tint-etched grains in colour: each grain its own tint, most around amber (yellows, browns), some around the opposite blue, faint boundaries (e.g. Klemm- or Beraha-etched steels).',
    settings: {
      grainDiameter: r(30, 100), lloydIterations: r(0, 2), splinePoints: r(2, 4), boundaryWaviness: r(0.03, 0.15),
      meanIntensity: r(0.45, 0.7), grainContrast: r(0.2, 0.5), minNeighbourContrast: r(0.05, 0.1),
      textureStrength: r(0.04, 0.2), textureWavelength: r(0.2, 0.667),
      lineDarkness: r(0, 0.2), lineWidth: r(0.5, 1.5), maskWidth: r(3),
      illumination: r(0, 0.3), noiseSigma: r(0.01, 0.04), blurSigma: r(1, 2.5),
      ...COLOUR_ETCH_DISTRACTORS,
      colour: r(1), tintSaturation: r(0.15, 0.45), hueCentre: r(35, 55), hueSpread: r(0.1, 0.3), boundaryHue: r(15, 35), boundaryTint: r(0, 0.3),
      oppositeHueShare: r(0.1, 0.3),
    },
  },
];

export const DEFAULT_PRESET = GRAIN_PRESETS[0];

export function presetById(id: string): Preset {
  const preset = GRAIN_PRESETS.find((p) => p.id === id);
  if (!preset) throw new Error(`Unknown preset "${id}". Choose one of: ${GRAIN_PRESETS.map((p) => p.id).join(', ')}.`);
  return preset;
}
