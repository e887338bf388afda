/**
 * A predicted boundary mask (1 = boundary) made into a one-pixel, 8-connected boundary network
 * that closes every grain it should: thinning, removal of specks, closing of short gaps, pruning of
 * short spurs. Pure array code (no DOM), linear in the image size apart from small local searches.
 *
 * Thinning is Zhang–Suen: each sub-iteration deletes in parallel, so the result does not depend on
 * scan order; it deletes only pixels whose neighbourhood shows one 0→1 transition (A(P) = 1), so it
 * keeps the 8-connectivity of the boundary and with it the 4-connected grain regions: thinning alone
 * neither merges nor splits grains, whatever the boundary width. A distance-ordered medial axis
 * would centre lines slightly better but needs an explicit simple-point test to keep the topology.
 * Zhang–Suen's known flaws are handled after it: the staircase pixels it leaves are removed (so
 * "3 or more neighbours" means a junction), and an isolated 2 × 2 block, which it deletes, is a speck.
 */

const index8 = (w: number) => [-w - 1, -w, -w + 1, 1, w + 1, w, w - 1, -1];

/** Zhang–Suen thinning of `mask` (nonzero = foreground) into a new 0/1 array. */
export function zhangSuen(mask: ArrayLike<number>, width: number, height: number): Uint8Array {
  // Work on a copy with a one-pixel frame, so neighbours need no bounds checks. The frame counts as
  // boundary (it is never deleted): a boundary that reaches the image edge stays joined to it, where
  // a background frame would let the thinning eat back its end (and a V meeting at the edge would
  // open there, merging the grains on either side).
  const W = width + 2;
  const p = new Uint8Array(W * (height + 2)).fill(1);
  for (let y = 0; y < height; y++) p.fill(0, (y + 1) * W + 1, (y + 1) * W + 1 + width);
  let candidates: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (mask[y * width + x]) { const i = (y + 1) * W + x + 1; p[i] = 1; candidates.push(i); }
  const remove: number[] = [];
  for (;;) {
    let changed = false;
    for (const step of [0, 1]) {
      remove.length = 0;
      for (const i of candidates) {
        if (!p[i]) continue;
        // P2…P9 clockwise from north.
        const p2 = p[i - W], p3 = p[i - W + 1], p4 = p[i + 1], p5 = p[i + W + 1];
        const p6 = p[i + W], p7 = p[i + W - 1], p8 = p[i - 1], p9 = p[i - W - 1];
        const b = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9;
        if (b < 2 || b > 6) continue;
        const a = (p3 & ~p2 & 1) + (p4 & ~p3 & 1) + (p5 & ~p4 & 1) + (p6 & ~p5 & 1) + (p7 & ~p6 & 1) + (p8 & ~p7 & 1) + (p9 & ~p8 & 1) + (p2 & ~p9 & 1);
        if (a !== 1) continue;
        if (step === 0 ? p2 & p4 & p6 || p4 & p6 & p8 : p2 & p4 & p8 || p2 & p6 & p8) continue;
        remove.push(i);
      }
      for (const i of remove) p[i] = 0;
      if (remove.length) changed = true;
    }
    if (!changed) break;
    candidates = candidates.filter((i) => p[i]);
  }
  const s = new Uint8Array(width * height);
  for (const i of candidates) if (p[i]) s[((i / W) | 0) * width - width + (i % W) - 1] = 1;
  removeStaircases(s, width, height);
  return s;
}

/**
 * Deletes corner pixels of staircases: a pixel with two perpendicular 4-neighbours set (N and E,
 * say) and the three pixels opposite them (S, SW, W) clear; N and E touch diagonally, so the line
 * stays connected and the pixel count of 3 or more marks only real junctions.
 */
function removeStaircases(s: Uint8Array, w: number, h: number): void {
  const at = (x: number, y: number) => (x >= 0 && y >= 0 && x < w && y < h ? s[y * w + x] : 0);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (!s[y * w + x]) continue;
    const n = at(x, y - 1), e = at(x + 1, y), so = at(x, y + 1), we = at(x - 1, y);
    const ne = at(x + 1, y - 1), se = at(x + 1, y + 1), sw = at(x - 1, y + 1), nw = at(x - 1, y - 1);
    if ((n && e && !so && !sw && !we) || (e && so && !we && !nw && !n) || (so && we && !n && !ne && !e) || (we && n && !e && !se && !so)) s[y * w + x] = 0;
  }
}

/** Number of set 8-neighbours of pixel i. */
function neighbours(s: Uint8Array, w: number, h: number, i: number): number {
  const x = i % w, y = (i / w) | 0;
  let n = 0;
  for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
    if ((dx || dy) && x + dx >= 0 && y + dy >= 0 && x + dx < w && y + dy < h && s[i + dy * w + dx]) n++;
  }
  return n;
}

