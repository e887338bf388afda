/**
 * Grain geometry: seed points, Lloyd relaxation and a Voronoi tessellation (d3-delaunay) whose
 * interior edges are bent into cubic splines. Each edge's spline is built once and shared by its
 * two grains, so the boundary network stays closed and the grains tile the image exactly.
 */
import { Delaunay, type Voronoi } from 'd3-delaunay';
import { hashSeed, Rng } from '../../random';

export interface GeometryParams {
  grainCount: number;
  lloydIterations: number;
  splinePoints: number;
  boundaryWaviness: number;
}

export interface GrainGeometry {
  size: number;
  /** Seed point of each grain, x0, y0, x1, y1, … */
  points: Float64Array;
  /** Each grain's outline as a closed polygon x0, y0, x1, y1, … (curved edges flattened). */
  outlines: Float64Array[];
  /** The interior boundaries (edges between two grains) as polylines; image borders excluded. */
  boundaries: Float64Array[];
  neighbours: number[][];
}

/** Grains needed so that their mean equivalent-circle diameter is `diameter` px. */
export function grainCountFor(size: number, diameter: number): number {
  return Math.max(2, Math.round((size * size) / ((Math.PI / 4) * diameter * diameter)));
}

export function buildGeometry(size: number, p: GeometryParams, rng: Rng): GrainGeometry {
  const n = p.grainCount;
  const points = new Float64Array(2 * n);
  for (let i = 0; i < 2 * n; i++) points[i] = rng.next() * size;
  const delaunay = new Delaunay(points);
  const voronoi = delaunay.voronoi([0, 0, size, size]);
  for (let k = 0; k < p.lloydIterations; k++) {
    moveSeedsToCentroids(voronoi, points, n);
    // voronoi.update() triangulates the moved points itself (d3-delaunay 6 calls delaunay.update()
    // first): a delaunay.update() of our own before it triangulated every iteration twice, the
    // second time to the same result, except where all points are collinear and each triangulation
    // jitters them anew. There the second is kept, so the bytes stay as they were.
    voronoi.update();
    if ((delaunay as { collinear?: Int32Array }).collinear) voronoi.update();
  }
  const edgeSeed = rng.uint32();
  const splines = new Map<number, Float64Array>();
  const outlines: Float64Array[] = [];
  const store = new Float64Store();
  const outline = new Outline(); // each grain's, emptied for the next
  const eps = 1e-6;
  const onBorder = (ax: number, ay: number, bx: number, by: number) =>
    (Math.abs(ax) < eps && Math.abs(bx) < eps) ||
    (Math.abs(ay) < eps && Math.abs(by) < eps) ||
    (Math.abs(ax - size) < eps && Math.abs(bx - size) < eps) ||
    (Math.abs(ay - size) < eps && Math.abs(by - size) < eps);

  // One stream object reseeded per edge: a new Rng per edge was a thousand objects and closures a sample.
  const edgeRng = new Rng(0);
  const cell = new CellPath();
  for (let i = 0; i < n; i++) {
    cell.read(voronoi, i);
    const xy = cell.xy;
    outline.count = 0;
    for (let k = 0; k + 1 < cell.count; k++) {
      const ax = xy[2 * k], ay = xy[2 * k + 1];
      const bx = xy[2 * k + 2], by = xy[2 * k + 3];
      const j = onBorder(ax, ay, bx, by) ? -1 : neighbourAcross(delaunay, points, i, ax, ay, bx, by);
      if (j < 0 || j === i) {
        outline.push(ax, ay);
        continue;
      }
      const key = Math.min(i, j) * n + Math.max(i, j);
      let spline = splines.get(key);
      if (!spline) {
        spline = splineThrough(ax, ay, bx, by, p.splinePoints, p.boundaryWaviness, edgeRng.reseed(hashSeed(edgeSeed, key)), store);
        splines.set(key, spline);
        outline.appendAllButLast(spline, false);
      } else {
        outline.appendAllButLast(spline, true);
      }
    }
    const copy = store.take(outline.count);
    copy.set(outline.xy.subarray(0, outline.count));
    outlines.push(copy);
  }
  const neighbours: number[][] = [];
  for (let i = 0; i < n; i++) neighbours.push([...delaunay.neighbors(i)]);
  return { size, points, outlines, boundaries: [...splines.values()], neighbours };
}

