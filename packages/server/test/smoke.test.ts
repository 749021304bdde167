import { Requests, ServerEvents, validate, type RequestName, type RequestParams, type ServerEventName } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoAgent } from '../src/index.js';
import { assertGapless, createHarness } from './helpers/wire.js';

const h = createHarness();
afterEach(() => h.closeAll());

describe('core gateway', () => {
  it('joins, chats with the demo agent and resumes gaplessly', async () => {
    const gw = await h.start({ agent: createDemoAgent({ chunkDelayMs: 0, toolDelayMs: 0 }) });
    const a = await h.client(gw);
    const joined = await a.request('join', { sessionId: 's1' });
    expect(joined.ok).toBe(true);
    const sent = await a.request('chat.send', { sessionId: 's1', text: 'hello there world', idempotencyKey: 'k1' });
    expect(sent.ok).toBe(true);
    await a.rec.untilEvent('s1', (f) => f.event.type === 'run.end');
    const frames = a.rec.frames('s1');
    const last = assertGapless(frames, 0);
    const types = frames.map((f) => f.event.type);
    expect(types[0]).toBe('message');
    expect(types).toContain('tool');
    expect(types).toContain('stream.chunk');
    expect(types.at(-1)).toBe('run.end');
    const b = await h.client(gw);
    if (!joined.ok) throw new Error();
    const resumed = await b.request('join', { sessionId: 's1', since: 3, epoch: joined.data.epoch });
    expect(resumed).toMatchObject({ ok: true, data: { resyncRequired: false, cursor: last } });
    await b.rec.untilSeq('s1', last);
    expect(assertGapless(b.rec.frames('s1'), 3)).toBe(last);
  });
});

describe('everything the gateway emits validates against the schema (R1.1)', () => {
  it('hello, joined, replay, snapshot, session.event, session.tool, sessions.changed, protocol.error and every ack', async () => {
    const gw = await h.start({ controlToken: 'ctl', agent: createDemoAgent({ chunkDelayMs: 0, toolDelayMs: 0 }) });
    const a = await h.client(gw);
    const b = await h.client(gw, { controlToken: 'ctl' });
    const acks: Array<[RequestName, unknown]> = [];
    const ask = async <E extends RequestName>(c: typeof a, event: E, params: RequestParams<E>) => {
      const result = await c.request(event, params);
      acks.push([event, result]);
      return result;
    };
    const joined = await ask(a, 'join', { sessionId: 'v' });
    await ask(b, 'join', { sessionId: 'v' });
    await ask(a, 'chat.send', { sessionId: 'v', text: 'validate me', idempotencyKey: 'v1' });
    await b.rec.untilEvent('v', (f) => f.event.type === 'run.end');
    if (!joined.ok) throw new Error();
    await ask(b, 'join', { sessionId: 'v', since: 0, epoch: joined.data.epoch });
    await ask(b, 'sessions.list', {});
    await ask(b, 'diagnostics.get', {});
    await ask(b, 'control', { type: 'capabilities' });
    await ask(a, 'control', { type: 'capabilities' });
    await ask(a, 'chat.abort', { sessionId: 'v', runId: 'run-none' });
    a.raw('bogus');
    await a.rec.event('protocol.error');
    const packets = [...a.rec.packets, ...b.rec.packets];
    expect(new Set(packets.map((p) => p.event))).toEqual(
      new Set(['hello', 'joined', 'snapshot', 'replay', 'session.event', 'session.tool', 'sessions.changed', 'protocol.error']),
    );
    for (const p of packets) {
      const check = validate(ServerEvents[p.event as ServerEventName].payload, p.args[0]);
      expect(check.ok, `${p.event}: ${JSON.stringify(check.ok ? '' : check.issues)}`).toBe(true);
    }
    for (const [event, result] of acks) {
      const check = validate(Requests[event].result, result);
      expect(check.ok, `${event}: ${JSON.stringify(check.ok ? '' : check.issues)}`).toBe(true);
    }
  });
});
