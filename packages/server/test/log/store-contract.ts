/*
 * The contract every SessionLogStore must pass (see src/log/session-log.ts). A store's own test
 * file calls `describeStoreContract` with a factory; the in-memory store runs it here, and a store
 * shared between gateway processes runs the same suite plus the shared-store cases.
 */
import { isDurableEvent, validate, type SessionEvent } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { eventBytes, type RetentionOptions, type SessionLogStore } from '../../src/log/index.js';
import { chunk, messages } from '../helpers/events.js';

export interface StoreUnderTest {
  store: SessionLogStore;
  /** A second, independent store over the same storage (shared stores only). */
  peer?: () => Promise<SessionLogStore>;
  /** Remove everything the test wrote. */
  cleanup?: () => Promise<void>;
}

export interface StoreContractOptions {
  /** A fresh store with these retention bounds. */
  create(retention: RetentionOptions): Promise<StoreUnderTest>;
  /** Does the store keep a released session's log (a durable store) or drop it (in-memory)? */
  durable: boolean;
}

/** A streamed reply: run.start, chunks, stream.end, response, run.end. */
export function reply(runId: string, chunks: number): SessionEvent[] {
  const events: SessionEvent[] = [{ type: 'run.start', runId, trigger: 'chat', at: 1 }];
  for (let i = 0; i < chunks; i++) events.push(chunk(runId, i));
  events.push({ type: 'stream.end', runId, streamId: `${runId}-s0`, chunkCount: chunks, text: 'x'.repeat(chunks) });
  events.push({ type: 'response', runId, messageId: `${runId}-m`, text: 'x'.repeat(chunks), at: 2 });
  events.push({ type: 'run.end', runId, status: 'completed', at: 3 });
  return events;
}

