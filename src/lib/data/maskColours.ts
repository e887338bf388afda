/**
 * Colour and palette masks to the grey mask every reader thresholds (> 127: crack or boundary).
 * Label tools save marks in colour (a red stroke on black), as class indices in a palette file
 * (0 background, 1 the class, shown in the tool's colours), or as strokes on a transparent layer;
 * read through luma like an image, all three came out below the threshold and every tile read as
 * no crack. Grey masks read as they always did.
 */

/**
 * Per pixel the largest of its colour samples (× `scale`, rounded, clamped to a byte): a mark in any
 * colour on black reads as bright as its brightest channel. A mask whose colour samples are all 0
 * but whose alpha (the last of 2 or 4 channels) varies is a stroke layer: its alpha is the mask (an
 * opaque black mask stays empty).
 */
export function maskOfColours(data: ArrayLike<number>, n: number, channels: number, scale = 1): Uint8Array {
  const largest = largestColour(data, n, channels);
  const pixels = new Uint8Array(n);
  for (let i = 0; i < n; i++) pixels[i] = Math.min(255, Math.round(largest[i] * scale));
  return pixels;
}

/** maskOfColours' values at the file's depth (up to 16 bits), before scaling. */
export function largestColour(data: ArrayLike<number>, n: number, channels: number): Uint16Array {
  const colours = channels === 2 || channels === 4 ? channels - 1 : channels;
  const largest = new Uint16Array(n);
  let any = false;
  for (let i = 0; i < n; i++) {
    let most = 0;
    for (let c = 0, o = i * channels; c < colours; c++) if (data[o + c] > most) most = data[o + c];
    largest[i] = most;
    if (most > 0) any = true;
  }
  if (!any && colours < channels && !constantAlpha(data, n, channels)) for (let i = 0; i < n; i++) largest[i] = data[i * channels + colours];
  return largest;
}

function constantAlpha(data: ArrayLike<number>, n: number, channels: number): boolean {
  for (let i = 1; i < n; i++) if (data[i * channels + channels - 1] !== data[channels - 1]) return false;
  return true;
}

/**
 * A palette mask (8-bit palette entries). When every entry it uses is a grey, it is a black-and-white
 * mask saved with a palette and reads by those greys; otherwise its indices are classes, and every
 * index but 0 (the background, as label tools number it) is marked.
 */
export function maskOfPalette(indices: ArrayLike<number>, n: number, palette: readonly (readonly number[])[]): Uint8Array {
  const used = new Set<number>();
  for (let i = 0; i < n; i++) used.add(indices[i]);
  const grey = [...used].every((k) => palette[k] !== undefined && palette[k][0] === palette[k][1] && palette[k][1] === palette[k][2]);
  const pixels = new Uint8Array(n);
  for (let i = 0; i < n; i++) pixels[i] = grey ? palette[indices[i]][0] : indices[i] === 0 ? 0 : 255;
  return pixels;
}
