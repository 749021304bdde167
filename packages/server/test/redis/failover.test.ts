/*
 * Gateways as separate processes sharing sessions through a real Redis. A long streamed run
 * executes on node A while clients follow the session on every node; A is killed with SIGKILL
 * mid-stream. Its clients reconnect to the surviving nodes and resume by cursor: every client's
 * sequence must stay gapless and duplicate-free, no acknowledged chat.send may be lost, the orphaned
 * run must end as failed, and no row may keep an active run. Then every node stops and starts
 * again: clients resume with the same epoch, by replay.
 */
import type { EventFrame, Joined, SessionEvent } from '@agent-gateway/schema';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertGapless, createHarness, type Client } from '../helpers/wire.js';
import { startNode, type NodeProcess } from './nodes.js';
import { REDIS_URL, adminClient, deletePrefix, testPrefix } from './support.js';

const CONTROL = 'failover-control';
const LEASE_TTL_MS = 1_500;
let admin: Redis;
beforeAll(async () => void (admin = await adminClient()));
afterAll(() => admin?.disconnect());

function ok<T>(result: { ok: boolean; data?: T; error?: unknown }): T {
  if (!result.ok) throw new Error(`request failed: ${JSON.stringify(result.error)}`);
  return result.data as T;
}

/** One client following a session across connections, as a reconnecting client would. */
class Follower {
  /** Every frame received, over all connections, in arrival order. */
  readonly frames: EventFrame[] = [];
  readonly resyncs: string[] = [];
  epoch: string | undefined;
  client!: Client;

  constructor(
    readonly name: string,
    private readonly harness: ReturnType<typeof createHarness>,
    private readonly sessionId: string,
  ) {}

  get lastSeq(): number {
    return this.frames.length === 0 ? 0 : this.frames[this.frames.length - 1]!.seq;
  }

  /** Connect to `url` and join from what this follower has (since its last seq, in its epoch). */
  async attach(url: string): Promise<Joined> {
    if (this.client) this.frames.push(...this.client.rec.frames(this.sessionId));
    this.client = await this.harness.client(url);
    const since = this.epoch === undefined ? 0 : this.lastSeq;
    const joined = ok(await this.client.request('join', { sessionId: this.sessionId, since, ...(this.epoch ? { epoch: this.epoch } : {}) }));
    if (joined.resyncRequired) this.resyncs.push(joined.reason ?? 'unknown');
    this.epoch = joined.epoch;
    return joined;
  }

  /** All frames so far, the current connection's included. */
  all(): EventFrame[] {
    return [...this.frames, ...this.client.rec.frames(this.sessionId)];
  }
}

