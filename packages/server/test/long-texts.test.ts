import { MAX_EVENT_TEXT_LENGTH, validateServerEvent, type ServerEventName, type SessionEvent } from '@agent-gateway/schema';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Agent, AgentOutput } from '../src/index.js';
import { assertGapless, createHarness, type Client } from './helpers/wire.js';

const h = createHarness();
afterEach(() => h.closeAll());

/** An agent that plays the given outputs as fast as it can. */
function playing(outputs: readonly AgentOutput[]): Agent {
  return {
    name: 'playing',
    async *run() {
      for (const output of outputs) yield output;
    },
  };
}

/** Every packet the client received validates against the schema of its event. */
function expectAllValid(c: Client): void {
  for (const p of c.rec.packets) {
    const checked = validateServerEvent(p.event as ServerEventName, p.args[0]);
    expect(checked.ok, `${p.event}: ${checked.ok ? '' : JSON.stringify(checked.issues).slice(0, 300)}`).toBe(true);
  }
}

async function runToEnd(outputs: readonly AgentOutput[], sessionId: string) {
  const gw = await h.start({ agent: playing(outputs), heartbeat: { enabled: false } });
  const c = await h.client(gw);
  await c.request('join', { sessionId });
  const sent = await c.request('chat.send', { sessionId, text: 'go', idempotencyKey: `k-${sessionId}` });
  if (!sent.ok) throw new Error('chat.send refused');
  await c.rec.untilEvent(sessionId, (f) => f.event.type === 'run.end', { timeoutMs: 60_000 });
  const frames = c.rec.frames(sessionId);
  const events = frames.map((f) => f.event);
  return { gw, c, frames, events, runId: sent.data.runId };
}

const ofType = <T extends SessionEvent['type']>(events: SessionEvent[], type: T) =>
  events.filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);

describe('long texts stay within the schema (outbound validation is a contract)', () => {
  it('a 5 MB reply streams as streams of at most MAX_EVENT_TEXT_LENGTH; their stream.end texts rebuild it exactly', async () => {
    const piece = 'abcdefghij'.repeat(409) + 'xyzÅ\u{1F600}'; // 4096 characters of UTF-16, an astral character at the end
    const outputs: AgentOutput[] = Array.from({ length: 1280 }, (_, i) => ({ type: 'chunk', text: `${i}:${piece}` }));
    const expected = outputs.map((o) => (o as { text: string }).text).join('');
    expect(expected.length).toBeGreaterThan(5_000_000);
    const { c, frames, events } = await runToEnd(outputs, 'five-mb');
    expectAllValid(c);
    assertGapless(frames, 0);
    const ends = ofType(events, 'stream.end');
    expect(ends.length).toBeGreaterThanOrEqual(5);
    for (const end of ends) expect(end.text.length).toBeLessThanOrEqual(MAX_EVENT_TEXT_LENGTH);
    expect(ends.map((e) => e.text).join('')).toBe(expected);
    expect(
      ofType(events, 'stream.chunk')
        .map((e) => e.text)
        .join(''),
    ).toBe(expected);
    const [response] = ofType(events, 'response');
    expect(response).toMatchObject({ truncated: true });
    expect(expected.startsWith(response!.text)).toBe(true);
    expect(response!.text.length).toBeLessThanOrEqual(MAX_EVENT_TEXT_LENGTH);
    expect(ofType(events, 'run.end')[0]).toMatchObject({ status: 'completed' });
  }, 120_000);

  it('one chunk larger than the bound is cut into chunks that fit, never inside a surrogate pair', async () => {
    const huge = `${'a'.repeat(MAX_EVENT_TEXT_LENGTH - 1)}\u{1F600}${'b'.repeat(1000)}`;
    const { c, events } = await runToEnd([{ type: 'chunk', text: huge }], 'huge-chunk');
    expectAllValid(c);
    const chunks = ofType(events, 'stream.chunk');
    expect(chunks.length).toBe(2);
    expect(chunks[0]!.text.length).toBe(MAX_EVENT_TEXT_LENGTH - 1);
    expect(chunks.map((e) => e.text).join('')).toBe(huge);
    expect(ofType(events, 'stream.end').map((e) => e.text)).toEqual(chunks.map((e) => e.text));
  }, 60_000);

  it('a tool event the schema rejects fails the run with AGENT_FAILED instead of reaching clients', async () => {
    const { c, events } = await runToEnd(
      [
        { type: 'chunk', text: 'working' },
        { type: 'tool', toolCallId: 'c1', toolName: 'x'.repeat(300), phase: 'start' },
      ],
      'bad-tool',
    );
    expectAllValid(c);
    expect(ofType(events, 'tool')).toEqual([]);
    expect(ofType(events, 'error')[0]?.error).toMatchObject({ code: 'AGENT_FAILED', retryable: false });
    expect(ofType(events, 'error')[0]?.error.message).toContain('/toolName');
    expect(ofType(events, 'run.end')[0]).toMatchObject({ status: 'failed' });
  });

  it('property: whatever an agent outputs around the bounds, every frame validates and the streamed text arrives whole', async () => {
    const sizes = fc.constantFrom(0, 1, 4095, MAX_EVENT_TEXT_LENGTH - 1, MAX_EVENT_TEXT_LENGTH, MAX_EVENT_TEXT_LENGTH + 1);
    const chunk = fc.tuple(sizes, fc.boolean()).map(([size, astral]): AgentOutput => {
      const body = 'c'.repeat(Math.max(0, size - (astral ? 2 : 0)));
      return { type: 'chunk', text: astral ? `${body.slice(0, Math.floor(body.length / 2))}\u{1F680}${body.slice(Math.floor(body.length / 2))}` : body };
    });
    const name = fc.constantFrom(1, 255, 256).map((n) => 'n'.repeat(n));
    const tool = fc
      .tuple(name, name, fc.constantFrom('start', 'update', 'end', 'error', 'result' as const))
      .map(([toolCallId, toolName, phase]): AgentOutput => ({
        type: 'tool',
        toolCallId,
        toolName,
        phase,
        ...(phase === 'error' ? { error: { code: 'AGENT_FAILED' as const, message: 'm'.repeat(4096) } } : { output: { big: 'o'.repeat(10_000) } }),
      }));
    const output = fc.oneof(
      { arbitrary: chunk, weight: 3 },
      { arbitrary: tool, weight: 1 },
      { arbitrary: fc.constant<AgentOutput>({ type: 'stream.end' }), weight: 1 },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(output, { minLength: 1, maxLength: 6 }), async (outputs) => {
        const { c, events } = await runToEnd(outputs, `prop-${run++}`);
        expectAllValid(c);
        const streamed = outputs.flatMap((o) => (o.type === 'chunk' ? [o.text] : [])).join('');
        expect(
          ofType(events, 'stream.end')
            .map((e) => e.text)
            .join(''),
        ).toBe(streamed);
        expect(ofType(events, 'run.end')[0]).toMatchObject({ status: 'completed' });
        await h.closeAll();
      }),
      { numRuns: 12, seed: 20261130 },
    );
  }, 240_000);
});
