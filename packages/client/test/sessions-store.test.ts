import { describe, expect, it } from 'vitest';
import type { SessionRow, SessionStatus } from '@agent-gateway/schema';
import { SessionsStore, isSessionRunActive } from '../src/sessions-store.js';

function row(sessionId: string, revision: number, extra: Partial<SessionRow> = {}): SessionRow {
  return { sessionId, status: 'idle', hasActiveRun: false, activeRunId: null, lastRunId: null, updatedAt: 1000 + revision, revision, ...extra };
}

describe('isSessionRunActive (explicit boolean authoritative on non-terminal rows, terminal never active)', () => {
  const statuses: SessionStatus[] = ['idle', 'queued', 'running', 'completed', 'aborted', 'failed'];
  const expected: Record<SessionStatus, Record<'true' | 'false' | 'absent', boolean>> = {
    idle: { true: true, false: false, absent: false },
    queued: { true: true, false: false, absent: true },
    running: { true: true, false: false, absent: true },
    completed: { true: false, false: false, absent: false },
    aborted: { true: false, false: false, absent: false },
    failed: { true: false, false: false, absent: false },
  };
  for (const status of statuses) {
    for (const flag of ['true', 'false', 'absent'] as const) {
      it(`${status} + hasActiveRun ${flag} -> ${expected[status][flag]}`, () => {
        const input = flag === 'absent' ? { status } : { status, hasActiveRun: flag === 'true' };
        expect(isSessionRunActive(input)).toBe(expected[status][flag]);
      });
    }
  }
});

describe('SessionsStore', () => {
  it('keeps the highest revision per row whatever the arrival order', () => {
    const store = new SessionsStore();
    expect(store.apply(row('a', 5, { status: 'completed' }))).toBe(true);
    // a list answer computed before the broadcast must not roll the row back
    expect(store.applyList([row('a', 4, { status: 'running', hasActiveRun: true }), row('b', 1)])).toEqual([row('b', 1)]);
    expect(store.get('a')?.status).toBe('completed');
    expect(store.isRunActive('a')).toBe(false);
    expect(store.apply(row('a', 5, { status: 'running' }))).toBe(false);
    expect(store.apply(row('a', 6, { status: 'running', hasActiveRun: true }))).toBe(true);
    expect(store.isRunActive('a')).toBe(true);
  });

  it('lists most recently updated first', () => {
    const store = new SessionsStore();
    store.applyList([row('a', 1), row('b', 3), row('c', 2)]);
    expect(store.list().map((r) => r.sessionId)).toEqual(['b', 'c', 'a']);
  });

  it('after supersede, takes any new row whatever its revision and drops the old rows nothing replaced', () => {
    const store = new SessionsStore();
    store.applyList([row('a', 85, { status: 'running', hasActiveRun: true }), row('b', 40, { status: 'queued', hasActiveRun: true })]);
    // A restarted gateway counts revisions from zero again.
    store.supersede();
    expect(store.apply(row('a', 57, { status: 'idle' }))).toBe(true);
    expect(store.get('a')).toMatchObject({ revision: 57, status: 'idle' });
    // Within the new state the revision rule holds again.
    expect(store.apply(row('a', 56, { status: 'running', hasActiveRun: true }))).toBe(false);
    expect(store.dropSuperseded()).toEqual(['b']);
    expect(store.list().map((r) => r.sessionId)).toEqual(['a']);
    expect(store.isRunActive('a')).toBe(false);
    expect(store.dropSuperseded()).toEqual([]);
  });
});