function moveSeedsToCentroids(voronoi: Voronoi<Delaunay.Point>, points: Float64Array, n: number) {
  const cell = new CellPath();
  for (let i = 0; i < n; i++) {
    cell.read(voronoi, i);
    if (cell.count === 0) continue;
    const xy = cell.xy;
    let area = 0, cx = 0, cy = 0;
    for (let k = 0; k + 1 < cell.count; k++) {
      const x0 = xy[2 * k], y0 = xy[2 * k + 1];
      const x1 = xy[2 * k + 2], y1 = xy[2 * k + 3];
      const cross = x0 * y1 - x1 * y0;
      area += cross;
      cx += (x0 + x1) * cross;
      cy += (y0 + y1) * cross;
    }
    if (Math.abs(area) < 1e-12) continue;
    points[2 * i] = cx / (3 * area);
    points[2 * i + 1] = cy / (3 * area);
  }
}

/**
 * A Voronoi cell's polygon as `cellPolygon` gives it (its vertices, then the first again), but
 * flat in one reused array: d3-delaunay's `renderCell` draws the cell into this path, where
 * `cellPolygon` draws it into an array of [x, y] pairs, two small arrays per vertex for the
 * collector (Lloyd iterations read every cell once per iteration).
 */
class CellPath {
  xy = new Float64Array(64);
  /** Vertices, the closing repeat included; 0 where the cell is empty (cellPolygon: null). */
  count = 0;
  read(voronoi: Voronoi<Delaunay.Point>, i: number): void {
    this.count = 0;
    voronoi.renderCell(i, this);
  }
  moveTo(x: number, y: number): void {
    this.lineTo(x, y);
  }
  lineTo(x: number, y: number): void {
    if (2 * this.count + 2 > this.xy.length) {
      const more = new Float64Array(2 * this.xy.length);
      more.set(this.xy);
      this.xy = more;
    }
    this.xy[2 * this.count] = x;
    this.xy[2 * this.count + 1] = y;
    this.count++;
  }
  closePath(): void {
    if (this.count > 0) this.lineTo(this.xy[0], this.xy[1]);
  }
}

/** The grain on the other side of edge a–b of cell i: its seed is i's seed mirrored in the edge. */
function neighbourAcross(delaunay: Delaunay<Delaunay.Point>, points: Float64Array, i: number,
  ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax, dy = by - ay;
  const len2 = dx * dx + dy * dy;
  if (len2 < 1e-18) return -1;
  const px = points[2 * i], py = points[2 * i + 1];
  const t = ((px - ax) * dx + (py - ay) * dy) / len2;
  const fx = ax + t * dx, fy = ay + t * dy;
  return delaunay.find(2 * fx - px, 2 * fy - py, i);
}

/** A grain's outline as it is put together, in one array reused for every grain. */
class Outline {
  xy = new Float64Array(256);
  /** Coordinates in use (two per point). */
  count = 0;
  push(x: number, y: number): void {
    if (this.count + 2 > this.xy.length) this.grow();
    this.xy[this.count++] = x;
    this.xy[this.count++] = y;
  }
  /** A boundary's points from its start (or, reversed, its end), all but the last. */
  appendAllButLast(line: Float64Array, reversed: boolean): void {
    const m = line.length / 2;
    while (this.count + line.length > this.xy.length) this.grow();
    const xy = this.xy;
    let c = this.count;
    if (!reversed) {
      for (let k = 0; k < m - 1; k++, c += 2) {
        xy[c] = line[2 * k];
        xy[c + 1] = line[2 * k + 1];
      }
    } else {
      for (let k = m - 1; k > 0; k--, c += 2) {
        xy[c] = line[2 * k];
        xy[c + 1] = line[2 * k + 1];
      }
    }
    this.count = c;
  }
  private grow(): void {
    const more = new Float64Array(2 * this.xy.length);
    more.set(this.xy);
    this.xy = more;
  }
}

