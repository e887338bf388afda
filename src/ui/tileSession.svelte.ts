/**
 * Labelling state for the tiles of one real image: the tiles, which one is current, and an undo
 * stack. Every change is written to IndexedDB at once, so a reload loses nothing.
 */
import type { Db, TileRecord } from '../lib/data/db';
import { deleteTiles, listTiles, putTiles, tileId } from '../lib/data/realStore';
import { gridPositions, TILE, tileAt } from '../lib/data/tiling';
import type { CrackLabel } from '../lib/synth/cracks/index';

/** What a change replaced: for each tile id, its record before (null = it did not exist). */
type Change = Map<string, TileRecord | null>;

export class TileSession {
  tiles = $state<TileRecord[]>([]);
  current = $state(0);
  private undoStack: Change[] = [];
  /** Changes run one after another, so fast key presses each act on the tile the last one left current. */
  private queue: Promise<unknown> = Promise.resolve();
  canUndo = $state(false);

  constructor(
    readonly db: Db,
    readonly imageId: string,
    readonly width: number,
    readonly height: number,
    private readonly onChange: () => void,
  ) {}

  async load() {
    this.tiles = await listTiles(this.db, this.imageId);
  }

  /** Runs `work` after every change queued before it; its error reaches the caller only. */
  run(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  get currentTile(): TileRecord | undefined {
    return this.tiles[this.current];
  }

  /** Applies new versions of tiles (null deletes), remembering what they replace. */
  private async apply(next: Map<string, TileRecord | null>, remember = true) {
    const before: Change = new Map();
    for (const id of next.keys()) before.set(id, $state.snapshot(this.tiles.find((t) => t.id === id)) ?? null);
    const puts = [...next.values()].filter((t): t is TileRecord => t !== null);
    const deletes = [...next].filter(([, t]) => t === null).map(([id]) => id);
    if (puts.length) await putTiles(this.db, puts);
    if (deletes.length) await deleteTiles(this.db, deletes);
    if (remember) {
      this.undoStack.push(before);
      this.canUndo = true;
    }
    const ids = new Set(next.keys());
    this.tiles = [...this.tiles.filter((t) => !ids.has(t.id)), ...puts].sort((a, b) => a.createdAt - b.createdAt || a.y - b.y || a.x - b.x);
    this.current = Math.min(this.current, Math.max(0, this.tiles.length - 1));
    this.onChange();
  }

  private fresh(x: number, y: number, createdAt: number): TileRecord {
    return { id: tileId(this.imageId, x, y), imageId: this.imageId, x, y, size: TILE, label: null, pinnedTest: false, createdAt };
  }

  /** Adds a grid of tiles; positions that already have a tile keep it. */
  async cutGrid(stride: number) {
    const have = new Set(this.tiles.map((t) => t.id));
    const now = Date.now();
    const next = new Map<string, TileRecord | null>();
    for (const [x, y] of gridPositions(this.width, this.height, TILE, stride)) {
      const t = this.fresh(x, y, now);
      if (!have.has(t.id)) next.set(t.id, t);
    }
    if (next.size) await this.apply(next);
  }

  /** Selects the tile under a click, or adds one centred there. */
  async clickAt(cx: number, cy: number) {
    const hit = this.tiles.findIndex((t) => cx >= t.x && cx < t.x + t.size && cy >= t.y && cy < t.y + t.size);
    if (hit >= 0 && !(this.tiles[hit].id === this.currentTile?.id)) {
      this.current = hit;
      return;
    }
    const [x, y] = tileAt(this.width, this.height, TILE, cx, cy);
    const t = this.fresh(x, y, Date.now());
    if (this.tiles.some((o) => o.id === t.id)) return;
    await this.apply(new Map([[t.id, t]]));
    this.current = this.tiles.findIndex((o) => o.id === t.id);
  }

  /** Labels the current tile and moves on to the next unlabelled one. */
  async label(label: CrackLabel | null) {
    const tile = this.currentTile;
    if (!tile) return;
    await this.apply(new Map([[tile.id, { ...$state.snapshot(tile), label }]]));
    const next = this.tiles.findIndex((t, i) => i > this.current && t.label === null);
    if (next >= 0) this.current = next;
    else if (this.current + 1 < this.tiles.length) this.current++;
  }

  async togglePin() {
    const tile = this.currentTile;
    if (tile) await this.apply(new Map([[tile.id, { ...$state.snapshot(tile), pinnedTest: !tile.pinnedTest }]]));
  }

  async removeCurrent() {
    const tile = this.currentTile;
    if (tile) await this.apply(new Map([[tile.id, null]]));
  }

  async undo() {
    const change = this.undoStack.pop();
    this.canUndo = this.undoStack.length > 0;
    if (change) await this.apply(change, false);
  }

  move(step: number) {
    if (this.tiles.length) this.current = (this.current + step + this.tiles.length) % this.tiles.length;
  }
}
