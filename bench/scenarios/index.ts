/*
 * Every benchmark row, in report order. A scenario returns measured rows, or pending rows for a
 * measurement that cannot be taken in this run (B6 without a Redis server): the report shows them
 * with the reason instead of figures.
 */
import type { PendingRow, RunRow } from '../lib/rows.js';
import type { Sizes } from '../lib/sizes.js';
import { conformanceWallTime } from './conformance.js';
import { latency } from './latency.js';
import { memory } from './memory.js';
import { redisRows } from './redis.js';
import { resume } from './resume.js';
import { fanOut, tokenStream } from './streams.js';
import { validationShare } from './validation.js';

export interface ScenarioContext {
  /** B1's raw one-client rate of this run; B1b paces at half of it. */
  rawOneClientRate?: number;
}

export interface Scenario {
  id: string;
  title: string;
  run(sizes: Sizes, context: ScenarioContext): Promise<{ rows: RunRow[] } | { pending: PendingRow[] }>;
}

export const scenarios: Scenario[] = [
  {
    id: 'B1',
    title: 'token stream',
    async run(sizes, context) {
      const plain = await tokenStream(sizes, 'ws');
      context.rawOneClientRate = plain.rawOneClientRate;
      if (!sizes.transports) return { rows: plain.rows };
      const bufferutil = await tokenStream(sizes, 'ws+bufferutil');
      return { rows: [...plain.rows, ...bufferutil.rows] };
    },
  },
  {
    id: 'B1b',
    title: 'latency at half of raw maximum rate',
    async run(sizes, context) {
      return { rows: await latency(sizes, context.rawOneClientRate) };
    },
  },
  { id: 'B2', title: 'fan-out', run: async (sizes) => ({ rows: await fanOut(sizes) }) },
  { id: 'B3', title: 'resume', run: async (sizes) => ({ rows: await resume(sizes) }) },
  { id: 'B4', title: 'memory', run: async (sizes) => ({ rows: await memory(sizes) }) },
  { id: 'B5', title: 'validation share of server CPU', run: async (sizes) => ({ rows: await validationShare(sizes) }) },
  { id: 'B6', title: 'Redis engine: append + fan-out on one and three nodes', run: (sizes) => redisRows(sizes) },
  {
    id: 'B7',
    title: 'conformance suite wall time',
    async run(sizes) {
      return sizes.conformance ? { rows: await conformanceWallTime() } : { rows: [] };
    },
  },
];
