/**
 * Marks that are not cracks, for hard negatives: what a chip-package photo or a tiled surface shows
 * besides cracks and fools a model that learnt "a dark line is a crack". Each is drawn onto the
 * texture (grey 0–255) and never into the label. What tells a crack apart, and these do not have:
 * a crack meanders, bends and changes width; these are straight, regular, blob-like or printed.
 */
import type { Rng } from '../../random';
import { distanceToPolylines } from '../raster';
import { TEXTURE_PARAMS } from './space';

export const MARK_KINDS = ['line', 'edge', 'grout', 'blob', 'print', 'grid', 'junction'] as const;
export type MarkKind = (typeof MARK_KINDS)[number];
/** Kinds drawn uniformly at random: the first six, as recipes made before junctions drew them. */
const UNIFORM_KINDS = 6;
const JUNCTION = MARK_KINDS.indexOf('junction');

/** How straight marks are drawn beyond their kind; each at its `off` value draws as before it existed. */
export interface MarkStyle {
  /** Widens the straight marks (lines, grout, joints, junctions) and the spacing of grout pairs. */
  widthScale: number;
  /** Share of marks that are junctions; at 0 no draw is spent on it. */
  junctions: number;
  /** The strongest contrast of the straight marks (they draw theirs up to it). */
  strongest: number;
}

/** The marks as recipes made before these options drew them: each option's `off` value. */
const off = (name: string) => TEXTURE_PARAMS.find((p) => p.name === name)!.off!;
export const FIRST_MARK_STYLE: MarkStyle = { widthScale: off('markWidth'), junctions: off('junctions'), strongest: off('markContrast') };

/** Draws one to three marks; returns their kinds as indices into MARK_KINDS (for the sample's record). */
export function paintMarks(texture: Float64Array, size: number, rng: Rng, style: MarkStyle = FIRST_MARK_STYLE): number[] {
  const { junctions } = style;
  const count = 1 + Math.floor(rng.next() * 2.2);
  const kinds: number[] = [];
  for (let k = 0; k < count; k++) {
    const kind = junctions > 0 && rng.next() < junctions ? JUNCTION : Math.floor(rng.next() * UNIFORM_KINDS);
    kinds.push(kind);
    DRAW[MARK_KINDS[kind]](texture, size, rng, style);
  }
  return kinds;
}

/** Darkens (contrast > 0) or lightens (< 0) a pixel by a fraction of its value or of its headroom. */
function shade(texture: Float64Array, i: number, contrast: number) {
  const v = texture[i];
  texture[i] = contrast > 0 ? v * (1 - contrast) : v - contrast * (255 - v);
}

/** A signed contrast: dark two times in three. */
function contrastOf(rng: Rng, lo: number, hi: number): number {
  const c = lo + (hi - lo) * rng.next();
  return rng.next() < 2 / 3 ? c : -c;
}

/** A random line through the tile: a point in its middle part and an angle, often near a multiple of 45°. */
function randomLine(size: number, rng: Rng) {
  const cx = size * (0.15 + 0.7 * rng.next()), cy = size * (0.15 + 0.7 * rng.next());
  const angle = rng.next() < 0.5 ? Math.round(rng.next() * 4) * (Math.PI / 4) + (rng.next() - 0.5) * 0.1 : rng.next() * Math.PI;
  return { cx, cy, angle };
}

/** A segment long enough to cross the whole tile, through (cx, cy) at `angle`, moved `offset` sideways. */
function across(size: number, cx: number, cy: number, angle: number, offset = 0): Float64Array {
  const ux = Math.cos(angle), uy = Math.sin(angle), reach = 2 * size;
  const ox = cx - offset * uy, oy = cy + offset * ux;
  return Float64Array.of(ox - reach * ux, oy - reach * uy, ox + reach * ux, oy + reach * uy);
}

/** Anti-aliased straight strokes of one half-width and contrast; only the band around each is visited. */
function stroke(texture: Float64Array, size: number, lines: Float64Array[], half: number, contrast: number) {
  const distance = distanceToPolylines(lines, size, half + 0.5);
  for (let i = 0; i < distance.length; i++) {
    if (distance[i] === Infinity) continue;
    const c = Math.min(1, Math.max(0, half + 0.5 - distance[i]));
    if (c > 0) shade(texture, i, contrast * c);
  }
}

