/**
 * Turns uint8 samples — grey (1 byte per pixel) or RGB (3, interleaved; the length tells) — into
 * canvas pixels, with the label optionally tinted on top.
 */
export function toImageData(image: Uint8Array, width: number, height: number, mask?: Uint8Array): ImageData {
  const rgba = new Uint8ClampedArray(width * height * 4);
  const rgb = image.length === 3 * width * height;
  for (let i = 0; i < width * height; i++) {
    const o = 4 * i;
    if (rgb) {
      rgba[o] = image[3 * i];
      rgba[o + 1] = image[3 * i + 1];
      rgba[o + 2] = image[3 * i + 2];
    } else {
      rgba[o] = rgba[o + 1] = rgba[o + 2] = image[i];
    }
    if (mask && mask[i] > 127) {
      rgba[o] = 255;
      rgba[o + 1] >>= 2;
      rgba[o + 2] >>= 2;
    }
    rgba[o + 3] = 255;
  }
  return new ImageData(rgba, width, height);
}

/** Draws a grey or RGB image into `canvas`, scaled to the canvas' own size. */
export function drawSample(canvas: HTMLCanvasElement, image: Uint8Array, width: number, height: number, mask?: Uint8Array): void {
  const full = new OffscreenCanvas(width, height);
  full.getContext('2d')!.putImageData(toImageData(image, width, height, mask), 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = canvas.width < width;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(full, 0, 0, canvas.width, canvas.height);
}

/** Grey image with a red overlay: `heat` (0–1, blended in proportion) or `boundary` (1 = red). */
export function overlayImageData(image: Uint8Array, width: number, height: number, heat?: Float32Array, boundary?: Uint8Array): ImageData {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const v = image[i], a = heat ? heat[i] * 0.6 : boundary?.[i] ? 1 : 0;
    rgba[4 * i] = v + (255 - v) * a;
    rgba[4 * i + 1] = v * (1 - a);
    rgba[4 * i + 2] = v * (1 - a);
    rgba[4 * i + 3] = 255;
  }
  return new ImageData(rgba, width, height);
}
