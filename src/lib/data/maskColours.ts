/**
 * Colour, palette and layered masks to the grey mask every reader thresholds (> 127: crack or
 * boundary). Label tools save marks in colour (a red stroke on black), as class indices in a
 * palette file (0 background, 1 the class, shown in the tool's colours), or as strokes on a
 * transparent layer; read through luma like an image, all three came out below the threshold and
 * every tile read as no crack. Grey masks without alpha read as they always did.
 */

/**
 * Per pixel the largest of its colour samples (× `scale`, rounded, clamped to a byte), weighed by
 * alpha where the mask has alpha that varies (see largestColour).
 */
export function maskOfColours(data: ArrayLike<number>, n: number, channels: number, scale = 1): Uint8Array {
  const largest = largestColour(data, n, channels, 255);
  const pixels = new Uint8Array(n);
  for (let i = 0; i < n; i++) pixels[i] = Math.min(255, Math.round(largest[i] * scale));
  return pixels;
}

/**
 * maskOfColours' values at the file's depth (`opaque`: its full alpha, 255 or 65535). A mark in any
 * colour on black reads as bright as its brightest channel. Alpha (the last of 2 or 4 channels)
 * counts only where it varies: a stroke whose colour is black everywhere is read by its alpha alone
 * (a stroke layer), any other colour is weighed by it (an anti-aliased rim fades as it shows; a
 * layer white everywhere reads as its alpha). Constant alpha is ignored (an opaque black mask stays empty).
 */
export function largestColour(data: ArrayLike<number>, n: number, channels: number, opaque: number): Uint16Array {
  const colours = channels === 2 || channels === 4 ? channels - 1 : channels;
  const largest = new Uint16Array(n);
  let any = false;
  for (let i = 0; i < n; i++) {
    let most = 0;
    for (let c = 0, o = i * channels; c < colours; c++) if (data[o + c] > most) most = data[o + c];
    largest[i] = most;
    if (most > 0) any = true;
  }
  if (colours === channels || constantAlpha(data, n, channels)) return largest;
  for (let i = 0; i < n; i++) {
    const alpha = data[i * channels + colours];
    largest[i] = any ? Math.round((largest[i] * alpha) / opaque) : alpha;
  }
  return largest;
}

function constantAlpha(data: ArrayLike<number>, n: number, channels: number): boolean {
  for (let i = 1; i < n; i++) if (data[i * channels + channels - 1] !== data[channels - 1]) return false;
  return true;
}

/**
 * A palette mask (8-bit entries, RGB or RGBA): read by the colours it shows, as an RGB(A) mask is.
 * Where those colours mark nothing (all at most 127, and not a 0/1 mask), its indices are classes
 * shown in dark colours (label tools' class 8 is (64, 0, 0)), and every index but 0 (the
 * background, as they number it) is marked.
 */
export function maskOfPalette(indices: ArrayLike<number>, n: number, palette: readonly (readonly number[])[]): Uint8Array {
  const rgba = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    const [r, g, b, a = 255] = palette[indices[i]];
    rgba[4 * i] = r;
    rgba[4 * i + 1] = g;
    rgba[4 * i + 2] = b;
    rgba[4 * i + 3] = a;
  }
  const pixels = maskOfColours(rgba, n, 4);
  let most = 0, classes = false;
  for (let i = 0; i < n; i++) {
    if (pixels[i] > most) most = pixels[i];
    if (indices[i] !== indices[0]) classes = true;
  }
  if (most > 127 || most === 1 || !classes) return pixels;
  for (let i = 0; i < n; i++) pixels[i] = indices[i] === 0 ? 0 : 255;
  return pixels;
}
