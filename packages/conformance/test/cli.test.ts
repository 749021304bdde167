import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_VERSION } from '@agent-gateway/schema';
import type { Gateway } from '@agent-gateway/server';
import type { MutantName } from '@agent-gateway/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allChecks } from '../src/checks/index.js';
import { runCli } from '../src/cli-main.js';
import { checkControlLevel } from '../src/levels.js';
import type { SuiteReport } from '../src/runner.js';
import { CONTROL_TOKEN, TOKEN, referenceBaseline, startReference } from './helpers/gateway.js';

const SUITE_CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const SERVER_CLI = fileURLToPath(new URL('../../server/dist/cli.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'conformance-cli-'));

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI in this process (same code as the bin, without a node start-up per case). */
async function cliInProcess(args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

/** Run the conformance CLI as a child process and collect everything it prints. */
function cli(args: string[], opts: { throughPipe?: boolean } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    // `throughPipe`: stdout is an ordinary pipe (64 KiB of buffer, written asynchronously by Node),
    // as in `cli … | jq`, rather than the socket pair Node gives a child by default.
    const child = opts.throughPipe
      ? spawn('bash', ['-c', '"$0" "$@" | cat; exit "${PIPESTATUS[0]}"', process.execPath, SUITE_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [SUITE_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the CLI against the reference gateway running as its own process', () => {
  let server: ChildProcess;
  let url: string;

  beforeAll(async () => {
    server = spawn(process.execPath, [SERVER_CLI, 'serve', '--port', '0', '--token', TOKEN, '--control-token', CONTROL_TOKEN, '--log-level', 'silent'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    url = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      server.stdout!.on('data', (chunk) => {
        buffered += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(buffered);
        if (match) resolve(match[1]!);
      });
      server.once('exit', (code) => reject(new Error(`gateway exited ${code}`)));
    });
  });

  afterAll(() => {
    server?.kill('SIGTERM');
  });

  it('runs the whole suite against the reference (exit 0), and the JSON report arrives whole through a pipe', async () => {
    const run = await cli(['--url', url, '--token', TOKEN, '--control-token', CONTROL_TOKEN, '--reporter', 'json'], { throughPipe: true });
    expect(run.stderr).toContain('exit code 0');
    expect(run.code).toBe(0);
    // Far more than a pipe buffers (64 KiB): the process must not leave before stdout is flushed.
    expect(run.stdout.length).toBeGreaterThan(65_536);
    const report = JSON.parse(run.stdout) as SuiteReport;
    expect(report.results.filter((r) => r.verdict === 'failed').map((r) => r.id)).toEqual([...referenceBaseline.keys()]);
    expect(report.suite).toMatchObject({ name: '@agent-gateway/conformance', protocolVersion: PROTOCOL_VERSION });
    expect(report.gateway).toMatchObject({ name: 'agent-gateway-reference', protocolVersion: PROTOCOL_VERSION, controlEnabled: true });
    expect(report.gateway.controlCommands.length).toBeGreaterThan(5);
    // Skipped: what this gateway does not claim (peer, restart, advertised bounds, origins) and the
    // per-principal checks (no --forbidden-prefix).
    const skipped = report.results
      .filter((r) => r.verdict === 'skipped')
      .map((r) => r.id)
      .sort();
    expect(skipped).toEqual([
      'auth.forbidden-join-leaks-nothing',
      'limits.connections-per-principal',
      'limits.foreign-origin-refused',
      'limits.idle-session-unloaded',
      'limits.sessions-per-principal',
      'refusal.forbidden-creates-nothing',
      'scale.peer-live-fanout',
      'scale.peer-resume',
      'scale.restart-keeps-epoch',
    ]);
    expect(report.summary.executed).toBe(report.summary.total - skipped.length);
    // R6.1 is not verified without --forbidden-prefix: its authorisation clause never ran.
    expect(report.requirements.find((r) => r.id === 'R6.1')).toMatchObject({ verdict: 'not-verified' });
  }, 120_000);

  it('prints progress and the pretty summary, and junit on demand', async () => {
    const pretty = await cliInProcess(['--url', url, '--token', TOKEN, '--control-token', CONTROL_TOKEN, '--grep', 'R2.4']);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toMatch(/\[ ?1\/12\] PASS +resume\.since-oldest-minus-two \(R2\.4\)/);
    expect(pretty.stdout).toContain('12 checks: 12 passed');
    const junit = await cliInProcess(['--url', url, '--token', TOKEN, '--control-token', CONTROL_TOKEN, '--grep', 'join.joined-shape', '--reporter', 'junit']);
    expect(junit.stdout).toContain('<testcase classname="R2.3" name="join.joined-shape');
  }, 60_000);

  it('a check without its control command is not testable and fails the run (exit 1)', async () => {
    const run = await cliInProcess(['--url', url, '--token', TOKEN, '--grep', 'resume.since-ahead']);
    expect(run.stdout).toMatch(/NOT TESTABLE +resume\.since-ahead \(R2\.4\).*no control token/);
    expect(run.code).toBe(1);
  }, 30_000);

  it('without a control surface, --level 0 runs what the public protocol can cause and says what to implement next (exit 0)', async () => {
    const run = await cliInProcess(['--url', url, '--token', TOKEN, '--level', '0', '--reporter', 'json']);
    const report = JSON.parse(run.stdout) as SuiteReport;
    // Every level-0 check whose features were given runs and passes (the two that need a control
    // token to probe with skip themselves); sessions are seeded by chat turns instead of session.append.
    const runnable = allChecks
      .filter((c) => checkControlLevel(c) === 0 && (c.requires ?? []).every((r) => r === 'feature:token'))
      .map((c) => c.id)
      .filter((id) => !['auth.control-token-alone-refused', 'control.unadvertised-command-unsupported'].includes(id));
    expect(report.results.filter((r) => r.verdict === 'passed').map((r) => r.id)).toEqual(runnable);
    expect(runnable.length).toBeGreaterThanOrEqual(38);
    expect(report.results.filter((r) => r.verdict !== 'passed' && r.verdict !== 'skipped')).toEqual([]);
    expect(report.controlLevel.gateway).toBe(0);
    expect(run.stderr).toMatch(/Next: implement capabilities, session\.append, .*\(level 1\) to unlock \d+ more checks \(session\.append alone: \d+/);
    expect(run.code).toBe(0);
  }, 120_000);

  it('a listed expected failure that passes is a stale baseline (exit 1)', async () => {
    const file = join(tmp, 'stale.yaml');
    writeFileSync(file, '- id: join.joined-shape\n  reason: believed broken\n');
    const run = await cliInProcess([
      '--url',
      url,
      '--token',
      TOKEN,
      '--control-token',
      CONTROL_TOKEN,
      '--grep',
      'join.joined-shape',
      '--expected-failures',
      file,
    ]);
    expect(run.stdout).toContain('STALE');
    expect(run.code).toBe(1);
  }, 30_000);

  it('--repeat runs every check n times', async () => {
    const run = await cliInProcess([
      '--url',
      url,
      '--token',
      TOKEN,
      '--control-token',
      CONTROL_TOKEN,
      '--grep',
      'join.empty-session',
      '--repeat',
      '3',
      '--reporter',
      'json',
    ]);
    const report = JSON.parse(run.stdout) as SuiteReport;
    expect(report.results[0]!.attempts).toEqual(['passed', 'passed', 'passed']);
    expect(run.code).toBe(0);
  }, 30_000);
});

describe('CLI configuration errors exit 2', () => {
  it('without --url', async () => {
    expect((await cliInProcess([])).code).toBe(2);
  });
  it('when no check matches --grep (zero checks would run)', async () => {
    expect((await cliInProcess(['--url', 'http://127.0.0.1:9', '--grep', 'no-such-check-anywhere'])).code).toBe(2);
  });
  it('when the gateway is unreachable', async () => {
    const run = await cliInProcess(['--url', 'http://127.0.0.1:9', '--timeout', '2000']);
    expect(run.stderr).toContain('cannot reach a gateway');
    expect(run.code).toBe(2);
  }, 20_000);
  it('for a level that does not exist', async () => {
    const run = await cliInProcess(['--url', 'http://127.0.0.1:9', '--level', '3']);
    expect(run.stderr).toContain('--level must be 0, 1 or 2');
    expect(run.code).toBe(2);
  });
  it('for an unknown option', async () => {
    expect((await cliInProcess(['--url', 'http://127.0.0.1:9', '--bogus'])).code).toBe(2);
  });
  it('--list prints every check with its requirement', async () => {
    const run = await cliInProcess(['--list']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^resume\.since-oldest-minus-one\tR2\.4\tMUST\tlevel 1\t/m);
    expect(run.stdout).toMatch(/^runs\.idempotency-key-per-session\tR4\.3\tMUST\tlevel 0\t/m);
  });
});

describe('the CLI names the broken requirement of a mutant gateway (exit 1)', () => {
  // The first two run the real bin as a child process, the others the same code in-process.
  const cases: [MutantName, string, RegExp, typeof cli][] = [
    ['resyncAtOldestMinusOne', 'R2.4', /FAIL +resume\.since-oldest-minus-one \(R2\.4\)/, cli],
    ['heartbeatGlobalSkipReason', 'R5.2', /FAIL +heartbeat\.busy-lane-session-busy \(R5\.2\)/, cli],
    ['omitSeqOnChunks', 'R2.1', /FAIL +frames\.seq-epoch-on-every-frame \(R2\.1\)/, cliInProcess],
    ['reviveActiveRunAfterTerminal', 'R4.2', /FAIL +sessions\.terminal-list-not-active \(R4\.2\)/, cliInProcess],
  ];
  for (const [fault, requirement, line, run_] of cases) {
    it(`${fault} -> ${requirement}`, async () => {
      const gateway: Gateway = await startReference(fault);
      try {
        const run = await run_(['--url', gateway.url, '--token', TOKEN, '--control-token', CONTROL_TOKEN, '--grep', requirement]);
        expect(run.stdout).toMatch(line);
        expect(run.stdout).toContain('expected (any of):');
        expect(run.stdout).toContain('wire log:');
        expect(run.code).toBe(1);
      } finally {
        await gateway.close();
      }
    }, 60_000);
  }
});