const onEdge = (i: number, w: number, h: number) => {
  const x = i % w, y = (i / w) | 0;
  return x === 0 || y === 0 || x === w - 1 || y === h - 1;
};

/**
 * Pixels reachable from `start` along the skeleton, breadth first, at most `maxSteps` steps and
 * `maxPixels` pixels; with `stopAtJunctions`, pixels with 3 or more neighbours are reported in
 * `junction` but not entered. Returns the pixels in visiting order and their step counts.
 */
function walk(s: Uint8Array, w: number, h: number, start: number, maxSteps: number, maxPixels: number, stopAtJunctions: boolean,
  seen: Int32Array, stamp: number): { pixels: number[]; steps: number[]; junction: boolean; complete: boolean } {
  const pixels = [start], steps = [0];
  seen[start] = stamp;
  let junction = false;
  const off = index8(w);
  for (let k = 0; k < pixels.length; k++) {
    const i = pixels[k], x = i % w;
    if (steps[k] >= maxSteps) return { pixels, steps, junction, complete: false };
    for (let d = 0; d < 8; d++) {
      const j = i + off[d], dx = d === 0 || d === 6 || d === 7 ? -1 : d === 2 || d === 3 || d === 4 ? 1 : 0;
      if (j < 0 || j >= s.length || x + dx < 0 || x + dx >= w || !s[j] || seen[j] === stamp) continue;
      if (stopAtJunctions && neighbours(s, w, h, j) >= 3) { junction = true; continue; }
      seen[j] = stamp;
      pixels.push(j);
      steps.push(steps[k] + 1);
      if (pixels.length > maxPixels) return { pixels, steps, junction, complete: false };
    }
  }
  return { pixels, steps, junction, complete: true };
}

/**
 * Around a removed spur pixel `p`: a remaining neighbour that the spur made a junction (the walk
 * stops before junctions) is now a one-pixel bump on the line, with 3 neighbours in one run. Left,
 * it and the three pixels under it read as junctions on a straight boundary. It goes if its
 * neighbours form a single run around it (removing it joins nothing and parts nothing) and it is
 * not a line end.
 */
function removeStub(s: Uint8Array, w: number, h: number, p: number): void {
  const px = p % w, py = (p / w) | 0;
  for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
    const x = px + dx, y = py + dy, j = y * w + x;
    if ((!dx && !dy) || x <= 0 || y <= 0 || x >= w - 1 || y >= h - 1 || !s[j]) continue;
    const n = neighbours(s, w, h, j);
    if (n >= 2 && n <= 6 && ringRuns(s, w, j) === 1) s[j] = 0;
  }
}

/** Runs of set pixels in the 8-ring around interior pixel i, taken in order around it. */
function ringRuns(s: Uint8Array, w: number, i: number): number {
  const ring = [-w, -w + 1, 1, w + 1, w, w - 1, -1, -w - 1];
  let runs = 0;
  for (let k = 0; k < 8; k++) if (!s[i + ring[k]] && s[i + ring[(k + 1) % 8]]) runs++;
  return runs;
}

/** Sets the pixels of a digital straight line (Bresenham, 8-connected) from i to j. */
function drawLine(s: Uint8Array, w: number, i: number, j: number): void {
  let x0 = i % w, y0 = (i / w) | 0;
  const x1 = j % w, y1 = (j / w) | 0;
  const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  for (;;) {
    s[y0 * w + x0] = 1;
    if (x0 === x1 && y0 === y1) return;
    const e2 = 2 * err;
    if (e2 >= dy) { err += dy; x0 += sx; }
    if (e2 <= dx) { err += dx; y0 += sy; }
  }
}

/**
 * Removes isolated skeleton fragments of at most `maxPixels` pixels (specks of false boundary,
 * with no junction and no contact with the image edge). Works in place.
 */
export function removeFragments(s: Uint8Array, w: number, h: number, maxPixels: number): void {
  const seen = new Int32Array(s.length);
  let stamp = 0;
  for (let i = 0; i < s.length; i++) {
    if (!s[i] || seen[i]) continue;
    const r = walk(s, w, h, i, Infinity, maxPixels, false, seen, ++stamp);
    if (r.complete && !r.pixels.some((p) => onEdge(p, w, h))) for (const p of r.pixels) s[p] = 0;
  }
}

/** Pixels of a digital straight line (Bresenham, 8-connected) from i to j where mask is 0. */
function gapAlong(mask: ArrayLike<number>, w: number, i: number, j: number): number {
  let x0 = i % w, y0 = (i / w) | 0, n = 0;
  const x1 = j % w, y1 = (j / w) | 0;
  const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  for (;;) {
    if (!mask[y0 * w + x0]) n++;
    if (x0 === x1 && y0 === y1) return n;
    const e2 = 2 * err;
    if (e2 >= dy) { err += dy; x0 += sx; }
    if (e2 <= dx) { err += dx; y0 += sy; }
  }
}

