import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProtocolErrorEvent } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoAgent } from '../src/index.js';
import { createHarness } from './helpers/wire.js';

const h = createHarness();
afterEach(() => h.closeAll());

describe('draining before shutdown', () => {
  it('refuses new connections and requests, lets the run in flight finish, then closes every connection with SHUTTING_DOWN', async () => {
    const gw = await h.start({ agent: createDemoAgent({ chunkDelayMs: 20, toolDelayMs: 20 }), heartbeat: { enabled: false } });
    const client = await h.client(gw);
    const idle = await h.client(gw);
    await client.request('join', { sessionId: 'drain' });
    const sent = await client.request('chat.send', { sessionId: 'drain', text: 'finish me before you go', idempotencyKey: 'd1' });
    if (!sent.ok) throw new Error('chat.send failed');
    await client.rec.untilEvent('drain', (f) => f.event.type === 'run.start');

    const closing = gw.close({ drainMs: 10_000 });
    // Nobody new gets in (the gateway stopped listening), and nothing new starts.
    const refused = await h.refused(gw);
    expect(refused.data).toBeUndefined();
    await expect(fetch(`${gw.url}/healthz`)).rejects.toThrow();
    expect(await idle.request('sessions.list', {})).toMatchObject({ ok: false, error: { code: 'SHUTTING_DOWN' } });

    // The run in flight ends, then the gateway says why it closes.
    await client.rec.untilEvent('drain', (f) => f.event.type === 'run.end');
    const notice = await client.rec.waitFor((p) => p.event === 'protocol.error', { timeoutMs: 10_000, what: 'SHUTTING_DOWN' });
    expect((notice.args[0] as ProtocolErrorEvent).error).toMatchObject({ code: 'SHUTTING_DOWN', retryable: true });
    const runEnd = client.rec.frames('drain').find((f) => f.event.type === 'run.end')!;
    expect(runEnd.event).toMatchObject({ status: 'completed' });
    await closing;
    await new Promise<void>((resolve) => (client.socket.disconnected ? resolve() : client.socket.once('disconnect', () => resolve())));
    expect(idle.rec.packets.some((p) => p.event === 'protocol.error' && (p.args[0] as ProtocolErrorEvent).error.code === 'SHUTTING_DOWN')).toBe(true);
  });

  it("attached to an embedder's server, which keeps listening, handshakes during the drain are refused with SHUTTING_DOWN", async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const gw = await h.start({ httpServer: server, controlToken: 'ctl', heartbeat: { enabled: false } });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const holder = await h.client(url, { controlToken: 'ctl' });
    // A held run keeps the drain going while a newcomer knocks; the drain gives up on it after its time.
    await holder.request('control', { type: 'run.script', sessionId: 'held', steps: [{ type: 'hold', gate: 'g' }] });
    const closing = gw.close({ drainMs: 1_000 });
    const refused = await h.refused(url);
    expect(refused.message).toBe('SHUTTING_DOWN');
    expect(refused.data).toMatchObject({ code: 'SHUTTING_DOWN', retryable: true, retryAfterMs: 1_000 });
    await closing;
    await holder.rec.waitFor((p) => p.event === 'protocol.error' && (p.args[0] as ProtocolErrorEvent).error.code === 'SHUTTING_DOWN');
    expect(server.listening).toBe(true);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a drain with nothing in flight closes at once, and the server stops listening', async () => {
    const gw = await h.start();
    await gw.close({ drainMs: 10_000 });
    expect(gw.httpServer.listening).toBe(false);
  });
});
