/*
 * `agent-gateway serve --redis`: the built CLI as two processes sharing a session through a real
 * Redis, and its argument errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertGapless, createHarness } from '../helpers/wire.js';
import { REDIS_URL, adminClient, deletePrefix, testPrefix } from './support.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const children: ChildProcess[] = [];
const h = createHarness();
let admin: Redis;
let prefix: string;
beforeAll(async () => {
  admin = await adminClient();
  prefix = testPrefix('cli');
});
afterEach(async () => {
  await h.closeAll();
  for (const child of children.splice(0)) child.kill('SIGTERM');
});
afterAll(async () => {
  await deletePrefix(admin, prefix);
  admin.disconnect();
});

function serve(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--log-level', 'silent', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(proc);
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.once('exit', (code) => reject(new Error(`cli exited with ${code}: ${err}`)));
  });
}

function refusedWith(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.once('exit', (code) => resolve({ code, stderr }));
  });
}

describe.skipIf(!existsSync(CLI))('agent-gateway serve --redis', () => {
  it('two processes share a session: one instance id, events of one reach clients of the other', async () => {
    const redis = ['--redis', REDIS_URL, '--redis-prefix', prefix, '--lease-ttl', '2000'];
    const [a, b] = await Promise.all([serve([...redis, '--node-id', 'cli-a']), serve([...redis, '--node-id', 'cli-b'])]);
    const onA = await h.client(a);
    const onB = await h.client(b);
    const helloOf = (c: typeof onA) => c.rec.packets[0]!.args[0] as { gateway: { instanceId: string } };
    expect(helloOf(onA).gateway.instanceId).toBe(helloOf(onB).gateway.instanceId);
    const joined = await onB.request('join', { sessionId: 'cli-shared', since: 0 });
    if (!joined.ok) throw new Error(JSON.stringify(joined.error));
    const sent = await onA.request('chat.send', { sessionId: 'cli-shared', text: 'hello', idempotencyKey: 'cli-shared-1' });
    if (!sent.ok) throw new Error(JSON.stringify(sent.error));
    await onB.rec.untilEvent('cli-shared', (f) => f.event.type === 'run.end' && f.event.runId === sent.data.runId, { timeoutMs: 20_000 });
    assertGapless(onB.rec.frames('cli-shared'), 0);
    expect((await fetch(`${b}/healthz`)).status).toBe(200);
  });

  it('refuses Redis flags without --redis, a URL that is not redis://, and a Redis that does not answer', async () => {
    expect(await refusedWith(['--node-id', 'x'])).toMatchObject({ code: 2, stderr: expect.stringContaining('need --redis') });
    expect(await refusedWith(['--redis', 'http://127.0.0.1:6379'])).toMatchObject({ code: 2, stderr: expect.stringContaining('redis://') });
    expect(await refusedWith(['--redis', 'redis://127.0.0.1:1'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Redis is unavailable') });
  });
});
