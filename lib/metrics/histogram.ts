// Covered by spec/unit/metrics/run-metrics.spec.ts.
/**
 * Durations kept as a log-scale histogram: buckets 5% wide from 1 µs, so a record stays small (a few
 * hundred numbers at most) however many claims a run makes, and a percentile read from it is within
 * 5% of the exact one. `max` and `total` are exact.
 */
export interface Histogram {
  count: number;
  total: number;
  max: number;
  /** Bucket index → how many durations fell in it; bucket `i` holds (1 µs × 1.05^(i-1), 1 µs × 1.05^i]. */
  buckets: Record<string, number>;
}

const FLOOR_MS = 0.001;
const STEP = Math.log(1.05);

export function emptyHistogram(): Histogram {
  return { count: 0, total: 0, max: 0, buckets: {} };
}

function bucketOf(ms: number): number {
  return ms <= FLOOR_MS ? 0 : Math.ceil(Math.log(ms / FLOOR_MS) / STEP);
}

export function addTo(h: Histogram, ms: number): void {
  const value = Math.max(0, ms);
  const key = String(bucketOf(value));
  h.buckets[key] = (h.buckets[key] ?? 0) + 1;
  h.count++;
  h.total += value;
  if (value > h.max) h.max = value;
}

export function mergeInto(into: Histogram, from: Histogram): void {
  for (const [key, n] of Object.entries(from.buckets)) into.buckets[key] = (into.buckets[key] ?? 0) + n;
  into.count += from.count;
  into.total += from.total;
  into.max = Math.max(into.max, from.max);
}

/** The nearest-rank percentile, as its bucket's upper bound (never above the largest value seen). */
export function percentileOf(h: Histogram, p: number): number {
  if (h.count === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * h.count));
  let seen = 0;
  for (const index of Object.keys(h.buckets).map(Number).sort((a, b) => a - b)) {
    seen += h.buckets[String(index)]!;
    if (seen >= rank) return Math.min(FLOOR_MS * Math.exp(index * STEP), h.max);
  }
  return h.max;
}

export function isHistogram(value: unknown): value is Histogram {
  const h = value as Partial<Histogram> | null;
  return !!h && typeof h.count === 'number' && typeof h.total === 'number' && typeof h.max === 'number' && !!h.buckets && typeof h.buckets === 'object'
    && Object.values(h.buckets).every((n) => Number.isInteger(n) && n > 0);
}
