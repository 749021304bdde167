/*
 * Every benchmark row, in report order. A scenario returns measured rows, or pending rows for a
 * measurement whose subject does not exist yet: adding B6 means replacing its pending entry with a
 * scenario that returns rows (bench/scenarios/redis.ts), nothing else.
 */
import type { PendingRow, RunRow } from '../lib/rows.js';
import type { Sizes } from '../lib/sizes.js';
import { conformanceWallTime } from './conformance.js';
import { latency } from './latency.js';
import { memory } from './memory.js';
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
  {
    id: 'B6',
    title: 'Redis store',
    run: async () => ({
      pending: [
        {
          id: 'B6',
          group: 'B6 Redis',
          label: 'B1-B4 with sessions in Redis (three gateway nodes)',
          pending: 'not measured yet: the gateway has no Redis store; add bench/scenarios/redis.ts returning rows and list it here',
        },
      ],
    }),
  },
  {
    id: 'B7',
    title: 'conformance suite wall time',
    async run(sizes) {
      return sizes.conformance ? { rows: await conformanceWallTime() } : { rows: [] };
    },
  },
];
