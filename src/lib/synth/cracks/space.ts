/** Crack-tile parameters: the texture's as a parameter space, the crack's as distributions. */
import type { ParamSpec, Settings } from '../../params/space';
import type { CrackModel } from './crack';

export const TEXTURE_PARAMS: readonly ParamSpec[] = [
  { name: 'patchSize', label: 'Patch size', unit: 'px', distribution: 'int', min: 12, max: 64, step: 1,
    help: 'Side of the square texture patches cut from the exemplars.' },
  { name: 'overlap', label: 'Patch overlap', unit: 'px', distribution: 'int', min: 2, max: 16, step: 1,
    help: 'Width of the strip where a new patch is matched against, and blended into, what is there.' },
  { name: 'randomness', label: 'Randomness', unit: '', distribution: 'uniform', min: 0, max: 2, step: 0.05,
    help: 'Patches within (1 + randomness) × the best cost are equally likely: higher gives more varied, less seamless texture.' },
  { name: 'candidates', label: 'Patches compared', unit: '', distribution: 'int', min: 4, max: 1024, step: 1,
    help: 'Dictionary patches compared per placement (a random subset): more fits better, costs more.' },
  { name: 'textureGain', label: 'Texture contrast', unit: '×', distribution: 'uniform', min: 0.5, max: 1.5, step: 0.05,
    help: 'Stretches the texture around its mean, so tiles vary more than the exemplars do.' },
  // Hard negatives: lines and marks that are not cracks. Recipes made before them leave them out (`off`).
  { name: 'hardNegatives', label: 'Hard negatives', unit: 'share of no-crack tiles', distribution: 'uniform', min: 0, max: 1, step: 0.05, off: 0,
    help: 'Share of no-crack tiles that carry crack-like marks that are not cracks: straight lines and seams, edges, grout-like line pairs, blobs and stains, printed marks.' },
  { name: 'crackDistractors', label: 'Marks on crack tiles', unit: 'share of crack tiles', distribution: 'uniform', min: 0, max: 1, step: 0.05, off: 0,
    help: 'Share of crack tiles that carry the same marks, so a mark alone never tells the class.' },
  // Recipes made before it draw marks at their first widths (`off`: 1).
  { name: 'markWidth', label: 'Mark width', unit: '×', distribution: 'uniform', min: 1, max: 4, step: 0.1, off: 1,
    help: 'Widens straight lines, grout and tile joints (and the gap of grout pairs) by this factor: joints and package edges in photos are often several times wider than a crack.' },
  // Recipes made before it have none (`off`: 0).
  { name: 'junctions', label: 'Junction marks', unit: 'share of marks', distribution: 'uniform', min: 0, max: 1, step: 0.05, off: 0,
    help: 'Share of the marks that are corners and junctions of straight lines (L and T shapes ending inside the tile, as package, die and tile corners are), so that a line that ends or meets another does not tell a crack.' },
  // Recipes made before it have none (`off`: 0).
  { name: 'randomSurface', label: 'Random surfaces', unit: 'share of tiles', distribution: 'uniform', min: 0, max: 1, step: 0.05, off: 0,
    help: 'Share of tiles (either class) whose surface is partly replaced by a random procedural one (smooth or grainy, fine or coarse), so that a model does not learn the exemplars\' surface instead of the crack.' },
  // Recipes made before it draw their straight marks up to 0.6 (`off`).
  { name: 'markContrast', label: 'Mark contrast', unit: 'strongest', distribution: 'uniform', min: 0.3, max: 0.95, step: 0.05, off: 0.6,
    help: 'The strongest contrast of straight lines, grout, tile joints and junctions (each draws its own up to it): joints and package edges are often as dark as the darkest crack, and a mark never darker than a crack lets darkness tell the class.' },
];

export const DEFAULT_TEXTURE_SETTINGS: Settings = {
  patchSize: { lo: 24, hi: 32 },
  overlap: { lo: 6, hi: 8 },
  randomness: { lo: 0.1, hi: 0.3 },
  candidates: { lo: 48, hi: 48 },
  textureGain: { lo: 0.8, hi: 1.2 },
  hardNegatives: { lo: 0.5, hi: 0.5 },
  crackDistractors: { lo: 0.25, hi: 0.25 },
  // Up to three times the first widths: real joints and edges are often far wider than a crack
  // (measured on cracks-quick, three seeds: test error 0.441 → 0.363, all-tile AUC 0.622 → 0.652).
  markWidth: { lo: 1, hi: 3 },
  // At its first 0.6: 0.85 (marks as dark as the darkest cracks) gave test error 0.411 and all-tile
  // AUC 0.631 against 0.404 and 0.633 on cracks-quick, three seeds.
  markContrast: { lo: 0.6, hi: 0.6 },
  // Off: on cracks-quick, three seeds, a share of 0.3 gave test error 0.374 against 0.404 and
  // all-tile AUC 0.631 against 0.633 at the same code: no clear gain (floor tiles are not where a
  // surface unlike the exemplars shows).
  randomSurface: { lo: 0, hi: 0 },
  // Off: on cracks-quick, three seeds, junctions as 0.3 of the marks gave test error 0.404 and
  // all-tile AUC 0.628, as without them at the same code (0.404, 0.633).
  junctions: { lo: 0, hi: 0 },
};

/**
 * Defaults read off the real crack tiles in shared/realdata (thin dark cracks that meander
 * across a tile): a few segments of 15–40 px, bends of ±25°, 1.5–3.5 px wide, 10–75 % darker
 * (faint to strong: under the real masks the median crack is only 11 % darker than its tile;
 * uniform, so a default crack is never brighter than its tile or invisible); some thin at their tips, some have a lighter chipped halo. Most enter from the tile's
 * edge: a tile is a window of a larger picture (Real data cuts them, Analyse scans them), and
 * 69 of the 100 real 256² crack masks already touch their image's border.
 */
export const DEFAULT_CRACK_MODEL: CrackModel = {
  segments: { family: 'integer', lo: 3, hi: 8 },
  segmentLength: { family: 'lognormal', mu: Math.log(24), sigma: 0.4 },
  bendAngle: { family: 'normal', mean: 0, sd: 25 },
  width: { family: 'lognormal', mu: Math.log(2.2), sigma: 0.3 },
  intensity: { family: 'uniform', lo: -0.75, hi: -0.1 },
  branchProbability: 0.15,
  roughness: 0.6,
  // Variety seen in real crack photos: cracks running in from the edge, thinning tips, chipped halos.
  edgeStart: 0.8,
  taper: 0.5,
  halo: 0.2,
};
