/** Rasterising polygons and polylines onto square pixel grids (pixel centres at x + 0.5). */

export const UNFILLED = 0xffff;

/**
 * Paints polygon k with value k (even–odd rule, pixel centres, half-open spans), so polygons that
 * tile the plane give every pixel exactly one owner. Pixels no polygon reached (slivers where two
 * curved edges cross) take the owner of their nearest filled neighbour along the row.
 */
export function fillPolygons(polygons: readonly Float64Array[], size: number): Uint16Array {
  const ids = new Uint16Array(size * size).fill(UNFILLED);
  let keys = new Float64Array(1024), sorted = new Float64Array(1024);
  const perRow = new Int32Array(size + 1);
  // A loop, not forEach: in a callback `keys` and `sorted`, reassigned as they grow, live in its
  // closure's context and every access loads them from there (the fill 1.15× faster at 512²).
  for (let id = 0; id < polygons.length; id++) {
    const poly = polygons[id];
    const m = poly.length / 2;
    if (m < 3) continue;
    // Every edge crossing of a row centre, keyed row-major so one numeric sort orders them.
    let count = 0, top = size, bottom = 0;
    let px = poly[2 * m - 2], py = poly[2 * m - 1];
    for (let k = 0; k < m; k++) {
      const qx = poly[2 * k], qy = poly[2 * k + 1];
      const first = Math.max(0, Math.ceil(Math.min(py, qy) - 0.5));
      const last = Math.min(size, Math.ceil(Math.max(py, qy) - 0.5)); // rows whose centre lies in [min, max)
      if (first < last) {
        top = Math.min(top, first);
        bottom = Math.max(bottom, last);
      }
      for (let y = first; y < last; y++) {
        const x = px + ((y + 0.5 - py) * (qx - px)) / (qy - py);
        if (count === keys.length) keys = growFloat64(keys);
        keys[count++] = y * CROSSING_ROW + Math.min(CROSSING_ROW - 1, Math.max(0, x + CROSSING_PAD));
      }
      px = qx;
      py = qy;
    }
    if (sorted.length < keys.length) sorted = new Float64Array(keys.length);
    sortKeys(keys, sorted, count, perRow, top, bottom);
    for (let c = 0; c + 1 < count; c += 2) {
      const y = Math.floor(sorted[c] / CROSSING_ROW);
      const x0 = sorted[c] - y * CROSSING_ROW - CROSSING_PAD;
      const x1 = sorted[c + 1] - y * CROSSING_ROW - CROSSING_PAD;
      const from = Math.max(0, Math.ceil(x0 - 0.5));
      const to = Math.min(size, Math.ceil(x1 - 0.5));
      if (to > from) ids.fill(id, y * size + from, y * size + to);
    }
  }
  fillGaps(ids, size);
  return ids;
}

/**
 * Sorts crossing keys (rows top…bottom − 1) into `sorted` in ascending order, as TypedArray sort
 * would: grouped by row with a counting sort, then each row's few crossings (usually two) by
 * insertion. The typed-array sort was about a third of the polygon fill's time in a profile.
 */
function sortKeys(keys: Float64Array, sorted: Float64Array, count: number, perRow: Int32Array, top: number, bottom: number) {
  perRow.fill(0, top, bottom + 1);
  for (let k = 0; k < count; k++) perRow[Math.floor(keys[k] / CROSSING_ROW) + 1]++;
  for (let y = top + 1; y <= bottom; y++) perRow[y] += perRow[y - 1]; // perRow[y]: where row y starts
  for (let k = 0; k < count; k++) sorted[perRow[Math.floor(keys[k] / CROSSING_ROW)]++] = keys[k];
  // perRow[y] is now where row y ends; the rows are in order, their crossings not yet.
  for (let y = top, from = 0; y < bottom; y++) {
    const to = perRow[y];
    for (let i = from + 1; i < to; i++) {
      const key = sorted[i];
      let j = i - 1;
      while (j >= from && sorted[j] > key) {
        sorted[j + 1] = sorted[j];
        j--;
      }
      sorted[j + 1] = key;
    }
    from = to;
  }
}

/** Crossing keys are row × CROSSING_ROW + x + CROSSING_PAD: room for x from −2048 to 6143. */
const CROSSING_ROW = 8192;
const CROSSING_PAD = 2048;

function growFloat64(a: Float64Array): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

function fillGaps(ids: Uint16Array, size: number) {
  if (ids.indexOf(UNFILLED) < 0) return; // the usual case; indexOf is native and fast
  for (let pass = 0; pass < 4; pass++) {
    let missing = 0;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== UNFILLED) continue;
      const x = i % size;
      if (x > 0 && ids[i - 1] !== UNFILLED) ids[i] = ids[i - 1];
      else if (i >= size && ids[i - size] !== UNFILLED) ids[i] = ids[i - size];
      else missing++;
    }
    for (let i = ids.length - 1; i >= 0; i--) {
      if (ids[i] !== UNFILLED) continue;
      const x = i % size;
      if (x < size - 1 && ids[i + 1] !== UNFILLED) ids[i] = ids[i + 1];
      else if (i + size < ids.length && ids[i + size] !== UNFILLED) ids[i] = ids[i + size];
    }
    if (missing === 0) break;
  }
}

/** How far (px) the capsule's row intervals are widened, so rounding never leaves out a pixel. */
const CAPSULE_MARGIN = 1e-3;