const DRAW: Record<MarkKind, (texture: Float64Array, size: number, rng: Rng, style: MarkStyle) => void> = {
  /** A straight scratch, seam or wire across the whole tile, of constant width. */
  line(texture, size, rng, { widthScale, strongest }) {
    const { cx, cy, angle } = randomLine(size, rng);
    stroke(texture, size, [across(size, cx, cy, angle)], ((1 + 4 * rng.next()) / 2) * widthScale, contrastOf(rng, 0.2, strongest));
  },
  /** An edge: one side of a straight line darker or lighter (a package or tile edge), with an optional rim. */
  edge(texture, size, rng) {
    const { cx, cy, angle } = randomLine(size, rng);
    const nx = -Math.sin(angle), ny = Math.cos(angle);
    const step = contrastOf(rng, 0.1, 0.45);
    const rim = rng.next() < 0.5 ? contrastOf(rng, 0.2, 0.5) : 0;
    const soft = 0.5 + 2 * rng.next();
    for (let y = 0, i = 0; y < size; y++) {
      for (let x = 0; x < size; x++, i++) shade(texture, i, step / (1 + Math.exp(-((x + 0.5 - cx) * nx + (y + 0.5 - cy) * ny) / soft)));
    }
    if (rim) stroke(texture, size, [across(size, cx, cy, angle)], 1, rim);
  },
  /** Grout or a trench: two parallel straight lines, or a pair crossing at right angles. */
  grout(texture, size, rng, { widthScale, strongest }) {
    const { cx, cy, angle } = randomLine(size, rng);
    const second = rng.next() < 0.5 ? across(size, cx, cy, angle + Math.PI / 2) : across(size, cx, cy, angle, (4 + 10 * rng.next()) * widthScale);
    stroke(texture, size, [across(size, cx, cy, angle), second], ((1 + 2 * rng.next()) / 2) * widthScale, contrastOf(rng, 0.25, strongest));
  },
  /** A stain, void or particle: a soft-edged ellipse. */
  blob(texture, size, rng) {
    const cx = size * rng.next(), cy = size * rng.next();
    const rx = 3 + 20 * rng.next(), ry = rx * (0.3 + 0.7 * rng.next());
    const a = rng.next() * Math.PI, ca = Math.cos(a), sa = Math.sin(a);
    const soft = 0.5 + 3 * rng.next();
    const contrast = contrastOf(rng, 0.15, 0.6);
    const reach = rx + 3 * soft;
    for (let y = Math.max(0, Math.floor(cy - reach)); y < Math.min(size, Math.ceil(cy + reach)); y++) {
      for (let x = Math.max(0, Math.floor(cx - reach)); x < Math.min(size, Math.ceil(cx + reach)); x++) {
        const u = ((x + 0.5 - cx) * ca + (y + 0.5 - cy) * sa) / rx, v = (-(x + 0.5 - cx) * sa + (y + 0.5 - cy) * ca) / ry;
        const r = Math.sqrt(u * u + v * v);
        const c = 1 / (1 + Math.exp(((r - 1) * rx) / soft));
        if (c > 0.01) shade(texture, y * size + x, contrast * c);
      }
    }
  },
  /** Tile joints: two families of parallel lines, slightly converging as in a photo taken at an angle. */
  grid(texture, size, rng, { widthScale, strongest }) {
    const spacing = 20 + 60 * rng.next();
    const half = ((0.8 + 2.2 * rng.next()) / 2) * widthScale;
    const contrast = contrastOf(rng, 0.2, strongest);
    const first = rng.next() * Math.PI;
    const lines: Float64Array[] = [];
    const count = Math.ceil((size * Math.SQRT2) / 2 / spacing);
    for (const angle of [first, first + Math.PI / 2 + (rng.next() - 0.5) * 0.6]) {
      const phase = rng.next() * spacing;
      const converge = (rng.next() - 0.5) * 0.04; // radians per line
      for (let k = -count; k <= count; k++) lines.push(across(size, size / 2, size / 2, angle + k * converge, k * spacing + phase));
    }
    stroke(texture, size, lines, half, contrast);
  },
  /**
   * Corners and junctions of straight structures, ending inside the tile as package, die and tile
   * corners do: two arms from one point (an L, at 90° ± 20° as seen in perspective), or a line with
   * a third arm ending on it (a T), each arm running out of the tile. A crack is not told by a line
   * that ends or meets another.
   */
  junction(texture, size, rng, { widthScale, strongest }) {
    const { cx, cy, angle } = randomLine(size, rng);
    const turn = Math.PI / 2 + (rng.next() - 0.5) * 0.7;
    const arm = (a: number) => Float64Array.of(cx, cy, cx + 2 * size * Math.cos(a), cy + 2 * size * Math.sin(a));
    const arms = rng.next() < 0.5 ? [arm(angle), arm(angle + turn)] : [across(size, cx, cy, angle), arm(angle + turn)];
    stroke(texture, size, arms, ((0.8 + 2.2 * rng.next()) / 2) * widthScale, contrastOf(rng, 0.2, strongest));
  },
  /** Printed marks or text: a row of small glyphs made of axis-aligned strokes. */
  print(texture, size, rng) {
    const glyph = 4 + Math.floor(8 * rng.next());
    const stroke = Math.max(1, Math.round(glyph / 5));
    const glyphs = 2 + Math.floor(5 * rng.next());
    const x0 = Math.floor(rng.next() * size * 0.7), y0 = Math.floor(rng.next() * (size - glyph));
    const contrast = contrastOf(rng, 0.3, 0.7);
    const fill = (ax: number, ay: number, w: number, h: number) => {
      for (let y = Math.max(0, ay); y < Math.min(size, ay + h); y++) {
        for (let x = Math.max(0, ax); x < Math.min(size, ax + w); x++) shade(texture, y * size + x, contrast);
      }
    };
    for (let g = 0; g < glyphs; g++) {
      const gx = x0 + g * Math.round(glyph * 0.8);
      // Each glyph: a few of its box's sides and middle bars, as in seven-segment type.
      const bars = [
        () => fill(gx, y0, glyph * 0.6, stroke), () => fill(gx, y0 + glyph - stroke, glyph * 0.6, stroke),
        () => fill(gx, y0 + Math.floor(glyph / 2), glyph * 0.6, stroke), () => fill(gx, y0, stroke, glyph),
        () => fill(gx + Math.floor(glyph * 0.6) - stroke, y0, stroke, glyph),
      ];
      for (const bar of bars) if (rng.next() < 0.6) bar();
    }
  },
};
