/*
 * Two gateways in this process sharing sessions through a real Redis: live fan-out across them,
 * resume on the other one, the idempotency guard, one run at a time, abort and run.subscribe from
 * either, rows and hasActiveRun the same on both.
 */
import type { EventFrame, SessionsChanged } from '@agent-gateway/schema';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/index.js';
import { redisEngine } from '../../src/redis/index.js';
import { assertGapless, createHarness, type Client } from '../helpers/wire.js';
import { REDIS_URL, adminClient, deletePrefix, testPrefix } from './support.js';

const CONTROL = 'cluster-control';
let admin: Redis;
beforeAll(async () => void (admin = await adminClient()));
afterAll(() => admin?.disconnect());

describe('two gateways sharing sessions through Redis', () => {
  const harness = createHarness();
  let prefix: string;
  let a: Gateway;
  let b: Gateway;

  const node = (nodeId: string) =>
    harness.start({ controlToken: CONTROL, engine: redisEngine({ url: REDIS_URL, prefix, nodeId, leaseTtlMs: 1_000 }), heartbeat: { enabled: false } });

  beforeAll(async () => {
    prefix = testPrefix('cluster');
    a = await node('a');
    b = await node('b');
  });
  afterEach(async () => {
    // Sockets of one case never leak into the next.
  });
  afterAll(async () => {
    await harness.closeAll();
    await deletePrefix(admin, prefix);
  });

  const ok = <T>(result: { ok: boolean; data?: T; error?: unknown }): T => {
    if (!result.ok) throw new Error(`request failed: ${JSON.stringify(result.error)}`);
    return result.data as T;
  };

  it('fans events appended on one gateway out to clients of the other, gapless, and resumes there by replay', async () => {
    const ctl = await harness.client(a, { controlToken: CONTROL });
    const reader = await harness.client(b);
    const joined = ok(await reader.request('join', { sessionId: 'fan', since: 0 }));
    const appended = ok(
      await ctl.request('control', {
        type: 'session.append',
        sessionId: 'fan',
        events: Array.from({ length: 5 }, (_, i) => ({ type: 'message' as const, messageId: `m${i}`, role: 'user' as const, text: `t${i}`, at: i })),
      }),
    );
    expect(appended).toMatchObject({ firstSeq: 1, lastSeq: 5, epoch: joined.epoch });
    await reader.rec.untilSeq('fan', 5);
    expect(assertGapless(reader.rec.frames('fan'), 0)).toBe(5);

    const resumed = await harness.client(a);
    const again = ok(await resumed.request('join', { sessionId: 'fan', since: 2, epoch: joined.epoch }));
    expect(again).toMatchObject({ epoch: joined.epoch, cursor: 5, resyncRequired: false });
    await resumed.rec.untilSeq('fan', 5);
    expect(resumed.rec.frames('fan').map((f) => f.seq)).toEqual([3, 4, 5]);
  });

  it('keeps the replay -> live handoff gapless while another gateway streams', async () => {
    const ctl = await harness.client(a, { controlToken: CONTROL });
    const started = ok(await ctl.request('control', { type: 'run.script', sessionId: 'stream', steps: [{ type: 'chunks', count: 1_000, text: 'x' }] }));
    // Join on the other gateway while the run streams there.
    const late: Client[] = [];
    for (let i = 0; i < 3; i++) {
      const client = await harness.client(b);
      ok(await client.request('join', { sessionId: 'stream', since: 0 }));
      late.push(client);
    }
    for (const client of late) {
      await client.rec.untilEvent('stream', (f) => f.event.type === 'run.end' && f.event.runId === started.runId, { timeoutMs: 20_000 });
      const frames = client.rec.frames('stream');
      assertGapless(frames, 0);
      expect(new Set(frames.map((f) => f.seq)).size).toBe(frames.length);
    }
  });

  it('answers a repeated chat.send on the other gateway with the original run', async () => {
    const first = await harness.client(a);
    const second = await harness.client(b);
    const original = ok(await first.request('chat.send', { sessionId: 'idem', text: 'hello', idempotencyKey: 'same-key' }));
    const repeat = ok(await second.request('chat.send', { sessionId: 'idem', text: 'hello', idempotencyKey: 'same-key' }));
    expect(repeat).toMatchObject({ runId: original.runId, duplicate: true });
    expect(original.duplicate).toBe(false);
  });

  it('runs one turn of a session at a time across gateways, and rows agree whichever is asked', async () => {
    const ctlA = await harness.client(a, { controlToken: CONTROL });
    const ctlB = await harness.client(b, { controlToken: CONTROL });
    const watcher = await harness.client(b);
    ok(await watcher.request('join', { sessionId: 'lane', since: 0 }));
    const first = ok(await ctlA.request('control', { type: 'run.script', sessionId: 'lane', steps: [{ type: 'hold', gate: 'g1' }] }));
    await watcher.rec.untilEvent('lane', (f) => f.event.type === 'run.start');
    const second = ok(await ctlB.request('control', { type: 'run.script', sessionId: 'lane', steps: [{ type: 'chunks', count: 2, text: 'y' }] }));
    // The second run waits for the first, though it was sent to the other gateway.
    for (const gw of [a, b]) {
      const lister = await harness.client(gw);
      const rows = ok(await lister.request('sessions.list', {})).sessions.filter((r) => r.sessionId === 'lane');
      expect(rows).toEqual([expect.objectContaining({ hasActiveRun: true, activeRunId: first.runId })]);
    }
    ok(await ctlA.request('control', { type: 'run.release', sessionId: 'lane', gate: 'g1' }));
    await watcher.rec.untilEvent('lane', (f) => f.event.type === 'run.end' && f.event.runId === second.runId, { timeoutMs: 10_000 });
    const kinds = watcher.rec
      .frames('lane')
      .filter((f) => f.event.type === 'run.start' || f.event.type === 'run.end')
      .map((f) => `${f.event.type}:${(f.event as { runId: string }).runId === first.runId ? 1 : 2}`);
    expect(kinds).toEqual(['run.start:1', 'run.end:1', 'run.start:2', 'run.end:2']);
    // R4.2 across gateways: on the terminal broadcast, a list on the other gateway shows nothing active.
    const end = await watcher.rec.waitFor(
      (p) =>
        p.event === 'sessions.changed' && (p.args[0] as SessionsChanged).reason === 'run.end' && (p.args[0] as SessionsChanged).row.lastRunId === second.runId,
    );
    expect(end).toBeDefined();
    const rows = ok(await watcher.request('sessions.list', {})).sessions.filter((r) => r.sessionId === 'lane');
    expect(rows).toEqual([expect.objectContaining({ hasActiveRun: false, activeRunId: null, status: 'completed' })]);
  });

  it('aborts and subscribes to a run from the gateway that does not execute it', async () => {
    const ctlA = await harness.client(a, { controlToken: CONTROL });
    const other = await harness.client(b);
    ok(await other.request('join', { sessionId: 'abort', since: 0 }));
    const run = ok(
      await ctlA.request('control', {
        type: 'run.script',
        sessionId: 'abort',
        steps: [
          { type: 'tool', toolCallId: 'c1', toolName: 'probe', phase: 'start' },
          { type: 'hold', gate: 'never' },
        ],
      }),
    );
    await other.rec.untilEvent('abort', (f) => f.event.type === 'tool');
    const subscribed = ok(await other.request('run.subscribe', { sessionId: 'abort', runId: run.runId! }));
    expect(subscribed.runId).toBe(run.runId);
    const aborted = ok(await other.request('chat.abort', { sessionId: 'abort', runId: run.runId! }));
    expect(aborted).toMatchObject({ runId: run.runId, aborted: true });
    const end = await other.rec.untilEvent('abort', (f) => f.event.type === 'run.end' && f.event.runId === run.runId);
    const frame = (end.args[0] as EventFrame[]).find((f) => f.event.type === 'run.end')!;
    expect(frame.event).toMatchObject({ status: 'aborted' });
    const again = ok(await other.request('chat.abort', { sessionId: 'abort', runId: run.runId! }));
    expect(again).toMatchObject({ aborted: false, status: 'aborted' });
  });

  it('answers RUN_NOT_FOUND for a run of another session, from either gateway', async () => {
    const client = await harness.client(a);
    const sent = ok(await client.request('chat.send', { sessionId: 'scope-1', text: 'x', idempotencyKey: 'scope' }));
    const elsewhere = await harness.client(b);
    const result = await elsewhere.request('chat.abort', { sessionId: 'scope-2', runId: sent.runId });
    expect(result).toMatchObject({ ok: false, error: { code: 'RUN_NOT_FOUND' } });
  });

  it('runs each period of a session heartbeat on one gateway only', async () => {
    const beatPrefix = testPrefix('beats');
    const intervalMs = 250;
    const beating = (nodeId: string) =>
      harness.start({ engine: redisEngine({ url: REDIS_URL, prefix: beatPrefix, nodeId, leaseTtlMs: 1_000 }), heartbeat: { intervalMs } });
    const [x, y] = await Promise.all([beating('beat-x'), beating('beat-y')]);
    const onX = await harness.client(x);
    const onY = await harness.client(y);
    ok(await onX.request('join', { sessionId: 'beats', since: 0 }));
    ok(await onY.request('join', { sessionId: 'beats', since: 0 }));
    const started = performance.now();
    const interval = (f: EventFrame) => f.event.type === 'heartbeat' && f.event.trigger === 'interval' && f.event.status === 'ran';
    await onY.rec.waitFor(() => onY.rec.frames('beats').filter(interval).length >= 6, { timeoutMs: 20_000, what: 'six periodic heartbeats' });
    // Each period is claimed for 0.8 of it: six heartbeats span at least five claims, whichever
    // gateway ran them. Two gateways beating on their own would get there in about three periods.
    expect(performance.now() - started).toBeGreaterThanOrEqual(5 * 0.8 * intervalMs);
    await x.close();
    await y.close();
    await deletePrefix(admin, beatPrefix);
  });
});
