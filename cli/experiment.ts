/**
 * npm run experiment -- CONFIG.json --out DIR [--timeout SECONDS]
 * Serves the built app, drives the system Chromium (WebGPU on) through the Experiments view —
 * the same code path as a user — prints progress, and writes DIR/results.json and, to look at,
 * the first run's predictions on the real test images as DIR/predictions/REGIME/*.png (both
 * removed once the run is under way, so what DIR holds is always this run's; a config the page
 * refuses leaves them). CONFIG and DIR are relative to
 * the folder the command was typed in (npm runs scripts from the package root).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { unzipSync } from 'fflate';
import { preview } from 'vite';
import { ConfigError, parseExperimentConfig, realFolders, storedInputs } from '../src/lib/experiment/config';
import { IMAGE_FILE } from '../src/lib/data/importLayout';

const usage = 'Usage: npm run experiment -- CONFIG.json --out DIR [--timeout SECONDS (default 21600)]';
/** Where the user typed the command: npm sets INIT_CWD, as it runs scripts from the package root (for `npm run experiment` itself; a script calling this CLI carries its own command's). */
const userDir = process.env.npm_lifecycle_event === 'experiment' && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd();
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message: string): never {
  console.error(`error: ${message}\n${usage}`);
  process.exit(2);
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, timeout: { type: 'string' } } });
  } catch (e) {
    fail((e as Error).message);
  }
  const [configArg, ...extra] = parsed.positionals;
  if (!configArg) fail('give the experiment config file.');
  if (extra.length) fail(`one config at a time; ${extra.join(' ')} ${extra.length > 1 ? 'were' : 'was'} given besides ${configArg}.`);
  if (!parsed.values.out) fail('--out DIR is required.');
  const configPath = resolve(userDir, configArg);
  const timeoutSeconds = Number(parsed.values.timeout ?? 6 * 3600);
  if (!(timeoutSeconds > 0)) fail(`--timeout must be a number of seconds above 0; got "${parsed.values.timeout}".`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (e) {
    fail(`cannot read ${configPath}: ${(e as Error).message}`);
  }
  let config;
  try {
    config = parseExperimentConfig(raw);
  } catch (e) {
    fail(e instanceof ConfigError ? `${configPath}: ${e.message}` : (e as Error).message);
  }
  // The runner starts a fresh browser profile: nothing stored in the app exists there.
  const pageOnly = storedInputs(config);
  if (pageOnly.length) {
    fail(`${configPath}: ${pageOnly.join(' and ')} ${pageOnly.length > 1 ? 'name data' : 'names data'} stored in the app's browser storage, which the headless runner does not have. `
      + 'Run this config in the Experiments tab, or name real folders (real.all with a split, or real.train / val / test) and the recipe itself (synthetic count, size, seed, params).');
  }
  const base = dirname(configPath);
  const folders = realFolders(config).map((f) => ({ ...f, dir: resolve(base, f.path) }));
  const checkFolder = (field: string, dir: string) => {
    if (!existsSync(dir)) fail(`${field}: folder ${dir} does not exist (relative to the config).`);
    if (!statSync(dir).isDirectory()) fail(`${field}: ${dir} is a file, not a folder.`);
  };
  for (const f of folders) {
    checkFolder(`real.${f.set}`, f.dir);
    // The page is given nothing for a folder without images, and would wait for it.
    if (!readdirSync(f.dir, { recursive: true }).some((p) => IMAGE_FILE.test(String(p)))) fail(`real.${f.set}: ${f.dir} holds no PNG, JPEG or TIFF images.`);
  }
  // `match: true` measures the real folders' own images, which the page already has.
  const matchDir = typeof config.synthetic.match === 'string' ? resolve(base, config.synthetic.match) : undefined;
  if (matchDir) checkFolder('synthetic.match', matchDir);
  const exemplarDir = config.synthetic.exemplars ? resolve(base, config.synthetic.exemplars) : undefined;
  if (exemplarDir) checkFolder('synthetic.exemplars', exemplarDir);
  if (!existsSync(join(root, 'dist', 'index.html'))) fail('the app is not built; run "npm run build" (npm run experiment does it).');
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) fail(`Chromium not found at ${chromiumPath}; install it (apt-get install chromium) or set CHROMIUM_PATH.`);

  const out = resolve(userDir, parsed.values.out);
  if (existsSync(out) && !statSync(out).isDirectory()) fail(`--out ${out} is a file; give a folder.`);
  mkdirSync(out, { recursive: true });
  // An earlier run's files would read as this one's if this one stops early: they go once the page
  // has accepted the config and the run is under way (a config it refuses leaves them as they were).
  let cleared = false;
  const clearEarlierRun = () => {
    if (cleared) return;
    rmSync(join(out, 'results.json'), { force: true });
    rmSync(join(out, 'predictions'), { recursive: true, force: true });
    cleared = true;
  };
  const server = await preview({ root, preview: { port: 4393, host: '127.0.0.1', strictPort: false }, logLevel: 'error' });
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const timeoutMs = timeoutSeconds * 1000;
  try {
    const page = await browser.newPage({ acceptDownloads: true });
    page.setDefaultTimeout(120_000);
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(server.resolvedUrls!.local[0]);
    await page.getByRole('button', { name: 'Experiments' }).click();
    await page.getByLabel('Experiment config (JSON)').fill(JSON.stringify(raw, null, 2));
    const alert = page.getByRole('alert');
    for (const f of folders) {
      await page.getByLabel(`Real ${f.set} folder`).setInputFiles(f.dir);
      // The folder's count, or the page's word on why it read none (an empty folder, a mask of another size).
      const read = page.getByTestId(`real-${f.set}`);
      await read.or(alert).first().waitFor();
      if (!(await read.count())) fail(`real.${f.set} (${f.dir}): ${await alert.first().textContent()}`);
      console.log(`real ${f.set}: ${await read.textContent()} from ${f.dir}`);
    }
    if (matchDir) {
      await page.getByLabel('Match folder').setInputFiles(matchDir);
      console.log(`match: ${await page.getByTestId('match-images').textContent()} from ${matchDir}`);
    }
    if (exemplarDir) {
      await page.getByLabel('Exemplar folder').setInputFiles(exemplarDir);
      console.log(`exemplars: ${await page.getByTestId('exemplar-images').textContent()} from ${exemplarDir}`);
    }
    if (await alert.count()) fail(await alert.first().textContent() ?? 'the app refused the config');
    await page.getByRole('button', { name: 'Run experiment' }).click();
    const started = Date.now();
    let last = '';
    for (;;) {
      // The stored record's status says when the run has ended (complete, cancelled or failed).
      const status = (await page.getByTestId('experiment-status').textContent({ timeout: 200 }).catch(() => '')) ?? '';
      if (status === 'complete') {
        clearEarlierRun();
        break;
      }
      if (status === 'cancelled') {
        // Not a result: nothing is written (only the page's Cancel does this).
        console.log('cancelled: no results written.');
        process.exitCode = 130;
        return;
      }
      if (status === 'failed' || (await alert.count())) throw new Error((await alert.first().textContent().catch(() => null)) ?? 'the experiment failed');
      const text = (await page.getByTestId('experiment-progress').textContent({ timeout: 200 }).catch(() => '')) ?? '';
      if (text && text !== last) {
        clearEarlierRun();
        last = text;
        process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${text}\n`);
      }
      if (Date.now() - started > timeoutMs) throw new Error(`the experiment ran past --timeout ${timeoutMs / 1000} s`);
      await page.waitForTimeout(500);
    }
    const download = page.waitForEvent('download');
    await page.getByTestId('experiment-result').getByRole('button', { name: 'Export JSON' }).click();
    const file = await (await download).path();
    const results = readFileSync(file, 'utf8');
    // Written whole or not at all.
    writeFileSync(join(out, 'results.json.part'), results);
    renameSync(join(out, 'results.json.part'), join(out, 'results.json'));
    // What the models predicted on real test images, to look at beside the numbers.
    const predictionsButton = page.getByTestId('experiment-result').getByRole('button', { name: 'Export predictions (PNG)' });
    if (await predictionsButton.count()) {
      const zip = page.waitForEvent('download');
      await predictionsButton.click();
      const files = unzipSync(readFileSync(await (await zip).path()));
      for (const [name, bytes] of Object.entries(files)) {
        mkdirSync(dirname(join(out, 'predictions', name)), { recursive: true });
        writeFileSync(join(out, 'predictions', name), bytes);
      }
      console.log(`${Object.keys(files).length} prediction images → ${join(out, 'predictions')}`);
    }
    const summary = JSON.parse(results);
    if (summary.complete === false) {
      console.error(`error: only ${summary.runs.length} run results are complete; ${join(out, 'results.json')} holds them, marked "complete": false.`);
      process.exitCode = 1;
    }
    console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s on ${summary.backend}: ${summary.runs.length} run results → ${join(out, 'results.json')}`);
    for (const [regime, sets] of Object.entries(summary.summary as Record<string, Record<string, Record<string, { mean: number; sd: number }>>>)) {
      for (const [set, metrics] of Object.entries(sets)) {
        console.log(`  ${regime.padEnd(10)} ${set.padEnd(5)} ${Object.entries(metrics).map(([m, s]) => `${m} ${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)}`).join(' · ')}`);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
