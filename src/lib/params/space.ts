/**
 * Parameter spaces as data. A generator declares its parameters once (name, distribution, allowed
 * range, unit, help); the UI form, validation, sampling and the CLI all read that one declaration.
 */
import type { Rng } from '../random';

export type Distribution = 'uniform' | 'loguniform' | 'int';

export interface ParamSpec {
  name: string;
  label: string;
  unit: string;
  help: string;
  distribution: Distribution;
  /** Allowed range: any setting must lie inside it. */
  min: number;
  max: number;
  /** UI step for the range inputs. */
  step: number;
  /**
   * The value a recipe that does not name this parameter gets: recipes stored or shared before the
   * parameter existed keep their bytes. Parameters without it must be named.
   */
  off?: number;
}

/** The range a recipe samples one parameter from; lo === hi fixes it. */
export interface Range {
  lo: number;
  hi: number;
}

export type Settings = Record<string, Range>;
export type SampledParams = Record<string, number>;

export class ParamError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ParamError';
  }
}

const fmt = (x: number) => String(Number(x.toPrecision(6)));

/** What is wrong with one parameter's range, in words naming the field and its allowed range. */
export function rangeError(spec: ParamSpec, range: Range | undefined): string | undefined {
  const allowed = `${fmt(spec.min)} to ${fmt(spec.max)}${spec.unit ? ' ' + spec.unit : ''}`;
  const field = `${spec.label} (${spec.name})`;
  if (!range) return spec.off === undefined ? `${field} is missing; give a value from ${allowed}.` : undefined;
  for (const end of [range.lo, range.hi]) {
    if (typeof end !== 'number' || !Number.isFinite(end)) return `${field} must be a number from ${allowed}.`;
    if (end < spec.min || end > spec.max) return `${field} is ${fmt(end)}, outside the allowed range ${allowed}.`;
    if (spec.distribution === 'int' && !Number.isInteger(end)) return `${field} must be a whole number from ${allowed}.`;
  }
  if (range.lo > range.hi) return `${field}: the lower end ${fmt(range.lo)} is above the upper end ${fmt(range.hi)}.`;
  if (spec.distribution === 'loguniform' && range.lo <= 0) return `${field} is sampled on a log scale; its range must be above 0.`;
  return undefined;
}

/** Throws a ParamError naming the field and its allowed range for the first bad setting. */
export function validateSettings(specs: readonly ParamSpec[], settings: Settings): void {
  if (!isPlainObject(settings)) throw new ParamError('settings', 'settings must be an object mapping parameter names to {"lo": .., "hi": ..}.');
  const known = new Set(specs.map((s) => s.name));
  for (const name of Object.keys(settings)) {
    if (!known.has(name)) {
      throw new ParamError(name, `Unknown parameter "${name}". Known parameters: ${[...known].join(', ')}.`);
    }
  }
  for (const spec of specs) {
    const range = Object.hasOwn(settings, spec.name) ? settings[spec.name] : undefined;
    if (range !== undefined && !isPlainObject(range)) throw new ParamError(spec.name, `${spec.label} (${spec.name}) must be {"lo": .., "hi": ..}.`);
    const message = rangeError(spec, range);
    if (message) throw new ParamError(spec.name, message);
  }
}

/** An object from JSON (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function sampleParam(spec: ParamSpec, range: Range, rng: Rng): number {
  const u = rng.next();
  if (range.lo === range.hi) return range.lo;
  switch (spec.distribution) {
    case 'int':
      return range.lo + Math.floor(u * (range.hi - range.lo + 1));
    case 'loguniform':
      return Math.exp(Math.log(range.lo) + u * (Math.log(range.hi) - Math.log(range.lo)));
    case 'uniform':
      return range.lo + u * (range.hi - range.lo);
  }
}

/** One draw per parameter, in declaration order, so adding a parameter at the end keeps old draws. */
export function sampleParams(specs: readonly ParamSpec[], settings: Settings, rng: Rng): SampledParams {
  const out: SampledParams = {};
  for (const spec of specs) out[spec.name] = sampleParam(spec, settings[spec.name] ?? { lo: spec.off!, hi: spec.off! }, rng);
  return out;
}

/** Settings with every parameter a recipe may leave out filled in at its `off` value (for forms). */
export function completeSettings(specs: readonly ParamSpec[], settings: Settings): Settings {
  const out = { ...settings };
  for (const spec of specs) if (!out[spec.name] && spec.off !== undefined) out[spec.name] = { lo: spec.off, hi: spec.off };
  return out;
}

/**
 * Accepts the loose forms people write in JSON (a number fixes a value, [lo, hi] or {lo, hi}
 * gives a range) and returns settings, or throws a ParamError naming the field.
 */
export function parseSettings(raw: unknown): Settings {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ParamError('params', 'params must be an object mapping parameter names to a number, [lo, hi] or {"lo": .., "hi": ..}.');
  }
  const out: Settings = {};
  // Defined, not assigned: a name such as "__proto__" stays a name, which validation then refuses.
  const set = (name: string, range: { lo: number; hi: number }) => Object.defineProperty(out, name, { value: range, enumerable: true, writable: true, configurable: true });
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value === 'number') set(name, { lo: value, hi: value });
    else if (Array.isArray(value) && value.length === 2) set(name, { lo: value[0], hi: value[1] });
    else if (value && typeof value === 'object' && 'lo' in value && 'hi' in value) {
      const r = value as { lo: number; hi: number };
      set(name, { lo: r.lo, hi: r.hi });
    } else {
      throw new ParamError(name, `${name} must be a number, [lo, hi] or {"lo": .., "hi": ..}.`);
    }
  }
  return out;
}
