import { PROTOCOL_VERSION, type Hello, type ProtocolErrorEvent, type WireError } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/index.js';
import { messages } from './helpers/events.js';
import { createHarness, type Client } from './helpers/wire.js';
import { internalsOf } from '../src/testing/index.js';

const h = createHarness();
afterEach(() => h.closeAll());

const CONTROL = 'control-secret';

async function setup(options: Parameters<typeof h.start>[0] = {}) {
  const gw = await h.start({ controlToken: CONTROL, ...options });
  const admin = await h.client(gw, { controlToken: CONTROL });
  await admin.request('control', { type: 'session.append', sessionId: 's', events: messages(5) });
  return { gw, admin };
}

/** The log of a session as a fresh snapshot sees it. */
async function logState(gw: Gateway, sessionId = 's') {
  const session = internalsOf(gw).sessions.get(sessionId);
  if (!session) return undefined;
  const head = await session.log.head();
  return { head, events: await session.log.read(0, head.cursor) };
}

async function expectUsable(c: Client) {
  const ok = await c.request('sessions.list', {});
  expect(ok.ok).toBe(true);
}

describe('ingress validation (R1.2, R1.3, R1.5)', () => {
  it.each([
    ['a string', '5'],
    ['a float', 1.5],
    ['a negative number', -1],
    ['above 2^53-1', 2 ** 53],
    ['huge', 1e300],
    ['null', null],
    ['an object', { n: 1 }],
  ])('since as %s is INVALID_MESSAGE at /since and changes nothing', async (_label, since) => {
    const { gw } = await setup();
    const before = await logState(gw);
    const c = await h.client(gw);
    const result = (await c.rawRequest('join', { sessionId: 's', since })) as { ok: false; error: WireError };
    expect(result.ok).toBe(false);
    expect(result.error.code).toBe('INVALID_MESSAGE');
    expect(result.error.details?.issues?.[0]?.path).toBe('/since');
    expect(c.rec.packets.map((p) => p.event)).toEqual(['hello']);
    expect(await logState(gw)).toEqual(before);
    expect(internalsOf(gw).fanout.isMember('s', c.socket.id!)).toBe(false);
    await expectUsable(c);
  });

  it('names unknown fields and missing fields by path', async () => {
    const { gw } = await setup();
    const c = await h.client(gw);
    const unknown = (await c.rawRequest('join', { sessionId: 's', extra: 1 })) as { ok: false; error: WireError };
    expect(unknown.error.details?.issues).toEqual([{ path: '/extra', message: 'is not allowed here (unknown property)', keyword: 'additionalProperties' }]);
    const missing = (await c.rawRequest('chat.send', { sessionId: 's', text: 'hi' })) as { ok: false; error: WireError };
    expect(missing.error).toMatchObject({ code: 'INVALID_MESSAGE', details: { issues: [{ path: '/idempotencyKey' }] } });
    const badId = (await c.rawRequest('join', { sessionId: '../etc' })) as { ok: false; error: WireError };
    expect(badId.error.details?.issues?.[0]?.path).toBe('/sessionId');
    expect(internalsOf(gw).sessions.get('../etc')).toBeUndefined();
    await expectUsable(c);
  });

  it('rejects binary payloads, missing params and extra arguments', async () => {
    const { gw } = await setup();
    const before = await logState(gw);
    const c = await h.client(gw);
    for (const args of [[Buffer.from([1, 2, 3])], [new Uint8Array(16)], [], [{ sessionId: 's' }, 'extra'], ['just a string'], [42], [[1, 2]]]) {
      const result = (await c.rawRequest('join', ...args)) as { ok: false; error: WireError };
      expect(result.ok).toBe(false);
      expect(result.error.code).toBe('INVALID_MESSAGE');
    }
    expect(await logState(gw)).toEqual(before);
    await expectUsable(c);
  });

  it('answers unknown events with UNKNOWN_EVENT, through the ack or as protocol.error', async () => {
    const { gw } = await setup();
    const c = await h.client(gw);
    const acked = (await c.rawRequest('chat.explode', { x: 1 })) as { ok: false; error: WireError };
    expect(acked).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT', details: { event: 'chat.explode' } } });
    c.raw('nope', 1, 2, 3);
    const packet = await c.rec.event('protocol.error');
    expect(packet.args[0] as ProtocolErrorEvent).toMatchObject({ event: 'nope', error: { code: 'UNKNOWN_EVENT' } });
    await expectUsable(c);
  });

  it('emits protocol.error for an invalid request sent without an acknowledgement', async () => {
    const { gw } = await setup();
    const c = await h.client(gw);
    c.raw('join', { sessionId: 's', since: 'x' });
    const packet = await c.rec.event('protocol.error');
    expect(packet.args[0]).toMatchObject({ event: 'join', error: { code: 'INVALID_MESSAGE', details: { issues: [{ path: '/since' }] } } });
  });

  it('answers oversized messages with PAYLOAD_TOO_LARGE and keeps the connection', async () => {
    const { gw } = await setup({ maxPayloadBytes: 10_000 });
    const before = await logState(gw);
    const c = await h.client(gw);
    const hello = c.rec.packets[0]!.args[0] as Hello;
    expect(hello.limits.maxPayloadBytes).toBe(10_000);
    const result = (await c.rawRequest('chat.send', { sessionId: 's', text: 'x'.repeat(30_000), idempotencyKey: 'big' })) as { ok: false; error: WireError };
    expect(result.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { limitBytes: 10_000 } });
    expect(result.error.details?.actualBytes).toBeGreaterThan(30_000);
    const binary = (await c.rawRequest('join', Buffer.alloc(20_000))) as { ok: false; error: WireError };
    expect(binary.error.code).toBe('INVALID_MESSAGE');
    expect(await logState(gw)).toEqual(before);
    expect(c.socket.connected).toBe(true);
    await expectUsable(c);
  });

  it('every request answers with the one result shape', async () => {
    const { gw } = await setup();
    const c = await h.client(gw);
    const ok = await c.request('sessions.list', { limit: 5 });
    expect(Object.keys(ok).sort()).toEqual(['data', 'ok']);
    const bad = await c.request('chat.abort', { sessionId: 's', runId: 'run-unknown' });
    expect(Object.keys(bad).sort()).toEqual(['error', 'ok']);
  });
});

