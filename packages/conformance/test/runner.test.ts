import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { verifies, type Check } from '../src/check.js';
import { CheckFailure } from '../src/harness/errors.js';
import { renderPrettySummary } from '../src/reporters/pretty.js';
import { ConfigError, runSuite } from '../src/runner.js';

const HELLO = {
  protocolVersion: '1.0',
  supported: { min: '1.0', max: '1.0' },
  gateway: { name: 'stub', version: '0.0.1' },
  limits: { maxPayloadBytes: 1_000_000, maxFramesPerBatch: 512, maxEvents: 100, maxBytes: 100_000 },
  control: { enabled: false, commands: [] },
};

/** A bare Socket.IO server playing a gateway, to judge the harness itself. */
async function stub(onConnect: (socket: import('socket.io').Socket) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const http: HttpServer = createServer();
  const io = new Server(http);
  io.on('connection', onConnect);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => io.close(() => resolve())) };
}

let closeStub: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeStub?.();
  closeStub = undefined;
});

const config = (url: string) => ({ url, timeoutMs: 400 });

describe('runner verdicts', () => {
  it('classifies pass, failure, timeout, harness error and skip; a harness error exits 2', async () => {
    const s = await stub((socket) => socket.emit('hello', HELLO));
    closeStub = s.close;
    const checks: Check[] = [
      verifies('R1.1', { id: 't.pass', title: 'passes', run: async (ctx) => void (await ctx.client()) }),
      verifies('R1.2', {
        id: 't.fail',
        title: 'fails',
        run: async () => {
          throw new CheckFailure('wrong', ['right'], 'wrong');
        },
      }),
      verifies('R1.3', { id: 't.timeout', title: 'waits for nothing', run: async (ctx) => void (await (await ctx.client()).waitFor('never.sent')) }),
      verifies('R1.4', {
        id: 't.bug',
        title: 'harness bug',
        run: async () => {
          throw new TypeError('oops');
        },
      }),
      verifies('R7.2', { id: 't.peer', title: 'needs a peer', requires: ['feature:peer'], run: async () => undefined }),
      verifies('R8.2', { id: 't.control', title: 'needs control', requires: ['control:session.trim'], run: async () => undefined }),
    ];
    const report = await runSuite(config(s.url), { checks });
    expect(report.results.map((r) => [r.id, r.verdict])).toEqual([
      ['t.pass', 'passed'],
      ['t.fail', 'failed'],
      ['t.timeout', 'failed'],
      ['t.bug', 'error'],
      ['t.peer', 'skipped'],
      ['t.control', 'not-testable'],
    ]);
    expect(report.results[1]).toMatchObject({ expected: ['right'], actual: 'wrong' });
    expect(report.results[2]!.message).toMatch(/timed out waiting for event never\.sent/);
    expect(report.results[2]!.wireLog.join('\n')).toContain('<- hello');
    expect(report.exitCode).toBe(2);
  });

  it('a gateway frame that violates the schema fails the check as a schema violation', async () => {
    const s = await stub((socket) => {
      socket.emit('hello', HELLO);
      socket.emit('session.event', [{ sessionId: 's1', epoch: 'e1', event: { type: 'stream.chunk', runId: 'r', streamId: 'x', index: 0, text: 'no seq' } }]);
    });
    closeStub = s.close;
    const checks = [
      verifies('R2.1', { id: 't.frames', title: 'just connects', run: async (ctx) => void (await (await ctx.client()).waitFor('session.event')) }),
    ];
    const report = await runSuite(config(s.url), { checks });
    const [result] = report.results;
    expect(result).toMatchObject({ verdict: 'failed' });
    expect(result!.message).toMatch(/violating the schema.*session\.event against EventBatch/);
    expect(result!.violations[0]!.issues.some((i) => i.path.endsWith('/seq'))).toBe(true);
    expect(report.summary.schemaViolations).toBe(1);
    expect(report.exitCode).toBe(1);
  });

  it('an invalid hello or an unreachable gateway is a configuration error', async () => {
    const s = await stub((socket) => socket.emit('hello', { ...HELLO, protocolVersion: 1 }));
    closeStub = s.close;
    await expect(runSuite(config(s.url), { checks: [] })).rejects.toThrow(/hello violates the schema.*protocolVersion/);
    await expect(runSuite(config('http://127.0.0.1:9'), { checks: [] })).rejects.toBeInstanceOf(ConfigError);
  });

  it('zero executed checks is an error (exit 2); repeat reports differing verdicts as flaky', async () => {
    const s = await stub((socket) => socket.emit('hello', HELLO));
    closeStub = s.close;
    const onlySkipped = await runSuite(config(s.url), {
      checks: [verifies('R7.2', { id: 't.peer', title: 'peer', requires: ['feature:peer'], run: async () => undefined })],
    });
    expect(onlySkipped.exitCode).toBe(2);
    let n = 0;
    const flaky = await runSuite(config(s.url), {
      repeat: 2,
      checks: [
        verifies('R1.1', {
          id: 't.flaky',
          title: 'alternates',
          run: async () => {
            if (n++ % 2 === 1) throw new CheckFailure('second time');
          },
        }),
      ],
    });
    expect(flaky.results[0]).toMatchObject({ verdict: 'flaky', attempts: ['passed', 'failed'] });
    expect(flaky.exitCode).toBe(1);
  });

  it('--repeat: a check failing in most attempts is failed, one passing in most is flaky; both say k/N', async () => {
    const s = await stub((socket) => socket.emit('hello', HELLO));
    closeStub = s.close;
    const counters = { mostlyFails: 0, mostlyPasses: 0 };
    const report = await runSuite(config(s.url), {
      repeat: 3,
      checks: [
        verifies('R1.1', {
          id: 't.mostly-fails',
          title: 'passes once in three',
          run: async () => {
            if (counters.mostlyFails++ !== 1) throw new CheckFailure('broken');
          },
        }),
        verifies('R1.2', {
          id: 't.mostly-passes',
          title: 'fails once in three',
          run: async () => {
            if (counters.mostlyPasses++ === 1) throw new CheckFailure('hiccup');
          },
        }),
      ],
    });
    expect(report.results[0]).toMatchObject({ verdict: 'failed', stability: { passed: 1, attempts: 3 }, attempts: ['failed', 'passed', 'failed'] });
    expect(report.results[0]!.message).toMatch(/^failed in 2\/3 attempts \(passed 1\/3\)/);
    expect(report.results[1]).toMatchObject({ verdict: 'flaky', stability: { passed: 2, attempts: 3 } });
    expect(report.results[1]!.message).toMatch(/^passed 2\/3 attempts/);
    expect(report.exitCode).toBe(1);
  });
});

