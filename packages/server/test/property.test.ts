import type { EventFrame, Joined, SessionEvent } from '@agent-gateway/schema';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertGapless, createHarness, type Client, type Packet } from './helpers/wire.js';
import { internalsOf } from '../src/testing/index.js';

const CONTROL = 'control-secret';
const SESSION = 'prop';

type Action =
  | { kind: 'append'; count: number; chunks: boolean }
  | { kind: 'trim'; by: number }
  | { kind: 'join'; client: number; mode: 'resume' | 'fresh' | 'ahead' | 'zero' }
  | { kind: 'disconnect'; client: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 6 }), chunks: fc.boolean() }),
  fc.record({ kind: fc.constant('trim' as const), by: fc.integer({ min: 0, max: 6 }) }),
  fc.record({
    kind: fc.constant('join' as const),
    client: fc.integer({ min: 0, max: 2 }),
    mode: fc.constantFrom('resume' as const, 'resume' as const, 'fresh' as const, 'ahead' as const, 'zero' as const),
  }),
  fc.record({ kind: fc.constant('disconnect' as const), client: fc.integer({ min: 0, max: 2 }) }),
);

function events(count: number, chunks: boolean, tag: number): SessionEvent[] {
  return Array.from({ length: count }, (_, i): SessionEvent =>
    chunks && i % 2 === 0
      ? { type: 'stream.chunk', runId: `run-${tag}`, streamId: 's', index: i, text: 'c' }
      : { type: 'message', messageId: `m-${tag}-${i}`, role: 'user', text: 'x', at: 1 },
  );
}

interface JoinRecord {
  since: number | undefined;
  epoch: string | undefined;
  from: number;
}

interface LogicalClient {
  client?: Client;
  joins: JoinRecord[];
  lastSeq?: number;
  epoch?: string;
}

/** Frames of one join: after its `joined` packet, before the next one. */
function segment(client: Client, join: JoinRecord): { joined: Joined; snapshot: boolean; frames: EventFrame[] } | undefined {
  const packets = client.rec.packets;
  const joinedIndex = packets.findIndex((p) => p.index >= join.from && p.event === 'joined');
  if (joinedIndex < 0) return undefined;
  const nextJoined = packets.findIndex((p, i) => i > joinedIndex && p.event === 'joined');
  const slice: Packet[] = packets.slice(joinedIndex + 1, nextJoined < 0 ? undefined : nextJoined);
  const frames: EventFrame[] = [];
  for (const p of slice) if (p.event === 'replay' || p.event === 'session.event' || p.event === 'session.tool') frames.push(...(p.args[0] as EventFrame[]));
  return { joined: packets[joinedIndex]!.args[0] as Joined, snapshot: slice.some((p) => p.event === 'snapshot'), frames };
}

function checkSegment(join: JoinRecord, seg: NonNullable<ReturnType<typeof segment>>): number {
  const { joined, snapshot, frames } = seg;
  const matches = join.since !== undefined && (join.epoch === undefined ? join.since === 0 : join.epoch === joined.epoch);
  const replayable = matches && joined.oldestCursor - 1 <= join.since! && join.since! <= joined.cursor;
  expect(joined.resyncRequired).toBe(!replayable);
  expect(snapshot).toBe(joined.resyncRequired);
  return assertGapless(frames, joined.resyncRequired ? joined.cursor : join.since!);
}

describe('random interleavings of appends, trims, disconnects and joins (R2.4, R2.5)', () => {
  it('every observed sequence is gapless and duplicate-free, or resyncRequired with a snapshot', async () => {
    let tag = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(action, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 10 }), async (groups) => {
        const h = createHarness();
        try {
          const gw = await h.start({ controlToken: CONTROL, retention: { maxEvents: 30, maxNonDurableEvents: 4 } });
          const admin = await h.client(gw, { controlToken: CONTROL });
          await admin.request('control', { type: 'session.append', sessionId: SESSION, events: events(3, false, tag++) });
          const clients: LogicalClient[] = [{ joins: [] }, { joins: [] }, { joins: [] }];

          const settle = (lc: LogicalClient) => {
            const join = lc.joins.at(-1);
            if (!lc.client || !join) return;
            const seg = segment(lc.client, join);
            if (!seg) return;
            lc.lastSeq = checkSegment(join, seg);
            lc.epoch = seg.joined.epoch;
          };

          const run = async (a: Action): Promise<void> => {
            if (a.kind === 'append') {
              await admin.request('control', { type: 'session.append', sessionId: SESSION, events: events(a.count, a.chunks, tag++) });
            } else if (a.kind === 'trim') {
              const head = await internalsOf(gw).sessions.get(SESSION)!.log.head();
              await admin.request('control', { type: 'session.trim', sessionId: SESSION, oldestCursor: head.oldestCursor + a.by });
            } else if (a.kind === 'disconnect') {
              const lc = clients[a.client]!;
              settle(lc);
              lc.client?.close();
              lc.client = undefined;
              lc.joins = [];
            } else {
              const lc = clients[a.client]!;
              settle(lc);
              lc.client ??= await h.client(gw);
              const since = a.mode === 'fresh' ? undefined : a.mode === 'zero' ? 0 : a.mode === 'ahead' ? (lc.lastSeq ?? 0) + 1000 : lc.lastSeq;
              const epoch = since === undefined ? undefined : lc.epoch;
              const join: JoinRecord = { since, epoch, from: lc.client.rec.packets.length };
              lc.joins.push(join);
              const result = await lc.client.request('join', { sessionId: SESSION, ...(since === undefined ? {} : { since }), ...(epoch ? { epoch } : {}) });
              expect(result.ok).toBe(true);
            }
          };

          for (const group of groups) {
            // One action per logical client per group; appends and trims race with joins.
            const seen = new Set<number>();
            const batch = group.filter((a) => !('client' in a) || (!seen.has(a.client) && seen.add(a.client)));
            await Promise.all(batch.map(run));
          }

          // A final sentinel: every joined client must see it, gaplessly.
          const final = await admin.request('control', { type: 'session.append', sessionId: SESSION, events: events(1, false, tag++) });
          if (!final.ok) throw new Error('append failed');
          for (const lc of clients) {
            const join = lc.joins.at(-1);
            if (!lc.client || !join) continue;
            await lc.client.rec.untilSeq(SESSION, final.data.cursor!);
            const seg = segment(lc.client, join)!;
            expect(checkSegment(join, seg)).toBe(final.data.cursor);
            // Earlier joins of the same connection were each consistent too.
            for (const earlier of lc.joins.slice(0, -1)) checkSegment(earlier, segment(lc.client, earlier)!);
          }
        } finally {
          await h.closeAll();
        }
      }),
      { numRuns: 40 },
    );
  });
});
