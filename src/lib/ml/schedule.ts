/** fastai-style schedules: one-cycle learning rate and the LR finder's sweep and suggestion. */

/**
 * One cycle over `total` steps: cosine warm-up from maxLr / 25 to maxLr over the first quarter,
 * then cosine annealing down to maxLr / 25e4 (fastai's defaults: div 25, final div 1e4, pct 0.25).
 */
export function oneCycle(step: number, total: number, maxLr: number, pctStart = 0.25, div = 25, finalDiv = 1e4): number {
  const cos = (from: number, to: number, t: number) => to + ((from - to) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, t))))) / 2;
  const warm = Math.max(1, Math.round(total * pctStart));
  if (step < warm) return cos(maxLr / div, maxLr, step / warm);
  return cos(maxLr, maxLr / div / finalDiv, (step - warm) / Math.max(1, total - warm));
}

/** Exponentially spaced learning rates for the LR finder. */
export function lrSweep(steps: number, from = 1e-6, to = 1): number[] {
  return Array.from({ length: steps }, (_, i) => from * (to / from) ** (i / Math.max(1, steps - 1)));
}

/**
 * Suggested LR from a finder run: smooth the losses (EMA 0.9 with bias correction), stop where the
 * loss has risen past four times its minimum, and take the point of steepest descent before the
 * minimum, as fastai's "steep" suggestion does.
 */
export function suggestLr(lrs: number[], losses: number[]): { smoothed: number[]; suggestion: number } {
  const smoothed: number[] = [];
  let avg = 0;
  losses.forEach((l, i) => {
    avg = 0.9 * avg + 0.1 * l;
    smoothed.push(avg / (1 - 0.9 ** (i + 1)));
  });
  let best = Infinity, bestAt = 0, end = smoothed.length;
  for (let i = 0; i < smoothed.length; i++) {
    if (!Number.isFinite(smoothed[i]) || smoothed[i] > 4 * best) {
      end = i;
      break;
    }
    if (smoothed[i] < best) {
      best = smoothed[i];
      bestAt = i;
    }
  }
  let steepest = 0, at = Math.max(0, Math.floor(bestAt / 2));
  for (let i = 1; i <= Math.min(bestAt, end - 1); i++) {
    const slope = (smoothed[i] - smoothed[i - 1]) / (Math.log(lrs[i]) - Math.log(lrs[i - 1]));
    if (slope < steepest) {
      steepest = slope;
      at = i;
    }
  }
  return { smoothed: smoothed.slice(0, end), suggestion: lrs[at] };
}