describe('protocol version negotiation (R1.4)', () => {
  it('refuses another major at the handshake, naming the supported range', async () => {
    const gw = await h.start();
    const error = await h.refused(gw, { protocolVersion: '2.0' });
    expect(error.message).toBe('UNSUPPORTED_PROTOCOL_VERSION');
    expect(error.data).toMatchObject({ code: 'UNSUPPORTED_PROTOCOL_VERSION', details: { supported: { min: '1.0', max: PROTOCOL_VERSION } } });
  });

  it('serves any minor of its major and says which version it speaks', async () => {
    const gw = await h.start();
    const c = await h.client(gw, { protocolVersion: '1.7' });
    const hello = c.rec.packets[0]!.args[0] as Hello;
    // A newer minor than the gateway's is served the gateway's own, not refused.
    expect(hello).toMatchObject({ protocolVersion: PROTOCOL_VERSION, supported: { min: '1.0', max: PROTOCOL_VERSION } });
    const joined = await c.request('join', { sessionId: 'v', protocolVersion: '1.3' });
    expect(joined).toMatchObject({ ok: true, data: { protocolVersion: PROTOCOL_VERSION } });
    const older = await h.client(gw, { protocolVersion: '1.0' });
    expect(older.rec.packets[0]!.args[0]).toMatchObject({ protocolVersion: '1.0', supported: { min: '1.0', max: PROTOCOL_VERSION } });
  });

  it('refuses a join that asks for another major through the acknowledgement', async () => {
    const gw = await h.start();
    const c = await h.client(gw);
    const result = await c.request('join', { sessionId: 'v', protocolVersion: '0.9' });
    expect(result).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_PROTOCOL_VERSION', details: { supported: { min: '1.0', max: PROTOCOL_VERSION } } } });
    expect(internalsOf(gw).sessions.get('v')).toBeUndefined();
  });

  it('refuses a malformed handshake auth object', async () => {
    const gw = await h.start();
    const error = await h.refused(gw, { protocolVersion: 'one', extra: true });
    expect(error.message).toBe('INVALID_MESSAGE');
  });

  it('sends hello after connecting, with limits and control capabilities', async () => {
    const gw = await h.start({ retention: { maxEvents: 1234, maxBytes: 99_999 } });
    const c = await h.client(gw);
    const hello = c.rec.packets[0]!.args[0] as Hello;
    expect(c.rec.packets[0]!.event).toBe('hello');
    expect(hello.limits).toMatchObject({ maxEvents: 1234, maxBytes: 99_999, maxFramesPerBatch: 512 });
    expect(hello.control.enabled).toBe(false);
  });
});

describe('messages beyond the transport limit (R6.3)', () => {
  it('a message too large even for the transport closes only that connection; the gateway and others carry on', async () => {
    const { gw } = await setup({ maxPayloadBytes: 16 * 1024 });
    const before = await logState(gw);
    const victim = await h.client(gw);
    const bystander = await h.client(gw);
    await bystander.request('join', { sessionId: 's', since: 5, epoch: before!.head.epoch });
    victim.raw('chat.send', { sessionId: 's', text: 'x'.repeat(3 * 1024 * 1024), idempotencyKey: 'huge' });
    await new Promise<void>((resolve) => (victim.socket.connected ? victim.socket.once('disconnect', () => resolve()) : resolve()));
    expect(victim.socket.connected).toBe(false);
    expect(bystander.socket.connected).toBe(true);
    await expectUsable(bystander);
    expect(await logState(gw)).toEqual(before);
  });
});
