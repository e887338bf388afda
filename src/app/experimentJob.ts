/**
 * Running an experiment from the page and keeping it. The record is stored as each run finishes,
 * so a cancel, a reload, a crash or a lost device keeps every finished run; Resume trains only the
 * runs still missing (the runner skips the finished ones and keeps them as they are).
 *
 * Resume needs the same inputs, and after a reload the folders the real data came from are gone.
 * Decision: keep the inputs themselves (the recipe and the decoded real images, `experimentInputs`)
 * while the experiment is unfinished, rather than ask for the folders again: Resume is then one
 * click, and the data cannot differ from the first attempt's (a re-picked folder could, silently).
 * The cost is bounded: real data over MAX_KEPT_INPUT_BYTES is not kept (such an experiment cannot
 * resume after a reload, and its record says so), and the copy is deleted when the experiment
 * completes or is deleted.
 *
 * One owner per experiment across tabs (ownerLock.ts): the tab running it holds a Web Lock named
 * after it, so another tab's start-up does not mistake a live run for an interrupted one, and two
 * tabs cannot resume the same experiment at once. Every stored change is announced (changes.ts), so
 * other tabs' lists follow a run, its end, a cancel or a resume live.
 */
import { deleteExperimentInputs, inputBytes, MAX_KEPT_INPUT_BYTES, putExperiment, writing, type Db, type ExperimentRecord } from '../lib/data/db';
import { readRecords } from '../lib/data/records';
import type { ExperimentConfig, RealItem } from '../lib/experiment/config';
import type { ExperimentProgress, ExperimentResults, FinishedRuns } from '../lib/experiment/summary';
import type { Recipe } from '../lib/synth/recipe';
import { engine } from './engine.svelte';
import { changeChannel } from './changes';
import { asOwner, heldLocks } from './ownerLock';

const lockName = (id: string) => `synthscope-experiment-${id}`;
const broadcast = changeChannel('experiments');

/** Calls `onChange` when another tab stores, imports or deletes an experiment; returns a function that stops listening. */
export const onExperimentChanges = (onChange: () => void): (() => void) => broadcast.listen(onChange);
/** Tells other tabs that this tab changed the experiment `id` outside a run (an import, a delete). */
export const announceExperiment = (id: string): void => broadcast.announce(id);

const BUSY = 'This experiment is running in another tab; it finishes there (or resume it here once that tab is closed).';

export interface ExperimentJobOptions {
  signal: AbortSignal;
  onProgress: (p: ExperimentProgress) => void;
  /** Called with the record each time it is stored. */
  onStored: (record: ExperimentRecord) => void;
}

const total = (config: ExperimentConfig) => config.runs * config.regimes.length;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** Stores a new experiment (and its inputs, within the bound) and runs it. */
export function startExperiment(db: Db, config: ExperimentConfig, recipe: Recipe, real: RealItem[], options: ExperimentJobOptions): Promise<ExperimentRecord> {
  const id = crypto.randomUUID();
  return asOwner(lockName(id), BUSY, async () => {
    const bytes = inputBytes(real, recipe);
    let note: string | undefined;
    if (bytes > MAX_KEPT_INPUT_BYTES) note = `Its real data (${mb(bytes)}) are over the ${mb(MAX_KEPT_INPUT_BYTES)} kept for a resume: a reload ends it.`;
    else {
      // A full disk must not stop the experiment, only its resume after a reload.
      note = await writing(() => db.put('experimentInputs', { id, recipe, real })).then(() => undefined, (e: Error) => `Its inputs could not be kept for a resume (${e.message}): a reload ends it.`);
    }
    // The statistics load with a run, not with the page (which marks interrupted runs at start, through this module).
    const { summarise } = await import('../lib/experiment/summary');
    const record: ExperimentRecord = { id, name: config.name, createdAt: Date.now(), status: 'running', results: summarise(config, [], false), resumable: !note, note };
    return runOwned(db, record, recipe, real, undefined, options);
  });
}

/** Runs the runs an unfinished experiment lacks, on its kept inputs; its finished runs are kept. */
export function resumeExperiment(db: Db, id: string, options: ExperimentJobOptions): Promise<ExperimentRecord> {
  return asOwner(lockName(id), BUSY, async () => {
    const record = await db.get('experiments', id);
    if (!record) throw new Error('That experiment no longer exists.');
    if (record.status === 'complete') return record;
    const inputs = await db.get('experimentInputs', id);
    if (!inputs) throw new Error('This experiment’s real data were not kept, so it cannot resume; run it again from its config.');
    const { runs, hardSamples, hardRounds, predictions } = record.results;
    return runOwned(db, { ...record, note: undefined }, inputs.recipe, inputs.real, { runs, hardSamples, hardRounds, predictions }, options);
  });
}

/** Whether Resume applies: unfinished, with its inputs kept. */
export const canResume = (r: ExperimentRecord) => !!r.resumable && r.status !== 'complete' && r.status !== 'running';

async function runOwned(db: Db, record: ExperimentRecord, recipe: Recipe, real: RealItem[], done: FinishedRuns | undefined,
  options: ExperimentJobOptions): Promise<ExperimentRecord> {
  const config = record.results.config;
  const save = async (changes: Partial<ExperimentRecord>) => {
    record = { ...record, ...changes };
    await putExperiment(db, record);
    broadcast.announce(record.id);
    options.onStored(record);
  };
  await save({ status: 'running' });
  let latest: ExperimentResults = record.results;
  let stored = Promise.resolve();
  // A run that cannot be stored (a full disk) stops the experiment: its training would be lost to a reload.
  let storeError: Error | undefined;
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const outcome = await engine.call('experiment', { config, recipe, real, backend: config.train.backend, done }, {
    signal, label: `Experiment “${config.name}”`,
    onProgress: (m) => {
      if (m.kind === 'progress') options.onProgress(m.progress);
      else if (m.kind === 'run') {
        latest = m.results;
        stored = stored.then(() => (storeError ? undefined : save({ results: m.results }))).catch((e: Error) => {
          storeError ??= e;
          stop.abort();
        });
      }
    },
  });
  await stored;
  if (storeError) {
    await save({ status: 'failed', note: `${storeError.message} (the runs stored before are kept.)` }).catch(() => undefined);
    throw storeError;
  }
  const kept = `${latest.runs.length} of ${total(config)} run results are kept`;
  if (outcome.status === 'done') {
    await save({ status: 'complete', results: outcome.result, resumable: false, note: record.resumable ? undefined : record.note });
    await deleteExperimentInputs(db, record.id);
  } else if (outcome.status === 'cancelled') {
    await save({ status: 'cancelled', results: latest, note: `Cancelled; ${kept}${record.resumable ? '; Resume runs the rest' : ''}.` });
  } else {
    await save({ status: 'failed', results: latest, note: `${outcome.message} (${kept}${record.resumable ? '; Resume runs the rest' : ''}.)` });
  }
  return record;
}

/** On start-up: an experiment still marked as running whose lock no tab holds was cut off. */
export async function markInterruptedExperiments(db: Db): Promise<void> {
  const live = await heldLocks();
  for (const r of (await readRecords(db, 'experiments')).records) {
    if (r.status !== 'running' || live.has(lockName(r.id))) continue;
    const kept = `${r.results.runs.length} of ${total(r.results.config)} run results are kept`;
    await putExperiment(db, { ...r, status: 'interrupted',
      note: `Interrupted (the page was closed, reloaded or crashed); ${kept}${r.resumable ? '; Resume runs the rest' : ''}.` });
    broadcast.announce(r.id);
  }
}
