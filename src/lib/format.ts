/** A figure for display with `digits` decimals, or "—" where there is none (NaN or ±Infinity: no grains, no intersections). */
export const fixed = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : '—');
