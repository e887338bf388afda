/**
 * The Experiments form and the config JSON, both ways. The JSON is the whole truth: the form shows
 * a few of its fields (`formFromConfig`) and an edit in the form patches only the keys that field
 * owns (`applyForm`), so everything else written in the JSON (phases, adaptive settings, folder
 * paths) survives form edits.
 */
import { DEPTHS, type Depth } from '../ml/config';
import { DEFAULT_PRESET } from '../synth/grains/space';
import type { Recipe } from '../synth/recipe';
import { ConfigError, REGIMES, type ExperimentConfig, type Regime } from './config';

export interface ExperimentForm {
  name: string;
  task: 'grains' | 'cracks';
  /** A stored dataset (id or name) whose recipe the synthetic data follow; '' = the preset defaults. */
  dataset: string;
  /** Grains with the preset defaults: which preset. */
  preset: string;
  real: 'stored' | 'folders';
  regimes: Regime[];
  runs: number;
  depth: Depth;
  width: number;
  inputSize: number;
  /** Training minutes for the whole experiment; null trains the phases' epochs as written. */
  budgetMinutes: number | null;
}

/** A complete stored dataset, as the form offers it. */
export interface StoredRecipe {
  id: string;
  name: string;
  recipe: Recipe;
}

/** Folders when the form switches from stored data: one folder split by each run's seed (the page asks for it). */
export const DEFAULT_FOLDERS = { all: 'real', split: { val: 0.2, test: 0.2 } } as const;

export const DEPTH_CHOICES = Object.keys(DEPTHS).map(Number) as Depth[];

export function formFromConfig(c: ExperimentConfig): ExperimentForm {
  return {
    name: c.name, task: c.task, dataset: c.synthetic.dataset ?? '', preset: c.synthetic.preset ?? DEFAULT_PRESET.id,
    real: c.real.stored ? 'stored' : 'folders', regimes: [...c.regimes], runs: c.runs, depth: c.model.depth, width: c.model.width,
    inputSize: c.input.size, budgetMinutes: c.train.budgetMinutes ?? null,
  };
}

/** A stored dataset's recipe as the config's `synthetic` keys (texture exemplars stay in the dataset, by reference). */
export function syntheticFromRecipe(d: StoredRecipe): Record<string, unknown> {
  const r = d.recipe;
  // [lo, hi], or one number for a fixed value: what people write, and what parseSettings reads back to the same ranges.
  const params = Object.fromEntries(Object.entries(r.settings).map(([k, v]) => [k, v.lo === v.hi ? v.lo : [v.lo, v.hi]]));
  const base = { dataset: d.id, count: r.count, size: r.size, seed: r.seed };
  return r.kind === 'grains' ? { ...base, preset: r.preset, params } : { ...base, params, crack: structuredClone(r.crack) };
}

/** The stored dataset a config names, by id or else by its unique name, of the config's task and complete. */
export function findDataset(datasets: readonly StoredRecipe[], ref: string, task: ExperimentConfig['task']): StoredRecipe {
  const mine = datasets.filter((d) => d.recipe.kind === task);
  const byId = mine.find((d) => d.id === ref);
  if (byId) return byId;
  const byName = mine.filter((d) => d.name === ref);
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) throw new ConfigError('synthetic.dataset', `${byName.length} stored ${task} datasets are named "${ref}"; give its id (${byName.map((d) => d.id).join(' or ')}) or rename one in the Datasets tab.`);
  const offered = mine.length ? ` Complete ${task} datasets: ${mine.map((d) => `"${d.name}"`).join(', ')}.` : ` There is none yet: generate one in the Generate tab.`;
  throw new ConfigError('synthetic.dataset', `no complete stored ${task} dataset has the id or name "${ref}".${offered}`);
}

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {});

/** Keys of `synthetic` a recipe choice owns (the rest — texture, match — are the user's). */
const RECIPE_KEYS = ['dataset', 'count', 'size', 'seed', 'preset', 'params', 'crack'];

/**
 * The config JSON after one form edit: only the keys the changed fields own are written. Changing
 * the task drops what belongs to the other task (recipe, loss, moves, input size: its default
 * applies); a new run count drops `seeds` unless it still has one per run; a new budget drops the
 * recorded sizing so the schedule is sized again.
 */
export function applyForm(raw: Record<string, unknown>, change: Partial<ExperimentForm>, datasets: readonly StoredRecipe[]): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(raw);
  let synthetic = obj(out.synthetic);
  if (change.name !== undefined) out.name = change.name;
  if (change.task !== undefined && change.task !== out.task) {
    out.task = change.task;
    synthetic = { count: synthetic.count, size: synthetic.size, seed: synthetic.seed };
    const model = obj(out.model);
    delete model.loss;
    out.model = model;
    const input = obj(out.input);
    delete input.size;
    out.input = input;
    if (out.adaptive) {
      const adaptive = obj(out.adaptive);
      delete adaptive.parameters;
      out.adaptive = adaptive;
    }
  }
  if (change.dataset !== undefined) {
    for (const k of RECIPE_KEYS.filter((k) => !['count', 'size', 'seed'].includes(k))) delete synthetic[k];
    if (change.dataset) {
      const task = (change.task ?? out.task) as ExperimentConfig['task'];
      synthetic = { ...synthetic, ...syntheticFromRecipe(findDataset(datasets, change.dataset, task)) };
    }
  }
  if (change.preset !== undefined && !synthetic.dataset && (change.task ?? out.task) === 'grains') synthetic.preset = change.preset;
  out.synthetic = synthetic;
  if (change.real !== undefined) {
    const before = obj(out.real);
    const fit = before.fit !== undefined ? { fit: before.fit } : {};
    if (change.real === 'stored') out.real = { stored: true, ...fit };
    else if (before.stored || !(before.all || before.test)) out.real = { ...structuredClone(DEFAULT_FOLDERS), ...fit };
  }
  if (change.regimes !== undefined) out.regimes = REGIMES.filter((g) => change.regimes!.includes(g));
  if (change.runs !== undefined) {
    out.runs = change.runs;
    if (Array.isArray(out.seeds) && out.seeds.length !== change.runs) delete out.seeds;
  }
  if (change.depth !== undefined || change.width !== undefined) {
    out.model = { ...obj(out.model), ...(change.depth !== undefined ? { depth: change.depth } : {}), ...(change.width !== undefined ? { width: change.width } : {}) };
  }
  if (change.inputSize !== undefined) out.input = { ...obj(out.input), size: change.inputSize };
  if (change.budgetMinutes !== undefined) {
    const train = obj(out.train);
    delete train.sized;
    if (change.budgetMinutes === null) delete train.budgetMinutes;
    else train.budgetMinutes = change.budgetMinutes;
    out.train = train;
  }
  return out;
}
