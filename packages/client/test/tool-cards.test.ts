import { describe, expect, it } from 'vitest';
import type { ToolEvent, ToolPhase } from '@agent-gateway/schema';
import { ToolCards } from '../src/tool-cards.js';

const S = 'sess-1';
function tool(phase: ToolPhase, toolCallId = 'c1', extra: Partial<ToolEvent> = {}): ToolEvent {
  return { type: 'tool', runId: 'r1', toolCallId, toolName: 'search', phase, at: 1, ...extra };
}

describe('ToolCards', () => {
  it('opens on start, updates, closes on a terminal phase', () => {
    const cards = new ToolCards();
    expect(cards.apply(S, tool('start', 'c1', { input: { q: 1 } })).change).toBe('opened');
    expect(cards.apply(S, tool('update', 'c1', { progress: 50 })).change).toBe('updated');
    const closed = cards.apply(S, tool('result', 'c1', { output: 'ok' }));
    expect(closed.change).toBe('closed');
    expect(closed.card).toMatchObject({ closed: true, state: 'done', sawStart: true, input: { q: 1 }, progress: 50, output: 'ok', closedBy: 'phase' });
  });

  for (const terminal of ['end', 'error', 'result'] as const) {
    it(`closes a card it never saw start on a lone ${terminal}`, () => {
      const cards = new ToolCards();
      const { change, card } = cards.apply(S, tool(terminal, 'c9'));
      expect(change).toBe('closed');
      expect(card).toMatchObject({ closed: true, sawStart: false, state: terminal === 'error' ? 'failed' : 'done' });
    });
  }

  it('ignores duplicate and late phases after the terminal one, and a duplicate start', () => {
    const cards = new ToolCards();
    cards.apply(S, tool('start'));
    expect(cards.apply(S, tool('start')).change).toBe('ignored');
    cards.apply(S, tool('error', 'c1', { error: { code: 'AGENT_FAILED', message: 'boom' } }));
    expect(cards.apply(S, tool('update', 'c1', { progress: 99 })).change).toBe('ignored');
    expect(cards.apply(S, tool('end')).change).toBe('ignored');
    expect(cards.apply(S, tool('start')).change).toBe('ignored');
    expect(cards.get(S, 'r1', 'c1')).toMatchObject({ phase: 'error', state: 'failed', closed: true });
  });

  it('opens a card from an update whose start was suppressed', () => {
    const cards = new ToolCards();
    expect(cards.apply(S, tool('update', 'c2')).change).toBe('opened');
    expect(cards.get(S, 'r1', 'c2')).toMatchObject({ sawStart: false, closed: false, state: 'running' });
  });

  it('closes whatever is still open when the run ends', () => {
    const cards = new ToolCards();
    cards.apply(S, tool('start', 'a'));
    cards.apply(S, tool('start', 'b'));
    cards.apply(S, tool('end', 'b'));
    const closed = cards.closeRun(S, 'r1', 5);
    expect(closed.map((c) => c.toolCallId)).toEqual(['a']);
    expect(cards.get(S, 'r1', 'a')).toMatchObject({ closed: true, closedBy: 'run.end' });
    expect(cards.get(S, 'r1', 'b')).toMatchObject({ closedBy: 'phase' });
  });

  it('takes a snapshot view without reopening closed cards', () => {
    const cards = new ToolCards();
    cards.apply(S, tool('result', 'a'));
    const changed = cards.applySnapshot(
      S,
      'r1',
      [
        { toolCallId: 'a', toolName: 'search', phase: 'start' },
        { toolCallId: 'b', toolName: 'fetch', phase: 'update' },
      ],
      2,
    );
    expect(changed.map((c) => c.toolCallId)).toEqual(['b']);
    expect(cards.get(S, 'r1', 'a')?.closed).toBe(true);
    expect(cards.cards(S, 'r1')).toHaveLength(2);
  });

  it('closes the open cards of a session as interrupted when its state is gone, and leaves closed ones alone', () => {
    const cards = new ToolCards();
    cards.apply(S, tool('start', 'a'));
    cards.apply(S, tool('update', 'b'));
    cards.apply(S, tool('result', 'c'));
    cards.apply('other', tool('start', 'd'));
    const closed = cards.interrupt(S, 'gateway-restarted', 9);
    expect(closed.map((c) => c.toolCallId)).toEqual(['a', 'b']);
    expect(cards.get(S, 'r1', 'a')).toMatchObject({ closed: true, closedBy: 'gateway-restarted', state: 'interrupted', phase: 'start', updatedAt: 9 });
    expect(cards.get(S, 'r1', 'c')).toMatchObject({ closedBy: 'phase', state: 'done' });
    expect(cards.get('other', 'r1', 'd')?.closed).toBe(false);
    // A closed card never reopens, whatever arrives late.
    expect(cards.apply(S, tool('result', 'a')).change).toBe('ignored');
  });
});
