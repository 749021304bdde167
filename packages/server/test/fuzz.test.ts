import { ErrorCodes, REQUEST_NAMES, Requests, validate, type RequestName } from '@agent-gateway/schema';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Gateway } from '../src/index.js';
import { messages } from './helpers/events.js';
import { createHarness } from './helpers/wire.js';
import { internalsOf } from '../src/testing/index.js';

const h = createHarness();
afterEach(() => h.closeAll());

const CONTROL = 'control-secret';
const CODES = new Set<string>(Object.values(ErrorCodes));

/** A valid message for each request, to be broken by one mutation each. */
const VALID: Record<string, Record<string, unknown>> = {
  join: { sessionId: 'fz', since: 3, epoch: 'abc' },
  leave: { sessionId: 'fz' },
  'chat.send': { sessionId: 'fz', text: 'hello', idempotencyKey: 'k' },
  'chat.abort': { sessionId: 'fz', runId: 'r1' },
  'run.subscribe': { sessionId: 'fz', runId: 'r1' },
  'sessions.list': { limit: 5 },
  'sessions.subscribe': { enabled: true, prefix: 'fz' },
  'diagnostics.get': {},
  'diagnostics.subscribe': { enabled: true },
  control: { type: 'session.append', sessionId: 'fz', events: [] },
};

const badValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.double(),
  fc.integer({ min: -1e6, max: -1 }),
  fc.constant(2 ** 53),
  fc.constant(null),
  fc.constant(Number.NaN),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
  fc.boolean(),
  fc.string({ minLength: 200, maxLength: 400 }),
);

/** A message that is invalid by construction: a wrong value, an unknown key, or no object at all. */
const malformed = fc.oneof(
  fc
    .record({ event: fc.constantFrom(...REQUEST_NAMES), key: fc.string({ minLength: 1, maxLength: 12 }), value: badValue })
    .map(({ event, key, value }) => {
      const base = VALID[event]!;
      const keys = Object.keys(base);
      // Break an existing key (wrong type/range) or add one the schema does not know.
      const target = keys.length > 0 && key.length % 2 === 0 ? keys[key.length % keys.length]! : `x_${key}`;
      return { event, args: [{ ...base, [target]: value }] as unknown[] };
    })
    .filter(({ event, args }) => !validate(Requests[event as RequestName].params, args[0]).ok),
  fc
    .record({ event: fc.constantFrom(...REQUEST_NAMES), args: fc.array(fc.anything({ maxDepth: 3 }), { maxLength: 3 }) })
    .filter(({ args }) => args.length !== 1 || typeof args[0] !== 'object' || args[0] === null || Array.isArray(args[0])),
  fc.record({ event: fc.constantFrom(...REQUEST_NAMES), args: fc.uint8Array({ maxLength: 64 }).map((b) => [Buffer.from(b)]) }),
  fc.record({
    event: fc
      .string({ minLength: 1, maxLength: 30 })
      .filter(
        (e) =>
          !(REQUEST_NAMES as string[]).includes(e) && !['connect', 'disconnect', 'disconnecting', 'connect_error', 'newListener', 'removeListener'].includes(e),
      ),
    args: fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 2 }),
  }),
);

async function logsOf(gw: Gateway) {
  const out: Record<string, unknown> = {};
  for (const session of internalsOf(gw).sessions.all()) {
    const head = await session.log.head();
    out[session.id] = { head, events: await session.log.read(0, head.cursor) };
  }
  return out;
}