for (const nodeCount of [2, 3]) {
  describe(`${nodeCount} gateway processes sharing sessions`, () => {
    const harness = createHarness();
    let prefix: string;
    let nodes: NodeProcess[] = [];

    const start = async (ids: string[]) =>
      (nodes = await Promise.all(ids.map((nodeId) => startNode({ url: REDIS_URL, prefix, nodeId, leaseTtlMs: LEASE_TTL_MS, controlToken: CONTROL }))));

    beforeAll(() => void (prefix = testPrefix(`failover${nodeCount}`)));
    afterEach(async () => {
      await harness.closeAll();
      await Promise.all(nodes.map((n) => n.kill()));
    });
    afterAll(async () => void (await deletePrefix(admin, prefix)));

    it('SIGKILL of the node running a streamed run: clients resume elsewhere, gapless; the run ends failed; nothing stays active', async () => {
      const ids = ['a', 'b', 'c'].slice(0, nodeCount);
      await start(ids);
      const [nodeA, ...survivors] = nodes;
      const sessionId = 'failover';
      const followers = Array.from({ length: nodeCount * 3 }, (_, i) => new Follower(`f${i}`, harness, sessionId));
      await Promise.all(followers.map((f, i) => f.attach(nodes[i % nodeCount]!.url)));

      // A long streamed run on A, and acknowledged chat.sends queued behind it on A and on B.
      const ctl = await harness.client(nodeA!.url, { controlToken: CONTROL });
      const long = ok(
        await ctl.request('control', {
          type: 'run.script',
          sessionId,
          steps: [
            { type: 'tool', toolCallId: 'left-open', toolName: 'fetch', phase: 'start' },
            { type: 'chunks', count: 4_000, text: 'x' },
          ],
        }),
      );
      const onA = ok(await (await harness.client(nodeA!.url)).request('chat.send', { sessionId, text: 'queued on a', idempotencyKey: 'on-a' }));
      const onB = ok(await (await harness.client(survivors[0]!.url)).request('chat.send', { sessionId, text: 'queued on b', idempotencyKey: 'on-b' }));
      await Promise.all(followers.map((f) => f.client.rec.untilSeq(sessionId, 300, { timeoutMs: 20_000 })));

      const killedAt = performance.now();
      await nodeA!.kill();
      const resumeMs: number[] = [];
      await Promise.all(
        followers.map(async (f, i) => {
          if (i % nodeCount !== 0) return;
          // A load balancer sends the reconnecting client to a live node.
          const joined = await f.attach(survivors[i % survivors.length]!.url);
          await f.client.rec.untilSeq(sessionId, joined.cursor, { timeoutMs: 10_000 }).catch(() => undefined);
          resumeMs.push(performance.now() - killedAt);
        }),
      );

      // The orphaned run ends as failed, then B's queued run runs to completion.
      const isEnd = (runId: string) => (frame: EventFrame) => frame.event.type === 'run.end' && frame.event.runId === runId;
      await followers[1]!.client.rec.untilEvent(sessionId, isEnd(long.runId!), { timeoutMs: 30_000 });
      const orphanEndedMs = performance.now() - killedAt;
      await Promise.all(followers.map((f) => f.client.rec.untilEvent(sessionId, isEnd(onB.runId), { timeoutMs: 30_000 })));

      const events = new Map<number, SessionEvent>();
      let frames = 0;
      for (const f of followers) {
        const all = f.all();
        frames += all.length;
        // Throws on any gap or duplicate across the follower's connections.
        assertGapless(all, 0);
        for (const frame of all) events.set(frame.seq, frame.event);
      }
      const runEnd = (runId: string) =>
        [...events.values()].find((e) => e.type === 'run.end' && e.runId === runId) as Extract<SessionEvent, { type: 'run.end' }>;
      expect(runEnd(long.runId!)).toMatchObject({ status: 'failed', error: { code: 'UNAVAILABLE', message: expect.stringContaining('(a) stopped') } });
      // The tool call its node left open is closed before the run ends (R3.1).
      const phases = [...events.values()]
        .filter((e) => e.type === 'tool' && e.runId === long.runId)
        .map((e) => (e as Extract<SessionEvent, { type: 'tool' }>).phase);
      expect(phases).toEqual(['start', 'error']);
      expect(runEnd(onA.runId)).toMatchObject({ status: 'failed' });
      expect(runEnd(onB.runId)).toMatchObject({ status: 'completed' });
      const userTexts = [...events.values()].filter((e) => e.type === 'message' && e.role === 'user').map((e) => (e as { text: string }).text);
      expect(userTexts).toEqual(['queued on a', 'queued on b']);
      expect(followers.every((f) => f.resyncs.length === 0)).toBe(true);

      for (const node of survivors) {
        const lister = await harness.client(node.url);
        const rows = ok(await lister.request('sessions.list', {})).sessions.filter((r) => r.sessionId === sessionId);
        expect(rows).toEqual([expect.objectContaining({ hasActiveRun: false, activeRunId: null })]);
      }
      console.log(
        `[failover ${nodeCount} nodes] clients ${followers.length}, events ${events.size}, frames ${frames}, gaps 0, duplicates 0, ` +
          `resyncs ${followers.reduce((n, f) => n + f.resyncs.length, 0)}, resume after SIGKILL ${resumeMs.map((ms) => ms.toFixed(0)).join('/')} ms, ` +
          `orphaned run ended as failed ${orphanEndedMs.toFixed(0)} ms after SIGKILL (lease TTL ${LEASE_TTL_MS} ms)`,
      );
    }, 90_000);

    it('stopping every node and starting them again keeps the epoch: clients resume by replay', async () => {
      await start(['r1', 'r2', 'r3'].slice(0, nodeCount));
      const sessionId = 'restart';
      const followers = Array.from({ length: nodeCount * 2 }, (_, i) => new Follower(`r${i}`, harness, sessionId));
      await Promise.all(followers.map((f, i) => f.attach(nodes[i % nodeCount]!.url)));
      const sent = ok(await (await harness.client(nodes[0]!.url)).request('chat.send', { sessionId, text: 'before restart', idempotencyKey: 'before' }));
      const end = (frame: EventFrame) => frame.event.type === 'run.end' && frame.event.runId === sent.runId;
      await Promise.all(followers.map((f) => f.client.rec.untilEvent(sessionId, end, { timeoutMs: 20_000 })));
      const epoch = followers[0]!.epoch;

      await harness.closeAll();
      await Promise.all(nodes.map((n) => n.close()));
      await start(['r1', 'r2', 'r3'].slice(0, nodeCount));
      // Appended while the followers were away: they must get it by replay.
      const after = ok(
        await (await harness.client(nodes[1 % nodeCount]!.url)).request('chat.send', { sessionId, text: 'after restart', idempotencyKey: 'after' }),
      );
      expect(after.duplicate).toBe(false);
      const again = ok(await (await harness.client(nodes[0]!.url)).request('chat.send', { sessionId, text: 'before restart', idempotencyKey: 'before' }));
      expect(again).toMatchObject({ runId: sent.runId, duplicate: true });
      for (const [i, f] of followers.entries()) {
        const joined = await f.attach(nodes[(i + 1) % nodeCount]!.url);
        expect(joined).toMatchObject({ epoch, resyncRequired: false });
        await f.client.rec.untilEvent(sessionId, (frame) => frame.event.type === 'run.end' && frame.event.runId === after.runId, { timeoutMs: 20_000 });
        assertGapless(f.all(), 0);
      }
      console.log(`[restart ${nodeCount} nodes] clients ${followers.length}, every node stopped and started again: same epoch, resyncs 0, replay`);
    }, 90_000);
  });
}