/**
 * Uniform Catmull–Rom spline (a cubic through every control point) from a to b through
 * `count` interior points displaced sideways by up to ±waviness × length. Flattened every ~2.5 px
 * (chords that short stay within a tenth of a pixel of these gentle curves).
 */
export function splineThrough(ax: number, ay: number, bx: number, by: number, count: number,
  waviness: number, rng: Rng, store?: Float64Store): Float64Array {
  const dx = bx - ax, dy = by - ay;
  const length = Math.hypot(dx, dy);
  if (count === 0 || waviness === 0 || length < 3) return Float64Array.of(ax, ay, bx, by);
  const nx = -dy / length, ny = dx / length;
  // Control points with one mirrored point before a and after b (the spline's end tangents), in
  // typed arrays kept between calls (a small typed array costs more to make than to fill), so the
  // loop below reads them without a closure per point.
  const last = count + 1;
  if (splineScratch.cx.length < count + 4) splineScratch = { cx: new Float64Array(count + 4), cy: new Float64Array(count + 4), steps: new Int32Array(count + 4) };
  const { cx, cy, steps } = splineScratch; // point k at k + 1
  cx[1] = ax;
  cy[1] = ay;
  for (let k = 1; k <= count; k++) {
    const t = k / (count + 1);
    const offset = waviness * length * (2 * rng.next() - 1);
    cx[k + 1] = ax + t * dx + offset * nx;
    cy[k + 1] = ay + t * dy + offset * ny;
  }
  cx[last + 1] = bx;
  cy[last + 1] = by;
  cx[0] = 2 * cx[1] - cx[2];
  cy[0] = 2 * cy[1] - cy[2];
  cx[last + 2] = 2 * cx[last + 1] - cx[last];
  cy[last + 2] = 2 * cy[last + 1] - cy[last];
  let total = 1;
  for (let s = 0; s < last; s++) {
    steps[s] = Math.max(1, Math.ceil(Math.hypot(cx[s + 2] - cx[s + 1], cy[s + 2] - cy[s + 1]) / 2.5));
    total += steps[s];
  }
  const out = store ? store.take(2 * total) : new Float64Array(2 * total);
  out[0] = ax;
  out[1] = ay;
  for (let s = 0, j = 2; s < last; s++) {
    for (let q = 1; q <= steps[s]; q++, j += 2) {
      const t = q / steps[s];
      out[j] = catmullRom(cx[s], cx[s + 1], cx[s + 2], cx[s + 3], t);
      out[j + 1] = catmullRom(cy[s], cy[s + 1], cy[s + 2], cy[s + 3], t);
    }
  }
  // Pin the end exactly so both grains meet the junction at the same point.
  out[out.length - 2] = bx;
  out[out.length - 1] = by;
  return out;
}

/**
 * Hands out Float64Arrays as views of a few large buffers: a 512² sample's geometry is about a
 * thousand small arrays (splines, outlines), and each array of its own is a memory block that the
 * allocator and the collector handle one by one (about a tenth of a sample's time in a profile went
 * to the collector). The views are written in full by their takers; the buffers live as long as a
 * view of them does.
 */
export class Float64Store {
  private buffer = new ArrayBuffer(0);
  private used = 0;
  take(length: number): Float64Array {
    if (8 * (this.used + length) > this.buffer.byteLength) {
      this.buffer = new ArrayBuffer(8 * Math.max(STORE_CHUNK, length));
      this.used = 0;
    }
    const view = new Float64Array(this.buffer, 8 * this.used, length);
    this.used += length;
    return view;
  }
}
const STORE_CHUNK = 16_384; // doubles: 128 KiB

let splineScratch = { cx: new Float64Array(16), cy: new Float64Array(16), steps: new Int32Array(16) };

function catmullRom(p0: number, p1: number, p2: number, p3: number, t: number): number {
  const t2 = t * t, t3 = t2 * t;
  return 0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2 + (3 * p1 - p0 - 3 * p2 + p3) * t3);
}
