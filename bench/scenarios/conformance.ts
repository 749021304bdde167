/* B7: wall time of the conformance suite against a local gateway (the CLI), and its verdict. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { CONTROL_TOKEN, ROOT, startGatewayCli } from '../lib/processes.js';
import type { RunRow } from '../lib/rows.js';

export async function conformanceWallTime(): Promise<RunRow[]> {
  const server = await startGatewayCli();
  try {
    const started = performance.now();
    const suite = spawn(process.execPath, [`${ROOT}packages/conformance/dist/cli.js`, '--url', server.url, '--control-token', CONTROL_TOKEN], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const [code] = (await once(suite, 'exit')) as [number | null];
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`the conformance suite failed against the reference gateway (exit ${code})`);
    return [
      {
        id: 'B7',
        group: 'B7 conformance',
        label: 'conformance suite wall time against a local gateway (all checks passed)',
        unit: 's',
        gateway: seconds,
        compare: 'none',
        target: { of: 'value', op: '<=', value: 30, text: '< 30 s' },
      },
    ];
  } finally {
    await server.stop();
  }
}