/**
 * How far beyond the gap itself an end point looks: the thinned ends lie inside the mask, about half
 * a boundary width or more (the thinning rounds a square-cut end) from the break on each side; 16 px
 * reaches across a break in boundaries up to ~10 px wide (10 px gave −8 % grains on the degraded NIST
 * steel mask, 16 px −4.5 %).
 */
export const GAP_REACH = 16;

/**
 * Closes gaps: every end point (one neighbour, away from the image edge) is joined by a straight
 * line to a skeleton pixel that is not its own branch (not within 2 × the search radius in steps
 * along the skeleton), lies ahead of it (within ±72° of the direction the branch runs out in),
 * within gapLength + GAP_REACH px, and such that the line crosses at most `gapLength` px outside
 * the original `mask`: the break is measured in the predicted boundary, not between thinned ends.
 * The image edge is a target too. Of the candidates, the one with the shortest break (then the
 * nearest, straightest) wins. Works in place.
 */
export function closeGaps(s: Uint8Array, mask: ArrayLike<number>, w: number, h: number, gapLength: number): void {
  if (gapLength <= 0) return;
  const seen = new Int32Array(s.length);
  let stamp = 0;
  const ends: number[] = [];
  for (let i = 0; i < s.length; i++) if (s[i] && !onEdge(i, w, h) && neighbours(s, w, h, i) === 1) ends.push(i);
  const reach = gapLength + GAP_REACH, g = Math.ceil(reach), minCos = 0.3;
  for (const e of ends) {
    if (neighbours(s, w, h, e) !== 1) continue; // joined by an earlier end point
    const own = walk(s, w, h, e, 2 * g, Infinity, false, seen, ++stamp);
    // Direction the branch runs out in: from the pixel ~5 steps back to the end point.
    const ex = e % w, ey = (e / w) | 0;
    let back = -1;
    for (let k = 0; k < own.pixels.length && own.steps[k] <= 5; k++) back = own.pixels[k];
    let ux = ex - (back % w), uy = ey - ((back / w) | 0);
    const norm = Math.hypot(ux, uy);
    if (norm < 2) { ux = 0; uy = 0; } else { ux /= norm; uy /= norm; }
    let best = -1, bestScore = Infinity;
    const consider = (j: number, dx: number, dy: number) => {
      const d = Math.hypot(dx, dy);
      if (d === 0 || d > reach) return;
      const cos = ux || uy ? (dx * ux + dy * uy) / d : 1;
      if (cos < minCos) return;
      const gap = gapAlong(mask, w, e, j);
      if (gap > gapLength) return;
      const score = (gap + 0.1 * d) / (0.5 + 0.5 * cos);
      if (score < bestScore) { bestScore = score; best = j; }
    };
    for (let y = Math.max(0, ey - g); y <= Math.min(h - 1, ey + g); y++) for (let x = Math.max(0, ex - g); x <= Math.min(w - 1, ex + g); x++) {
      const j = y * w + x;
      if (s[j] && seen[j] !== stamp) consider(j, x - ex, y - ey);
    }
    // The image edge: the foot of the perpendicular on each side.
    for (const [x, y] of [[0, ey], [w - 1, ey], [ex, 0], [ex, h - 1]]) consider(y * w + x, x - ex, y - ey);
    if (best >= 0) drawLine(s, w, e, best);
  }
}

/**
 * Prunes spurs: a branch from an end point (away from the image edge) to a junction with at most
 * `spurLength` pixels is deleted, as is an isolated fragment of at most that many pixels; repeated
 * (up to 3 times) so that forked spurs go too. Works in place.
 */
export function pruneSpurs(s: Uint8Array, w: number, h: number, spurLength: number): void {
  if (spurLength <= 0) return;
  const seen = new Int32Array(s.length);
  let stamp = 0;
  for (let pass = 0; pass < 3; pass++) {
    let changed = false;
    for (let i = 0; i < s.length; i++) {
      if (!s[i] || onEdge(i, w, h)) continue;
      const n = neighbours(s, w, h, i);
      if (n === 0) { s[i] = 0; changed = true; continue; }
      if (n !== 1) continue;
      const r = walk(s, w, h, i, Infinity, spurLength, true, seen, ++stamp);
      if (!r.complete || r.pixels.some((p) => onEdge(p, w, h))) continue;
      for (const p of r.pixels) s[p] = 0;
      for (const p of r.pixels) removeStub(s, w, h, p);
      changed = true;
    }
    if (!changed) break;
  }
}
