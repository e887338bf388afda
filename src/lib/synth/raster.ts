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
  polygons.forEach((poly, id) => {
    const m = poly.length / 2;
    if (m < 3) return;
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
  });
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
 * `distanceToPolylines` stores, bit for bit.
 */
export function squaredDistanceToPolylines(lines: readonly Float64Array[], size: number, reach: number, out: Float32Array,
  nearest?: Int32Array): Float32Array {
  const dist2 = out.fill(Infinity);
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
      // Only pixels whose centre is within `reach` of the segment's line can be within reach of the
      // segment: per row, that is an x-interval, which saves most of the box for slanted segments.
      const length = Math.sqrt(len2);
      const slant = length > 0 ? Math.abs(dy) / length : 0; // |sin| of the segment's angle
      for (let y = y0; y <= y1; y++) {
        const py = y + 0.5 - ay;
        const row = y * size;
        let from = x0, to = x1;
        if (slant > 0.2) {
          // On this row the line is at x = ax + dx/dy * py; |x - xLine| * slant <= reach.
          const xLine = ax + (dx / dy) * py - 0.5;
          const halfWidth = reach / slant;
          from = Math.max(x0, Math.floor(xLine - halfWidth));
          to = Math.min(x1, Math.ceil(xLine + halfWidth));
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