describe('a gateway node killed and started again under the same id', () => {
  const harness = createHarness();
  let prefix: string;
  let node: NodeProcess | undefined;

  beforeAll(() => void (prefix = testPrefix('restart-same-id')));
  afterEach(async () => {
    await harness.closeAll();
    await node?.kill();
  });
  afterAll(async () => void (await deletePrefix(admin, prefix)));

  it('ends the runs its previous process left active (nobody else would), and the session runs on', async () => {
    const settings = { url: REDIS_URL, prefix, nodeId: 'solo', leaseTtlMs: LEASE_TTL_MS, controlToken: CONTROL };
    node = await startNode(settings);
    const sessionId = 'restarted-at-once';
    const ctl = await harness.client(node.url, { controlToken: CONTROL });
    ok(await ctl.request('join', { sessionId }));
    const held = ok(
      await ctl.request('control', {
        type: 'run.script',
        sessionId,
        steps: [
          { type: 'tool', toolCallId: 'open', toolName: 'fetch', phase: 'start' },
          { type: 'chunks', count: 3, text: 'x' },
          { type: 'hold', gate: 'never' },
        ],
      }),
    );
    await ctl.rec.untilEvent(sessionId, (f) => f.event.type === 'stream.chunk', { timeoutMs: 10_000 });
    await node.kill();
    node = await startNode(settings);

    const client = await harness.client(node.url);
    ok(await client.request('join', { sessionId, since: 0 }));
    const isHeldEnd = (f: EventFrame) => f.event.type === 'run.end' && f.event.runId === held.runId;
    await client.rec.untilEvent(sessionId, isHeldEnd, { timeoutMs: 15_000 });
    expect(client.rec.frames(sessionId).find(isHeldEnd)?.event).toMatchObject({
      status: 'failed',
      error: { code: 'UNAVAILABLE', message: expect.stringContaining('(solo) stopped') },
    });
    const tools = client.rec
      .frames(sessionId)
      .filter((f) => f.event.type === 'tool')
      .map((f) => (f.event as Extract<SessionEvent, { type: 'tool' }>).phase);
    expect(tools).toEqual(['start', 'error']);
    const listed = ok(await client.request('sessions.list', { limit: 10 }));
    expect(listed.sessions.find((r) => r.sessionId === sessionId)).toMatchObject({ status: 'failed', hasActiveRun: false, activeRunId: null });
    // The session is usable again: a new turn runs to its end.
    const sent = ok(await client.request('chat.send', { sessionId, text: 'after the restart', idempotencyKey: 'after' }));
    await client.rec.untilEvent(sessionId, (f) => f.event.type === 'run.end' && f.event.runId === sent.runId, { timeoutMs: 15_000 });
  });
});
