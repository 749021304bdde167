/* What a benchmark scenario reports for one fresh-process run, and how runs are combined. */
import * as hdr from 'hdr-histogram-js';

export type Comparison = 'ratio' | 'difference' | 'none';

export interface Target {
  /** What the target is about: gateway / raw, gateway - raw, or the gateway's own figure. */
  of: Comparison | 'value';
  op: '>=' | '<=';
  value: number;
  /** As written in the table, e.g. "≥ 3.5x". */
  text: string;
}

/** One figure of one run. */
export interface RunRow {
  id: string;
  group: string;
  label: string;
  unit: string;
  gateway: number;
  /** The raw Socket.IO figure for the same work in the same run (absent where there is none). */
  raw?: number;
  compare: Comparison;
  target?: Target;
  /** Latency rows: the run's samples (µs) as compressed HdrHistograms, merged across runs. */
  histograms?: { gateway: string; raw: string };
  /** Set when the measurement could not complete in this run (the figures are then NaN). */
  failed?: string;
  /** Which value of the merged histograms this row shows (100 = max). */
  percentile?: number;
  note?: string;
}

/** A row that cannot be measured in this run, with the reason (B6 when no Redis server answers). */
export interface PendingRow {
  id: string;
  group: string;
  label: string;
  pending: string;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Latency in microseconds, 1 µs to 60 s at 3 significant digits. */
export function newLatencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

export function encodeHistogram(histogram: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

/** Merge the raw samples of every run into one histogram (percentiles are never averaged). */
export function mergeHistograms(encoded: readonly string[]): hdr.Histogram {
  const merged = newLatencyHistogram();
  for (const text of encoded) merged.add(hdr.decodeFromCompressedBase64(text));
  return merged;
}

export function compared(row: Pick<RunRow, 'gateway' | 'raw' | 'compare'>): number | undefined {
  if (row.raw === undefined || row.compare === 'none') return undefined;
  return row.compare === 'ratio' ? row.gateway / row.raw : row.gateway - row.raw;
}

export function meets(target: Target, value: number): boolean {
  return target.op === '>=' ? value >= target.value : value <= target.value;
}

/** A percentile of a latency histogram; 100 is the maximum. */
export function valueAt(histogram: hdr.Histogram, percentile: number): number {
  return percentile >= 100 ? histogram.maxValue : histogram.getValueAtPercentile(percentile);
}
