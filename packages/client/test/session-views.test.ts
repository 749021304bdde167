import { describe, expect, it } from 'vitest';
import { SessionViews } from '../src/session-views.js';

function finishedRun(views: SessionViews, sessionId: string, n: number, status: 'completed' | 'aborted' = 'completed'): string {
  const runId = `run-old-${n}`;
  views.applyEvent(sessionId, { type: 'message', messageId: `${runId}-user`, role: 'user', text: `q${n}`, runId, at: n });
  views.applyEvent(sessionId, { type: 'run.start', runId, trigger: 'chat', at: n });
  if (status === 'completed') views.applyEvent(sessionId, { type: 'response', runId, messageId: `${runId}-reply`, text: `a${n}`, at: n });
  views.applyEvent(sessionId, { type: 'run.end', runId, status, at: n });
  return runId;
}

describe('SessionViews: replies of old runs', () => {
  it('still finishes a late reader of a run whose reply and outcome were dropped to bound memory', async () => {
    const views = new SessionViews(() => undefined);
    // More runs than replies and outcomes kept: the first ones survive only in the conversation.
    for (let n = 0; n < 2300; n++) finishedRun(views, 's', n, n === 1 ? 'aborted' : 'completed');
    expect(views.runKnowledge('s', 'run-old-0')).toBe('unknown');
    expect(await views.replyAskedFor('s', 'run-old-0', false).finished()).toEqual({ type: 'end', status: 'completed', text: 'a0' });
    // A run with only its user message left cannot be told apart from a queued one: the gateway decides.
    views.replyAskedFor('s', 'run-old-1', false);
    expect(views.runKnowledge('s', 'run-old-1')).toBe('unconfirmed');
    views.confirmRun('s', 'run-old-1', 'aborted');
    expect(await views.reply('s', 'run-old-1').finished()).toMatchObject({ status: 'aborted' });
    // A recent run is still held with its outcome.
    expect(await views.replyAskedFor('s', 'run-old-2299', false).finished()).toEqual({ type: 'end', status: 'completed', text: 'a2299' });
    views.replyAskedFor('s', 'run-never', false);
    expect(views.runKnowledge('s', 'run-never')).toBe('unknown');
  });
});
