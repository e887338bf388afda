/** The dataset list the views share, re-read from IndexedDB after every change. */
import { listDatasets, type DatasetRecord, type Db } from '../lib/data/db';

export class DatasetList {
  items = $state<DatasetRecord[]>([]);

  constructor(readonly db: Db) {}

  async refresh(): Promise<void> {
    this.items = await listDatasets(this.db);
  }
}
