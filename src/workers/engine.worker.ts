/**
 * The engine worker: the one place TF.js and the GPU device live. Thin: it maps the engine API
 * onto the jobs in src/lib/engine/jobs.ts, with IndexedDB for records and TF.js' IndexedDB store
 * for weights.
 */
import { openDatasets } from '../lib/data/db';
import type { EngineApi } from '../lib/engine/api';
import { engineJobs } from '../lib/engine/jobs';
import { serve, type Endpoint } from '../lib/engine/rpc';
import { indexedDbWeights } from '../lib/ml/modelStore';

serve<EngineApi>(self as unknown as Endpoint, engineJobs({ db: openDatasets, weights: indexedDbWeights }));
