import type { EventFrame, Joined, ScriptStep } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoAgent } from '../src/index.js';
import { slowStore } from './helpers/slow-store.js';
import { assertGapless, createHarness, type Client } from './helpers/wire.js';

const h = createHarness();
afterEach(() => h.closeAll());

const CONTROL = 'control-secret';

/** A long stream: `rounds` bursts of chunks with short pauses, so joins land in the middle of it. */
function longStream(rounds: number, chunksPerRound: number): ScriptStep[] {
  const steps: ScriptStep[] = [];
  for (let i = 0; i < rounds; i++) {
    steps.push({ type: 'chunks', count: chunksPerRound, text: `r${i} ` });
    if (i % 5 === 2) steps.push({ type: 'tool', toolCallId: `call-${i}`, toolName: 'probe', phase: 'start', input: { i } });
    if (i % 5 === 3) steps.push({ type: 'tool', toolCallId: `call-${i - 1}`, toolName: 'probe', phase: 'result', output: { ok: true } });
    // A pause every round hands the event loop to socket I/O, so joins interleave with appends.
    steps.push({ type: 'wait', ms: 1 });
  }
  return steps;
}

function runEndOf(frames: EventFrame[], runId: string): EventFrame | undefined {
  return frames.find((f) => f.event.type === 'run.end' && f.event.runId === runId);
}

