import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { verifies, type Check } from '../src/check.js';
import { CheckFailure } from '../src/harness/errors.js';
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
});