/**
 * Distance from each pixel centre to the nearest polyline, exact within `reach` px and Infinity
 * beyond. Only the band around each segment is visited, so the cost follows the boundary length.
 * `nearest`, when given, receives the index of the nearest line at each pixel within reach.
 */
export function distanceToPolylines(lines: readonly Float64Array[], size: number, reach: number, nearest?: Int32Array): Float32Array {
  const dist2 = squaredDistanceToPolylines(lines, size, reach, new Float32Array(size * size), nearest);
  const limit = reach * reach;
  for (let i = 0; i < dist2.length; i++) dist2[i] = dist2[i] <= limit ? Math.sqrt(dist2[i]) : Infinity;
  return dist2;
}

/**
 * The squared distances behind `distanceToPolylines`, written into `out` (any contents; it is
 * reset): exact wherever they are ≤ reach², and either Infinity or some value above reach²
 * elsewhere, so a caller compares with reach² first and takes the square root only there. The
 * render loop does that per boundary pixel, which saves a square-root pass over the whole image
 * (a third of this function's time in a 512² profile). Math.fround(Math.sqrt(d2)) equals what
 * `distanceToPolylines` stores, bit for bit. `rows`, when given (2 × size), receives per row y the
 * first and last x visited at 2y and 2y + 1 (size and −1 on rows none was), outside which every
 * value is Infinity: a caller can read only there.
 */
export function squaredDistanceToPolylines(lines: readonly Float64Array[], size: number, reach: number, out: Float32Array,
  nearest?: Int32Array, rows?: Int32Array): Float32Array {
  const dist2 = out.fill(Infinity);
  if (rows) for (let y = 0; y < size; y++) {
    rows[2 * y] = size;
    rows[2 * y + 1] = -1;
  }
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l];
    const m = line.length / 2;
    for (let k = 0; k + 1 < m; k++) {
      const ax = line[2 * k], ay = line[2 * k + 1];
      const bx = line[2 * k + 2], by = line[2 * k + 3];
      const dx = bx - ax, dy = by - ay;
      const len2 = dx * dx + dy * dy;
      const inv = len2 > 0 ? 1 / len2 : 0;
      const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - reach));
      const x1 = Math.min(size - 1, Math.ceil(Math.max(ax, bx) + reach));
      const y0 = Math.max(0, Math.floor(Math.min(ay, by) - reach));
      const y1 = Math.min(size - 1, Math.ceil(Math.max(ay, by) + reach));
      // Per row, only pixels whose centre lies in the segment's capsule (the points within `reach`
      // of it) can be within reach: on a row's centre line that is an x-interval, the union of
      // the chords of the discs around a and b and of the band between them. Visiting only it,
      // widened by a hair against rounding, leaves every value within reach as it was and skips
      // the bounding box's corners and, for slanted segments, its sides (the slanted strip this
      // replaces took 1.2× the CPU time on 512² grain boundaries).
      const reach2 = reach * reach, perp = reach * Math.sqrt(len2);
      const invDx = dx !== 0 ? 1 / dx : 0, invDy = dy !== 0 ? 1 / dy : 0;
      for (let y = y0; y <= y1; y++) {
        const py = y + 0.5 - ay;
        const row = y * size;
        let lo = Infinity, hi = -Infinity;
        const ha = reach2 - py * py;
        if (ha >= 0) {
          const h = Math.sqrt(ha);
          lo = -h;
          hi = h;
        }
        const qy = py - dy, hb = reach2 - qy * qy;
        if (hb >= 0) {
          const h = Math.sqrt(hb);
          if (dx - h < lo) lo = dx - h;
          if (dx + h > hi) hi = dx + h;
        }
        if (len2 > 0) {
          // The band: projection px·dx + py·dy in [0, len2], and |px·dy − py·dx| ≤ reach · length.
          let bandLo = -Infinity, bandHi = Infinity;
          if (dx !== 0) {
            const u = -py * dy * invDx, v = (len2 - py * dy) * invDx;
            bandLo = Math.min(u, v);
            bandHi = Math.max(u, v);
          } else if (py * dy < 0 || py * dy > len2) {
            bandHi = -Infinity;
          }
          if (dy !== 0) {
            const u = (py * dx - perp) * invDy, v = (py * dx + perp) * invDy;
            bandLo = Math.max(bandLo, Math.min(u, v));
            bandHi = Math.min(bandHi, Math.max(u, v));
          } else if (Math.abs(py) > reach) {
            bandHi = -Infinity;
          }
          if (bandLo <= bandHi) {
            if (bandLo < lo) lo = bandLo;
            if (bandHi > hi) hi = bandHi;
          }
        }
        if (!(lo <= hi)) continue;
        // Pixel x's centre is at px = x + 0.5 − ax.
        const from = Math.max(x0, Math.ceil(lo + ax - 0.5 - CAPSULE_MARGIN));
        const to = Math.min(x1, Math.floor(hi + ax - 0.5 + CAPSULE_MARGIN));
        if (rows && from <= to) {
          if (from < rows[2 * y]) rows[2 * y] = from;
          if (to > rows[2 * y + 1]) rows[2 * y + 1] = to;
        }
        for (let x = from; x <= to; x++) {
          const px = x + 0.5 - ax;
          let t = (px * dx + py * dy) * inv;
          t = t < 0 ? 0 : t > 1 ? 1 : t;
          const ex = px - t * dx, ey = py - t * dy;
          const d2 = ex * ex + ey * ey;
          if (d2 < dist2[row + x]) {
            dist2[row + x] = d2;
            if (nearest) nearest[row + x] = l;
          }
        }
      }
    }
  }
  return dist2;
}