describe('requirement verdicts', () => {
  it('a requirement whose checks all skipped is not verified (with why), even beside a passing check of another clause', async () => {
    const s = await stub((socket) => socket.emit('hello', HELLO));
    closeStub = s.close;
    const report = await runSuite(config(s.url), {
      checks: [
        verifies('R6.1', { id: 't.no-leak', title: 'no leak', covers: ['R6.1#no-leak'], run: async () => undefined }),
        verifies('R6.1', { id: 't.auth', title: 'auth', covers: ['R6.1#authentication'], requires: ['feature:token'], run: async () => undefined }),
        verifies('R7.2', { id: 't.peer', title: 'peer', requires: ['feature:peer'], run: async () => undefined }),
        verifies('R1.4', { id: 't.version', title: 'version', run: async () => undefined }),
      ],
    });
    const r61 = report.requirements.find((r) => r.id === 'R6.1')!;
    expect(r61.verdict).toBe('not-verified');
    expect(r61.why).toEqual([
      'R6.1#authentication: t.auth skipped (no token was given (--token); the gateway is assumed to run without authentication)',
      'R6.1#authorisation: no check of it was selected',
    ]);
    expect(report.requirements.find((r) => r.id === 'R7.2')!.verdict).toBe('not-verified');
    expect(report.requirements.find((r) => r.id === 'R1.4')!.verdict).toBe('passed');
    expect(report.requirements.find((r) => r.id === 'R2.4')!.verdict).toBe('none');
    expect(report.summary.notVerified).toBe(2);
    expect(report.exitCode).toBe(0);
  });

  it('a schema violation seen by a check of another requirement falsifies R1.1, not that requirement', async () => {
    const s = await stub((socket) => {
      socket.emit('hello', HELLO);
      socket.emit('session.event', [{ sessionId: 's1', epoch: 'e1', event: { type: 'stream.chunk', runId: 'r', streamId: 'x', index: 0, text: 'no seq' } }]);
    });
    closeStub = s.close;
    const report = await runSuite(config(s.url), {
      checks: [verifies('R2.5', { id: 't.replay', title: 'replays', run: async (ctx) => void (await (await ctx.client()).waitFor('session.event')) })],
    });
    expect(report.results[0]).toMatchObject({ verdict: 'failed', blame: ['R1.1'] });
    expect(report.requirements.find((r) => r.id === 'R1.1')!.verdict).toBe('failed');
    const r25 = report.requirements.find((r) => r.id === 'R2.5')!;
    expect(r25.verdict).toBe('not-verified');
    expect(r25.why![0]).toMatch(/t\.replay failed/);
  });

  it("a failure narrowed to one requirement leaves the check's other requirement unblamed", async () => {
    const s = await stub((socket) => socket.emit('hello', HELLO));
    closeStub = s.close;
    const report = await runSuite(config(s.url), {
      checks: [
        verifies(['R4.3', 'R4.2'], {
          id: 't.abort',
          title: 'abort',
          run: async () => {
            throw new CheckFailure('row still active', ['inactive row'], null, ['R4.2']);
          },
        }),
      ],
    });
    expect(report.results[0]!.blame).toEqual(['R4.2']);
    expect(report.requirements.find((r) => r.id === 'R4.2')!.verdict).toBe('failed');
    expect(report.requirements.find((r) => r.id === 'R4.3')!.verdict).toBe('not-verified');
  });
});