describe('replay -> live handoff while a session streams (R2.5)', () => {
  it.each([
    ['the in-memory log', undefined, longStream(200, 8)],
    ['a log whose calls take milliseconds', 1, longStream(40, 5)],
  ])('many joins during a long stream with %s: every client sees each seq exactly once, in order', async (_label, slowMs, steps) => {
    const gw = await h.start({ controlToken: CONTROL, ...(slowMs ? { store: slowStore(slowMs) } : {}) });
    const admin = await h.client(gw, { controlToken: CONTROL });
    const started = await admin.request('control', { type: 'run.script', sessionId: 'stream', steps });
    if (!started.ok) throw new Error('script failed');
    const runId = started.data.runId!;

    const joiners: Array<{ client: Client; start: number }> = [];
    let lastSeen = 0;
    let epoch: string | undefined;
    for (let i = 0; i < 40; i++) {
      const client = await h.client(gw);
      // Alternate fresh joins (snapshot) with resumes from a recent cursor (replay).
      const params = i % 2 === 0 || !epoch ? { sessionId: 'stream' } : { sessionId: 'stream', since: lastSeen, epoch };
      const result = await client.request('join', params);
      if (!result.ok) throw new Error(JSON.stringify(result.error));
      const joined: Joined = result.data;
      epoch = joined.epoch;
      lastSeen = Math.max(0, joined.cursor - 7);
      joiners.push({ client, start: joined.resyncRequired ? joined.cursor : (params as { since: number }).since });
      if (runEndOf(joiners[0]!.client.rec.frames('stream'), runId)) break;
    }
    expect(joiners.length).toBeGreaterThan(3);
    await joiners[0]!.client.rec.untilEvent('stream', (f) => f.event.type === 'run.end', { timeoutMs: 20_000 });
    const runEndSeq = runEndOf(joiners[0]!.client.rec.frames('stream'), runId)!.seq;
    for (const { client, start } of joiners) {
      if (start < runEndSeq) await client.rec.untilSeq('stream', runEndSeq, { timeoutMs: 20_000 });
      const frames = client.rec.frames('stream');
      expect(assertGapless(frames, start)).toBe(Math.max(start, runEndSeq));
    }
    // Joins really happened mid-stream: several joiners started after run.start and before run.end.
    expect(joiners.filter(({ start }) => start > 1 && start < runEndSeq - 1).length).toBeGreaterThan(2);
  });

  it('two clients in one session see the same seqs; the starter gets tool phases as session.event, the other as session.tool', async () => {
    const gw = await h.start({ agent: createDemoAgent({ chunkDelayMs: 1, toolDelayMs: 1 }) });
    const a = await h.client(gw);
    const b = await h.client(gw);
    await a.request('join', { sessionId: 'pair' });
    await b.request('join', { sessionId: 'pair' });
    const sent = await a.request('chat.send', { sessionId: 'pair', text: 'count these four words', idempotencyKey: 'p1' });
    expect(sent.ok).toBe(true);
    await a.rec.untilEvent('pair', (f) => f.event.type === 'run.end');
    await b.rec.untilEvent('pair', (f) => f.event.type === 'run.end');
    const fa = a.rec.frames('pair');
    const fb = b.rec.frames('pair');
    expect(fa.map((f) => f.seq)).toEqual(fb.map((f) => f.seq));
    assertGapless(fa, 0);
    const toolsA = fa.filter((f) => f.event.type === 'tool');
    const toolsB = fb.filter((f) => f.event.type === 'tool');
    expect(toolsA.map((f) => (f.event as { phase: string }).phase)).toEqual(['start', 'update', 'result']);
    expect(toolsA.every((f) => f.channel === 'session.event')).toBe(true);
    expect(toolsB.every((f) => f.channel === 'session.tool')).toBe(true);
    expect(fb.filter((f) => f.event.type !== 'tool').every((f) => f.channel === 'session.event')).toBe(true);
  });

  it('run.subscribe makes another client run-scoped', async () => {
    const gw = await h.start({ controlToken: CONTROL });
    const admin = await h.client(gw, { controlToken: CONTROL });
    const b = await h.client(gw);
    await b.request('join', { sessionId: 'sub' });
    const started = await admin.request('control', {
      type: 'run.script',
      sessionId: 'sub',
      steps: [
        { type: 'hold', gate: 'g' },
        { type: 'tool', toolCallId: 'c1', toolName: 't', phase: 'start' },
        { type: 'tool', toolCallId: 'c1', toolName: 't', phase: 'end' },
      ],
    });
    if (!started.ok) throw new Error();
    const subscribed = await b.request('run.subscribe', { sessionId: 'sub', runId: started.data.runId! });
    expect(subscribed).toMatchObject({ ok: true, data: { runId: started.data.runId } });
    await admin.request('control', { type: 'run.release', sessionId: 'sub', gate: 'g' });
    await b.rec.untilEvent('sub', (f) => f.event.type === 'run.end');
    const tools = b.rec.frames('sub').filter((f) => f.event.type === 'tool');
    expect(tools.map((f) => f.channel)).toEqual(['session.event', 'session.event']);
    expect(await b.request('run.subscribe', { sessionId: 'sub', runId: 'run-nope' })).toMatchObject({ ok: false, error: { code: 'RUN_NOT_FOUND' } });
  });

  it('a reconnect storm: clients drop and resume from their last seq over and over during a stream', async () => {
    const gw = await h.start({ controlToken: CONTROL });
    const admin = await h.client(gw, { controlToken: CONTROL });
    const started = await admin.request('control', { type: 'run.script', sessionId: 'storm', steps: longStream(150, 6) });
    if (!started.ok) throw new Error();
    const clients = 12;
    const rounds = 5;
    const views = await Promise.all(
      Array.from({ length: clients }, async () => {
        const seen: EventFrame[] = [];
        let since: number | undefined;
        let epoch: string | undefined;
        for (let round = 0; round < rounds; round++) {
          const c = await h.client(gw);
          const result = await c.request('join', since === undefined ? { sessionId: 'storm' } : { sessionId: 'storm', since, epoch: epoch! });
          if (!result.ok) throw new Error(JSON.stringify(result.error));
          expect(result.data.resyncRequired).toBe(since === undefined);
          epoch = result.data.epoch;
          const start = since ?? result.data.cursor;
          // Let some frames arrive, then drop the connection.
          const target = start + 1 + round * 3;
          await c.rec.untilEvent('storm', (f) => f.seq >= target || f.event.type === 'run.end', { timeoutMs: 20_000 });
          c.close();
          const frames = c.rec.frames('storm');
          since = assertGapless(frames, start);
          seen.push(...frames);
          if (frames.some((f) => f.event.type === 'run.end')) break;
        }
        return seen;
      }),
    );
    for (const seen of views) {
      const seqs = seen.map((f) => f.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    // The gateway is still healthy and consistent after the storm.
    const after = await h.client(gw);
    expect(await after.request('join', { sessionId: 'storm' })).toMatchObject({ ok: true });
  });
});
