/*
 * Benchmarks of the reference gateway against plain Socket.IO doing the same delivery work, measured
 * in the same run on the same machine and reported as ratios. Every run is a fresh worker process
 * whose scenarios start fresh server processes; figures are the median of the runs with their min
 * and max, and latency percentiles come from the merged samples of all runs.
 *
 *   npm run bench                      3 runs, writes the table into docs/benchmarks.md
 *   npm run bench -- --runs 5          more runs
 *   npm run bench -- --only B1,B3      some scenarios (the report is not written)
 *   npm run bench -- --only B6 --write re-take some scenarios: only their rows of the report are replaced
 *   npm run bench -- --smoke           small sizes, one run, checks the tooling (part of npm test)
 *   npm run bench -- --profile         CPU profile of the gateway under B1's one-client stream
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadLine, machineLine } from './lib/machine.js';
import { ROOT } from './lib/processes.js';
import { combine, renderTable, writeReport, writeReportRows, type RunResult } from './lib/report.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});

async function worker(args: string[]): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}bench/${args[0]}`, ...args.slice(1)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`bench/${args[0]} failed (exit ${code})`);
}

async function main(): Promise<void> {
  if (values.profile) return worker(['profile.ts']);
  const runs = Number(values.runs ?? (values.smoke ? 1 : 3));
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  const sizes = values.smoke ? 'smoke' : 'full';
  const machine = machineLine();
  const loadBefore = loadLine();
  const dir = mkdtempSync(join(tmpdir(), 'agent-gateway-bench-'));
  const results: RunResult[] = [];
  const started = performance.now();
  try {
    for (let run = 1; run <= runs; run++) {
      process.stderr.write(`run ${run} of ${runs} (${sizes})\n`);
      const out = join(dir, `run-${run}.json`);
      await worker(['worker.ts', '--sizes', sizes, '--out', out, ...(values.only ? ['--only', values.only] : [])]);
      results.push(JSON.parse(readFileSync(out, 'utf8')) as RunResult);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const combined = combine(results);
  const minutes = ((performance.now() - started) / 60_000).toFixed(1);
  const table = renderTable(combined);
  const header = [
    `Measured ${new Date().toISOString().slice(0, 10)}: ${runs} fresh-process run${runs === 1 ? '' : 's'} (${sizes} sizes) in ${minutes} min.`,
    `Machine: ${machine}.`,
    `Load average (1/5/15 min) before: ${loadBefore}; after: ${loadLine()}. Figures taken on a busy machine are noisy: compare the ratios, and re-take them on a quiet one.`,
  ].join('\n');
  console.log(`${header}\n\n${table}`);
  if (values.smoke) {
    // The smoke run checks the tooling, not the speed: every scenario must have produced figures
    // (or said why it could not run here: B6 without a Redis server).
    const broken = combined.rows.filter((c) => !Number.isFinite(c.gateway.median) || (c.raw && !Number.isFinite(c.raw.median)));
    if ((combined.rows.length === 0 && combined.pending.length === 0) || broken.length > 0)
      throw new Error(`benchmark rows without figures: ${broken.map((c) => c.row.id).join(', ')}`);
    return;
  }
  if (values['no-write'] || (values.only && !values.write)) return;
  if (values.only) {
    const note = `${new Date().toISOString().slice(0, 10)}, ${runs} fresh-process run${runs === 1 ? '' : 's'} (${sizes} sizes) in ${minutes} min, load average before ${loadBefore}, after ${loadLine()}.`;
    writeReportRows(`${ROOT}docs/benchmarks.md`, values.only.split(','), note, table);
    console.log(`\nrows of ${values.only} written to docs/benchmarks.md`);
    return;
  }
  writeReport(`${ROOT}docs/benchmarks.md`, `${header}\n\n${table}`);
  console.log('\nwritten to docs/benchmarks.md');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
