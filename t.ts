import * as tf from '@tensorflow/tfjs';
import { buildModel } from './src/lib/ml/models';
import { Trainer } from './src/lib/ml/trainer';
import { NO_AUGMENT, DEFAULT_AUGMENT } from './src/lib/ml/augment';
import { generateGrainSample } from './src/lib/synth/grains/index';
import { GRAIN_PRESETS } from './src/lib/synth/grains/space';
await tf.setBackend('cpu');
const preset = GRAIN_PRESETS[0];
const recipe = { kind: 'grains' as const, preset: preset.id, settings: preset.settings, size: 64, count: 12, seed: 1 };
const samples = Array.from({ length: 12 }, (_, i) => generateGrainSample(recipe, i));
const source = { count: 12, size: 64, get: async (idx: readonly number[]) => idx.map((i) => samples[i]) };
for (const loss of ['weighted-ce+dice', 'ce'] as const) {
  const config = { model: { task: 'segment' as const, depth: 10 as const, width: 0.125, classes: 2 }, loss, batchSize: 4, weightDecay: 0.01,
    phases: [{ epochs: 3, maxLr: 0.01, freezeEncoder: false, size: 64 }], augment: DEFAULT_AUGMENT, seed: 1, valFraction: 0.2 };
  const model = buildModel(config.model);
  const r = await new Trainer(model, config, source, { onStep: (p) => console.log(loss, p.epoch, p.step, p.loss.toFixed(4)) }).run();
  console.log(r.history.map((h) => h.trainLoss.toFixed(4)));
}