describe('control levels', () => {
  const level1 = verifies('R2.4', { id: 't.trim', title: 'trims', requires: ['control:session.append', 'control:session.trim'], run: async () => undefined });
  const level2 = verifies('R3.3', { id: 't.pressure', title: 'pressure', requires: ['control:pressure.set'], run: async () => undefined });
  const level0 = verifies('R1.1', { id: 't.plain', title: 'plain', run: async (ctx) => void (await ctx.client()) });

  it('a claimed level skips the checks above it (not testable without the claim) and says what to implement next', async () => {
    const s = await stub((socket) => socket.emit('hello', HELLO));
    closeStub = s.close;
    const unclaimed = await runSuite(config(s.url), { checks: [level0, level1, level2] });
    expect(unclaimed.results.map((r) => [r.id, r.verdict, r.controlLevel])).toEqual([
      ['t.plain', 'passed', 0],
      ['t.trim', 'not-testable', 1],
      ['t.pressure', 'not-testable', 2],
    ]);
    expect(unclaimed.exitCode).toBe(1);
    expect(unclaimed.controlLevel).toMatchObject({ gateway: 0, claimed: 2, next: { level: 1, checks: 1 } });
    expect(unclaimed.controlLevel.next!.commands).toEqual(['capabilities', 'session.append', 'session.trim', 'session.recreate', 'run.script', 'run.release']);
    const claimed = await runSuite(config(s.url), { checks: [level0, level1, level2], level: 0 });
    expect(claimed.results.map((r) => r.verdict)).toEqual(['passed', 'skipped', 'skipped']);
    expect(claimed.results[1]!.message).toMatch(/a level-1 check .*this run claims level 0 \(--level 0\); the gateway lacks session\.append, session\.trim/);
    expect(claimed.exitCode).toBe(0);
    expect(renderPrettySummary(claimed)).toContain(
      'Next: implement capabilities, session.append, session.trim, session.recreate, run.script, run.release (level 1) to unlock 1 more check.',
    );
  });

  it('a check that uses a control command it does not declare is a harness error', async () => {
    const withControl = { ...HELLO, control: { enabled: true, commands: ['session.append', 'session.trim'] } };
    const s = await stub((socket) => {
      socket.emit('hello', withControl);
      socket.on('control', (_params: unknown, ack: (r: unknown) => void) => ack({ ok: true, data: { type: 'session.trim' } }));
    });
    closeStub = s.close;
    const report = await runSuite(
      { ...config(s.url), controlToken: 'c' },
      {
        checks: [
          verifies('R2.2', {
            id: 't.undeclared',
            title: 'trims without saying so',
            requires: ['control:session.append'],
            run: async (ctx) => void (await ctx.control({ type: 'session.trim', sessionId: 's', oldestCursor: 2 })),
          }),
        ],
      },
    );
    expect(report.results[0]!.verdict).toBe('error');
    expect(report.results[0]!.message).toMatch(/uses control command session\.trim without declaring control:session\.trim/);
  });
});
