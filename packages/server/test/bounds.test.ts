import { readFileSync } from 'node:fs';
import { MAX_EVENT_TEXT_LENGTH, validateServerEvent, type Hello, type SessionEvent, type Snapshot } from '@agent-gateway/schema';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { internalsOf } from '../src/testing/index.js';
import { createHarness } from './helpers/wire.js';

const h = createHarness();
afterEach(() => h.closeAll());
const CONTROL = 'ctl';

const bigMessage = (i: number, size: number): SessionEvent => ({
  type: 'message',
  messageId: `big-${i}`,
  role: 'user',
  text: `${i}`.padEnd(size, 'm'),
  at: 1_700_000_000_000 + i,
});

describe('every view bounded by bytes', () => {
  it('a snapshot stays within maxSnapshotBytes: the newest messages and events go in, the rest is counted as omitted', async () => {
    const gw = await h.start({ controlToken: CONTROL, maxSnapshotBytes: 300_000, maxConversationBytes: 10_000_000, heartbeat: { enabled: false } });
    const admin = await h.client(gw, { controlToken: CONTROL });
    for (let i = 0; i < 12; i++)
      expect((await admin.request('control', { type: 'session.append', sessionId: 'big', events: [bigMessage(i, 50_000)] })).ok).toBe(true);
    const c = await h.client(gw);
    const joined = await c.request('join', { sessionId: 'big' });
    expect(joined).toMatchObject({ ok: true, data: { resyncRequired: true, reason: 'fresh-join' } });
    const packet = c.rec.packets.find((p) => p.event === 'snapshot')!;
    const snapshot = packet.args[0] as Snapshot;
    expect(validateServerEvent('snapshot', snapshot).ok).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(snapshot))).toBeLessThanOrEqual(300_000);
    expect(snapshot.messages.length).toBeGreaterThan(0);
    expect(snapshot.messages.at(-1)!.messageId).toBe('big-11');
    expect(snapshot.omitted).toEqual({ messages: 12 - snapshot.messages.length, events: 12 - snapshot.events.length });
    expect((c.rec.packets[0]!.args[0] as Hello).limits.maxSnapshotBytes).toBe(300_000);
  });

  it('the conversation a session keeps is bounded by maxConversationBytes; the newest message stays', async () => {
    const gw = await h.start({ controlToken: CONTROL, maxConversationBytes: 200_000, heartbeat: { enabled: false } });
    const admin = await h.client(gw, { controlToken: CONTROL });
    for (let i = 0; i < 30; i++) await admin.request('control', { type: 'session.append', sessionId: 'conv', events: [bigMessage(i, 20_000)] });
    const view = internalsOf(gw).sessions.get('conv')!.view;
    expect(view.bytes).toBeLessThanOrEqual(200_000);
    expect(view.messages.at(-1)!.messageId).toBe('big-29');
    expect(view.messages.length).toBeLessThan(30);
  });

  it('a message longer than the text bound is kept, and shipped, as its beginning flagged truncated', async () => {
    const gw = await h.start({ controlToken: CONTROL, heartbeat: { enabled: false } });
    const admin = await h.client(gw, { controlToken: CONTROL });
    const text = 'r'.repeat(MAX_EVENT_TEXT_LENGTH);
    await admin.request('control', {
      type: 'session.append',
      sessionId: 'long',
      events: [{ type: 'response', runId: 'r1', messageId: 'long-reply', text: text.slice(0, 10), truncated: true, at: 1 }],
    });
    const c = await h.client(gw);
    await c.request('join', { sessionId: 'long' });
    const snapshot = c.rec.packets.find((p) => p.event === 'snapshot')!.args[0] as Snapshot;
    expect(snapshot.messages[0]).toMatchObject({ messageId: 'long-reply', text: 'rrrrrrrrrr', truncated: true });
  });
});

describe('a lane has a bound on waiting runs', () => {
  it('past maxQueuedRuns chat.send answers BUSY with the queue length and creates nothing; a retry of an accepted run still gets it', async () => {
    const gw = await h.start({ controlToken: CONTROL, maxQueuedRuns: 3, heartbeat: { enabled: false } });
    const admin = await h.client(gw, { controlToken: CONTROL });
    const c = await h.client(gw);
    await c.request('join', { sessionId: 'lane' });
    expect((c.rec.packets[0]!.args[0] as Hello).limits.maxQueuedRuns).toBe(3);
    await admin.request('control', { type: 'lane.hold', sessionId: 'lane' });
    for (let i = 0; i < 3; i++) expect(await c.request('chat.send', { sessionId: 'lane', text: `m${i}`, idempotencyKey: `k${i}` })).toMatchObject({ ok: true });
    const framesBefore = c.rec.frames('lane').length;
    const changedBefore = c.rec.packets.filter((p) => p.event === 'sessions.changed').length;
    const refused = await c.request('chat.send', { sessionId: 'lane', text: 'one too many', idempotencyKey: 'k3' });
    expect(refused).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'BUSY', retryable: true, retryAfterMs: expect.any(Number), details: { sessionId: 'lane', queueLength: 3 } }),
    });
    expect(await c.request('chat.send', { sessionId: 'lane', text: 'm1', idempotencyKey: 'k1' })).toMatchObject({ ok: true, data: { duplicate: true } });
    // Refused: no user message appended, no row change broadcast.
    await c.request('sessions.list', {});
    expect(c.rec.frames('lane').length).toBe(framesBefore);
    expect(c.rec.packets.filter((p) => p.event === 'sessions.changed').length).toBe(changedBefore);
    await admin.request('control', { type: 'lane.release', sessionId: 'lane' });
  });
});

