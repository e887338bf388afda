/** A training sample source that reads a synthetic dataset's samples from IndexedDB on demand. */
import type { DatasetRecord, Db } from './db';
import type { RawSample, SampleSource } from '../ml/trainer';
import { recipeChannels } from '../synth/recipe';

/** Crack tiles are classes (no crack 0, crack 1); grain samples bring their boundary mask. */
export function datasetSource(db: Db, dataset: DatasetRecord): SampleSource {
  if (dataset.status !== 'complete') throw new Error(`Dataset "${dataset.name}" is ${dataset.status}; finish or resume it before training.`);
  return {
    count: dataset.recipe.count,
    size: dataset.recipe.size,
    channels: recipeChannels(dataset.recipe),
    async get(indices): Promise<RawSample[]> {
      const tx = db.transaction('samples');
      const records = await Promise.all(indices.map((i) => tx.store.get([dataset.id, i])));
      return records.map((r, k) => {
        if (!r) throw new Error(`Sample ${indices[k]} of "${dataset.name}" is missing from storage.`);
        return { image: r.image, mask: r.mask, label: r.label === 'crack' ? 1 : 0 };
      });
    },
  };
}
