import { createGateway } from '@agent-gateway/server';
import { runSuite } from '../src/runner.js';
import { progressLine, renderPrettySummary } from '../src/reporters/pretty.js';

const faults = process.argv[2] ? { [process.argv[2]]: true } : undefined;
const gw = await createGateway({ controlToken: 'ctl', token: 'tok', logger: false, faults, diagnosticsIntervalMs: 200 } as never);
const report = await runSuite({ url: gw.url, token: 'tok', controlToken: 'ctl', timeoutMs: 5000 }, { grep: process.argv[3], onResult: (r, i, n) => console.log(progressLine(r, i, n)) });
console.log(renderPrettySummary(report));
await gw.close();
process.exit(0);