describe('minor versions: a peer is served the minor it negotiated', () => {
  const baseline = JSON.parse(readFileSync(new URL('../../schema/baseline/1.0/protocol.schema.json', import.meta.url), 'utf8')) as { $id: string };
  const ajv = new Ajv2020({ strict: false, discriminator: true, allowUnionTypes: true, validateFormats: false });
  ajv.addSchema(baseline);
  const payloadSchema: Record<string, string> = {
    hello: 'Hello',
    joined: 'Joined',
    snapshot: 'Snapshot',
    replay: 'EventBatch',
    'session.event': 'EventBatch',
    'session.tool': 'ToolBatch',
    'sessions.changed': 'SessionsChanged',
    'protocol.error': 'ProtocolErrorEvent',
    diagnostics: 'Diagnostics',
  };
  const accepts10 = (name: string, data: unknown) => ajv.getSchema(`${baseline.$id}#/$defs/${name}`)!(data) as boolean;

  it('a 1.0 client gets hello 1.0 and only messages the 1.0 schema accepts, BUSY included; a 1.9 client is served 1.1', async () => {
    const gw = await h.start({ controlToken: CONTROL, maxQueuedRuns: 1, heartbeat: { enabled: false } });
    const admin = await h.client(gw, { controlToken: CONTROL });
    const old = await h.client(gw, { protocolVersion: '1.0' });
    const newer = await h.client(gw, { protocolVersion: '1.9' });
    expect((old.rec.packets[0]!.args[0] as Hello).protocolVersion).toBe('1.0');
    expect(newer.rec.packets[0]!.args[0] as Hello).toMatchObject({ protocolVersion: '1.1', gateway: { instanceId: expect.any(String) } });
    expect(await old.request('join', { sessionId: 'v' })).toMatchObject({ ok: true, data: { protocolVersion: '1.0' } });
    await admin.request('control', { type: 'lane.hold', sessionId: 'v' });
    await admin.request('control', {
      type: 'session.append',
      sessionId: 'v',
      events: [{ type: 'response', runId: 'r0', messageId: 'r0-reply', text: 'cut', truncated: true, at: 1 }],
    });
    expect(await old.request('chat.send', { sessionId: 'v', text: 'a', idempotencyKey: 'a' })).toMatchObject({ ok: true });
    const busy = await old.request('chat.send', { sessionId: 'v', text: 'b', idempotencyKey: 'b' });
    expect(busy).toMatchObject({ ok: false, error: { code: 'BUSY', details: { sessionId: 'v' } } });
    expect(JSON.stringify(busy)).not.toContain('queueLength');
    await old.rec.untilEvent('v', (f) => f.event.type === 'response');
    for (const p of old.rec.packets) {
      const name = payloadSchema[p.event];
      if (name) expect(accepts10(name, p.args[0]), `${p.event} under 1.0`).toBe(true);
    }
    expect(old.rec.frames('v').find((f) => f.event.type === 'response')!.event).not.toHaveProperty('truncated');
    expect(accepts10('ChatSendResult', busy)).toBe(true);
    await admin.request('control', { type: 'lane.release', sessionId: 'v' });
  });
});

describe('a client that leaves the namespace', () => {
  it('has its underlying connection closed by the gateway, and stops counting as connected', async () => {
    const gw = await h.start({ heartbeat: { enabled: false } });
    // A raw engine.io connection, so nothing on the client side closes the transport by itself.
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const received: string[] = [];
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    const connected = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        received.push(text);
        if (text === '2') ws.send('3'); // keep answering pings, as a live client would
        if (text.startsWith('40')) resolve();
      }),
    );
    await new Promise<void>((resolve) => ws.once('open', () => resolve()));
    ws.send('40');
    await connected;
    await expect.poll(() => internalsOf(gw).outboxes.size).toBe(1);
    ws.send('41');
    await closed;
    expect(internalsOf(gw).outboxes.size).toBe(0);
    expect(gw.io.engine.clientsCount).toBe(0);
  });
});
