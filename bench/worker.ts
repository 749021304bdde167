/*
 * One fresh-process run of the benchmarks: every scenario starts its own server processes and this
 * process is the clients. `run.ts` starts several of these and combines them; run it alone to try a
 * scenario: `tsx bench/worker.ts --sizes smoke --only B1`.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { PendingRow, RunRow } from './lib/rows.js';
import { FULL, SMOKE } from './lib/sizes.js';
import { scenarios } from './scenarios/index.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: 'full' },
    only: { type: 'string' },
    out: { type: 'string' },
  },
});
const sizes = values.sizes === 'smoke' ? SMOKE : FULL;
const only = values.only ? new Set(values.only.split(',')) : undefined;

const rows: RunRow[] = [];
const pending: PendingRow[] = [];
const context: { rawOneClientRate?: number } = {};
for (const scenario of scenarios) {
  if (only && !only.has(scenario.id)) continue;
  const started = performance.now();
  const result = await scenario.run(sizes, context);
  if ('pending' in result) pending.push(...result.pending);
  else rows.push(...result.rows);
  process.stderr.write(`  ${scenario.id} ${scenario.title}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
const output = JSON.stringify({ rows, pending });
if (values.out) writeFileSync(values.out, output);
else process.stdout.write(`${output}\n`);
// Client sockets closed above may still hold timers of socket.io-client; nothing else needs to run.
process.exit(0);
