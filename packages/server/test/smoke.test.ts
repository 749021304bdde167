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
