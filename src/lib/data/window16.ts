/** How 16-bit images (TIFF and PNG) become 8 bits: images through a robust window, masks by value. */

/** The 0.5 and 99.5 percentiles of 16-bit values, by histogram. */
export function window16(values: Uint16Array): [number, number] {
  const counts = new Uint32Array(65536);
  for (let i = 0; i < values.length; i++) counts[values[i]]++;
  const at = (q: number) => {
    const target = q * values.length;
    let seen = 0;
    for (let v = 0; v < 65536; v++) if ((seen += counts[v]) > target) return v;
    return 65535;
  };
  return [at(0.005), at(0.995)];
}

/**
 * Mask values (8 or 16 bits) to bytes by value, not by window: a mask's meaning must not depend on
 * how much of it is marked (a window maps a mask marked on under 0.5 % of its pixels from its
 * anti-aliased rim, and one marked everywhere to 0). Values that fit a byte stay (0/1 and 0/255
 * masks read as 8-bit ones do); larger ones are scaled so their largest is 255 (a 0/4095 mask is
 * 0/255). With `channels` 2 or 4 (16-bit PNGs) the last is alpha: it does not set the scale and
 * is scaled linearly.
 */
export function maskValuesTo8(values: ArrayLike<number>, channels = 1): Uint8Array {
  const colours = channels === 2 || channels === 4 ? channels - 1 : channels;
  let most = 0;
  for (let i = 0; i < values.length; i++) if (i % channels < colours && values[i] > most) most = values[i];
  const scale = most <= 255 ? 1 : 255 / most;
  const pixels = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) pixels[i] = Math.round(i % channels < colours ? values[i] * scale : values[i] / 257);
  return pixels;
}

/** 16-bit values to bytes: `lo` → 0, `hi` → 255, clipped outside. */
export function windowTo8(values: ArrayLike<number>, lo: number, hi: number): Uint8Array {
  const pixels = new Uint8Array(values.length);
  const span = Math.max(1, hi - lo);
  for (let i = 0; i < values.length; i++) pixels[i] = Math.max(0, Math.min(255, Math.round(((values[i] - lo) / span) * 255)));
  return pixels;
}