export function describeStoreContract(name: string, options: StoreContractOptions): void {
  describe(`SessionLogStore contract: ${name}`, () => {
    const opened: StoreUnderTest[] = [];
    const make = async (retention: RetentionOptions = {}) => {
      const under = await options.create(retention);
      opened.push(under);
      return under;
    };
    afterEach(async () => {
      for (const under of opened.splice(0)) {
        await under.cleanup?.();
        await under.store.close?.();
      }
    });

    it('opens an empty log for a new session: cursor 0, oldestCursor 1, a valid epoch', async () => {
      const { store } = await make();
      const log = await store.open('fresh');
      const head = await log.head();
      expect(head).toMatchObject({ cursor: 0, oldestCursor: 1 });
      expect(validate('Joined', { sessionId: 'fresh', ...head, resyncRequired: false, protocolVersion: '1.0' }).ok).toBe(true);
      expect(await log.read(0, 10)).toEqual([]);
      expect(await log.durable()).toEqual([]);
    });

    it('assigns seqs 1, 2, 3 ... consecutively, one call after another', async () => {
      const { store } = await make();
      const log = await store.open('seqs');
      const first = await log.append(messages(3));
      const second = await log.append(messages(2, 'n'));
      expect(first.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(second.map((e) => e.seq)).toEqual([4, 5]);
      expect(second.map((e) => e.event)).toEqual(messages(2, 'n'));
      expect(await log.head()).toMatchObject({ cursor: 5, oldestCursor: 1 });
    });

    it('keeps seqs unique and consecutive under concurrent appends', async () => {
      const { store } = await make();
      const log = await store.open('concurrent');
      const batches = await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(messages(5, `b${i}-`))));
      for (const batch of batches) {
        const seqs = batch.map((e) => e.seq);
        expect(seqs).toEqual(Array.from({ length: 5 }, (_, i) => seqs[0]! + i));
      }
      const all = batches.flatMap((b) => b.map((e) => e.seq)).sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect((await log.read(0, 100)).map((e) => e.seq)).toEqual(all);
    });

    it('reads (after, upTo] ascending, clamped to the head', async () => {
      const { store } = await make();
      const log = await store.open('reads');
      await log.append(messages(10));
      expect((await log.read(3, 6)).map((e) => e.seq)).toEqual([4, 5, 6]);
      expect((await log.read(8, 100)).map((e) => e.seq)).toEqual([9, 10]);
      expect(await log.read(10, 10)).toEqual([]);
      expect(await log.read(12, 20)).toEqual([]);
      expect((await log.read(0, 1))[0]).toEqual({ seq: 1, event: messages(1)[0] });
    });

    it('open continues the same log: same epoch, same history', async () => {
      const { store } = await make();
      const log = await store.open('again');
      await log.append(messages(4));
      const head = await log.head();
      const again = await store.open('again');
      expect(await again.head()).toEqual(head);
      expect((await again.read(0, 4)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect((await again.append(messages(1, 'z')))[0]!.seq).toBe(5);
    });

    it('recreate starts a new epoch with an empty log', async () => {
      const { store } = await make();
      const log = await store.open('recreated');
      await log.append(messages(4));
      const before = await log.head();
      const fresh = await store.recreate('recreated');
      const head = await fresh.head();
      expect(head.epoch).not.toBe(before.epoch);
      expect(head).toMatchObject({ cursor: 0, oldestCursor: 1 });
      expect(await fresh.read(0, 10)).toEqual([]);
      expect((await store.open('recreated').then((l) => l.head())).epoch).toBe(head.epoch);
    });

    it(options.durable ? 'release keeps the log: a later open continues it' : 'release drops the log: a later open starts a new epoch', async () => {
      const { store } = await make();
      const log = await store.open('released');
      await log.append(messages(3));
      const before = await log.head();
      await store.release('released');
      const after = await (await store.open('released')).head();
      if (options.durable) expect(after).toEqual(before);
      else {
        expect(after.epoch).not.toBe(before.epoch);
        expect(after.cursor).toBe(0);
      }
    });

    it('trim moves oldestCursor forward only, clamped to head + 1, and hides what it dropped', async () => {
      const { store } = await make();
      const log = await store.open('trim');
      await log.append(messages(10));
      expect(await log.trim(4)).toMatchObject({ cursor: 10, oldestCursor: 4 });
      expect((await log.read(0, 10)).map((e) => e.seq)).toEqual([4, 5, 6, 7, 8, 9, 10]);
      expect(await log.trim(2)).toMatchObject({ oldestCursor: 4 });
      expect(await log.trim(50)).toMatchObject({ cursor: 10, oldestCursor: 11 });
      expect(await log.read(0, 10)).toEqual([]);
      expect((await log.append(messages(1, 'after')))[0]!.seq).toBe(11);
    });

    it('durable() returns the retained durable events only, ascending', async () => {
      const { store } = await make();
      const log = await store.open('durable');
      await log.append(reply('r1', 5));
      const durable = await log.durable();
      expect(durable.every((e) => isDurableEvent(e.event))).toBe(true);
      expect(durable.map((e) => e.event.type)).toEqual(['run.start', 'stream.end', 'response', 'run.end']);
      expect(durable.map((e) => e.seq)).toEqual([1, 7, 8, 9]);
    });

    it('bounds the log by count and by bytes; oldestCursor moves past what was evicted', async () => {
      const byCount = (await make({ maxEvents: 10 })).store;
      const counted = await byCount.open('count');
      await counted.append(messages(15));
      expect(await counted.head()).toMatchObject({ cursor: 15, oldestCursor: 6 });
      expect((await counted.read(0, 15)).map((e) => e.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

      const size = eventBytes(messages(1)[0]!);
      const byBytes = (await make({ maxBytes: size * 4 + 2 })).store;
      const sized = await byBytes.open('bytes');
      await sized.append(messages(10));
      expect(await sized.head()).toMatchObject({ cursor: 10, oldestCursor: 7 });
      expect((await sized.stats()).retainedBytes).toBeLessThanOrEqual(size * 4 + 2);
    });

    it('a chunk flood compacts chunks only: every durable event stays and oldestCursor does not move (R2.6)', async () => {
      const { store } = await make({ maxEvents: 100, maxNonDurableEvents: 10 });
      const log = await store.open('flood');
      for (let run = 1; run <= 3; run++) await log.append(reply(`r${run}`, 200));
      const head = await log.head();
      expect(head).toMatchObject({ cursor: 612, oldestCursor: 1 });
      const kept = await log.read(0, head.cursor);
      expect(kept.filter((e) => isDurableEvent(e.event))).toHaveLength(12);
      expect(kept.filter((e) => !isDurableEvent(e.event)).length).toBeLessThanOrEqual(10);
      const stats = await log.stats();
      expect(stats.compactedEvents).toBe(612 - kept.length);
      expect(stats.evictedEvents).toBe(0);
    });

    it('compacts the chunks of finished streams before those of a stream still running', async () => {
      const { store } = await make({ maxEvents: 1_000, maxNonDurableEvents: 20 });
      const log = await store.open('order');
      await log.append(reply('done', 30));
      await log.append([{ type: 'run.start', runId: 'live', trigger: 'chat', at: 1 }]);
      const live = Array.from({ length: 15 }, (_, i) => chunk('live', i));
      const appended = await log.append(live);
      const kept = new Set((await log.read(0, (await log.head()).cursor)).map((e) => e.seq));
      expect(appended.every((e) => kept.has(e.seq))).toBe(true);
    });

    it('a stream closed by its stream.end is compacted before one still running', async () => {
      const { store } = await make({ maxEvents: 1000, maxNonDurableEvents: 6 });
      const log = await store.open('closed');
      await log.append([{ type: 'run.start', runId: 'old', trigger: 'chat', at: 1 }, chunk('old', 0), chunk('old', 1), chunk('old', 2)]);
      await log.append([{ type: 'run.start', runId: 'live', trigger: 'chat', at: 1 }, chunk('live', 0), chunk('live', 1), chunk('live', 2)]);
      // The old stream ends; then the live one grows past the budget.
      await log.append([
        { type: 'stream.end', runId: 'old', streamId: 'old-s0', chunkCount: 3, text: 'xxx' },
        chunk('live', 3),
        chunk('live', 4),
        chunk('live', 5),
      ]);
      const kept = await log.read(0, 100);
      const chunks = kept.filter((e) => e.event.type === 'stream.chunk').map((e) => (e.event as { runId: string }).runId);
      expect(chunks).toEqual(['live', 'live', 'live', 'live', 'live', 'live']);
    });

    it('tool updates are non-durable; start and terminal phases are kept', async () => {
      const { store } = await make({ maxEvents: 1000, maxNonDurableEvents: 2 });
      const log = await store.open('tools');
      const tool = (phase: 'start' | 'update' | 'result', i = 0): SessionEvent => ({
        type: 'tool',
        runId: 'r',
        toolCallId: 'c',
        toolName: 't',
        phase,
        progress: i,
        at: 1,
      });
      await log.append([tool('start'), ...Array.from({ length: 20 }, (_, i) => tool('update', i)), tool('result')]);
      const kept = await log.read(0, 100);
      expect(kept.map((e) => (e.event as { phase: string }).phase)).toEqual(['start', 'update', 'update', 'result']);
    });

    if (options.durable) {
      it('two stores over the same storage share one log: concurrent appends stay consecutive', async () => {
        const under = await make();
        if (!under.peer) throw new Error('a durable store under test must offer a peer store');
        const peer = await under.peer();
        try {
          const a = await under.store.open('shared');
          const b = await peer.open('shared');
          expect((await a.head()).epoch).toBe((await b.head()).epoch);
          const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).append(messages(3, `p${i}-`))));
          const seqs = results.flatMap((r) => r.map((e) => e.seq)).sort((x, y) => x - y);
          expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
          expect((await b.read(0, 30)).map((e) => e.seq)).toEqual(seqs);
        } finally {
          await peer.close?.();
        }
      });
    }
  });
}