describe('bad-input fuzzing (R1.2, R1.6, R6.3)', () => {
  it('thousands of malformed frames: structured errors, process up, memory bounded, logs unchanged, connection usable', async () => {
    const gw = await h.start({ controlToken: CONTROL, maxPayloadBytes: 64 * 1024 });
    const admin = await h.client(gw, { controlToken: CONTROL });
    await admin.request('control', { type: 'session.append', sessionId: 'fz', events: messages(10) });
    const before = await logsOf(gw);
    const sessionsBefore = internalsOf(gw).sessions.size;
    const fuzzers = await Promise.all([h.client(gw), h.client(gw), h.client(gw, { controlToken: 'wrong' })]);
    const samples = fc.sample(malformed, { numRuns: 3000, seed: 42 });
    const heapBefore = process.memoryUsage().heapUsed;

    let acked = 0;
    let unacked = 0;
    for (let i = 0; i < samples.length; i += 150) {
      const slice = samples.slice(i, i + 150);
      await Promise.all(
        slice.map(async ({ event, args }, j) => {
          const client = fuzzers[(i + j) % fuzzers.length]!;
          if (j % 3 === 0) {
            client.raw(event, ...args);
            unacked += 1;
            return;
          }
          const answer = (await client.rawRequest(event, ...args)) as { ok: boolean; error?: { code: string; message: string } };
          acked += 1;
          expect(answer.ok, `${event} ${JSON.stringify(args).slice(0, 200)}`).toBe(false);
          expect(CODES.has(answer.error!.code)).toBe(true);
          expect(typeof answer.error!.message).toBe('string');
        }),
      );
    }
    expect(acked + unacked).toBe(3000);
    // Every acknowledgement-less bad message is answered with protocol.error.
    const errors = () => fuzzers.reduce((n, c) => n + c.rec.packets.filter((p) => p.event === 'protocol.error').length, 0);
    await fuzzers[0]!.rec.waitFor(() => errors() >= unacked, { timeoutMs: 10_000, what: 'all protocol.error answers' }).catch(() => undefined);
    expect(errors()).toBe(unacked);

    for (const c of fuzzers) {
      expect(c.socket.connected).toBe(true);
      expect((await c.request('sessions.list', {})).ok).toBe(true);
    }
    expect(await logsOf(gw)).toEqual(before);
    expect(internalsOf(gw).sessions.size).toBe(sessionsBefore);
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(heapGrowth).toBeLessThan(100 * 1024 * 1024);
    // Still fully working: a fresh client can join and resume.
    const fresh = await h.client(gw);
    expect(await fresh.request('join', { sessionId: 'fz', since: 5, epoch: (before.fz as { head: { epoch: string } }).head.epoch })).toMatchObject({
      ok: true,
      data: { resyncRequired: false },
    });
  });
});

describe('raw Socket.IO packets no client library would send', () => {
  it('answers absurdly deep nesting with INVALID_MESSAGE and stays up', async () => {
    const gw = await h.start();
    const probe = await h.client(gw);
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const received: string[] = [];
    let onMessage: (() => void) | undefined;
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      received.push(text);
      if (text.startsWith('0')) ws.send('40');
      onMessage?.();
    });
    const until = (test: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; got ${received.map((r) => r.slice(0, 40)).join(' | ')}`)), 10_000);
        onMessage = () => test() && (clearTimeout(timer), resolve());
        onMessage();
      });
    await until(() => received.some((r) => r.startsWith('42["hello"')));
    const depth = 200_000;
    ws.send(`420["join",${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}]`);
    ws.send(`421["join",{"sessionId":"s","since":${'['.repeat(depth)}${']'.repeat(depth)}}]`);
    ws.send('422[7,{"x":1}]');
    await until(() => ['430', '431', '432'].every((id) => received.some((r) => r.startsWith(id))));
    expect(received.find((r) => r.startsWith('430'))).toContain('INVALID_MESSAGE');
    expect(received.find((r) => r.startsWith('431'))).toContain('INVALID_MESSAGE');
    expect(received.find((r) => r.startsWith('432'))).toContain('UNKNOWN_EVENT');
    ws.close();
    expect((await probe.request('sessions.list', {})).ok).toBe(true);
    expect(internalsOf(gw).sessions.size).toBe(0);
  });
});
