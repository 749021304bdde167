import { describe, expect, it } from 'vitest';
import { SessionView } from '../src/session-view.js';

function finishedRun(view: SessionView, n: number, status: 'completed' | 'aborted' = 'completed'): string {
  const runId = `run-old-${n}`;
  view.applyEvent({ type: 'message', messageId: `${runId}-user`, role: 'user', text: `q${n}`, runId, at: n });
  view.applyEvent({ type: 'run.start', runId, trigger: 'chat', at: n });
  if (status === 'completed') view.applyEvent({ type: 'response', runId, messageId: `${runId}-reply`, text: `a${n}`, at: n });
  view.applyEvent({ type: 'run.end', runId, status, at: n });
  return runId;
}

describe('SessionView: replies of old runs', () => {
  it('still finishes a late reader of a run whose reply and outcome were dropped to bound memory', async () => {
    const view = new SessionView('s', () => undefined);
    // More runs than replies and outcomes kept: the first ones survive only in the conversation.
    for (let n = 0; n < 2300; n++) finishedRun(view, n, n === 1 ? 'aborted' : 'completed');
    expect(view.runKnowledge('run-old-0')).toBe('unknown');
    expect(await view.replyAskedFor('run-old-0', false).finished()).toEqual({ type: 'end', status: 'completed', text: 'a0' });
    // A run with only its user message left cannot be told apart from a queued one: the gateway decides.
    view.replyAskedFor('run-old-1', false);
    expect(view.runKnowledge('run-old-1')).toBe('unconfirmed');
    view.confirmRun('run-old-1', 'aborted');
    expect(await view.reply('run-old-1').finished()).toMatchObject({ status: 'aborted' });
    // A recent run is still held with its outcome.
    expect(await view.replyAskedFor('run-old-2299', false).finished()).toEqual({ type: 'end', status: 'completed', text: 'a2299' });
    view.replyAskedFor('run-never', false);
    expect(view.runKnowledge('run-never')).toBe('unknown');
  });
});
