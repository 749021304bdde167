import type { SessionRow, SessionStatus } from '@agent-gateway/schema';

export type TerminalRunStatus = 'completed' | 'aborted' | 'failed';

/**
 * The session list's view of runs. It is the only source of `status` / `hasActiveRun` for
 * sessions.list and sessions.changed: deriving them from internal bookkeeping that is cleaned up
 * later (abort controllers, retry guards) is how a finished run came back as active.
 */
export class ActiveRunProjection {
  readonly #rows = new Map<string, SessionRow>();
  /** Runs queued or running per session, in lane order. */
  readonly #pending = new Map<string, string[]>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  has(sessionId: string): boolean {
    return this.#rows.has(sessionId);
  }

  get(sessionId: string): SessionRow | undefined {
    const row = this.#rows.get(sessionId);
    return row && { ...row };
  }

  /** Creates the row if needed; returns it and whether it was new. */
  ensure(sessionId: string): { row: SessionRow; created: boolean } {
    const existing = this.#rows.get(sessionId);
    if (existing) return { row: { ...existing }, created: false };
    const row: SessionRow = { sessionId, status: 'idle', hasActiveRun: false, activeRunId: null, lastRunId: null, updatedAt: this.#now(), revision: 0 };
    this.#rows.set(sessionId, row);
    return { row: { ...row }, created: true };
  }

  runQueued(sessionId: string, runId: string): SessionRow {
    const pending = this.#pendingOf(sessionId);
    if (!pending.includes(runId)) pending.push(runId);
    const row = this.#rowOf(sessionId);
    // A run already executing keeps the row running; a queued one behind it changes nothing visible but the revision.
    if (row.status === 'running' && row.activeRunId !== null) return this.#touch(row, {});
    return this.#touch(row, { status: 'queued', hasActiveRun: true, activeRunId: pending[0] ?? runId });
  }

  runStarted(sessionId: string, runId: string): SessionRow {
    const pending = this.#pendingOf(sessionId);
    if (!pending.includes(runId)) pending.unshift(runId);
    const row = this.#rowOf(sessionId);
    return this.#touch(row, { status: 'running', hasActiveRun: true, activeRunId: runId });
  }

  /**
   * Clears the projection of a finished run. Must be called before the terminal sessions.changed is
   * broadcast. With another run still queued in the lane the row shows that one as queued.
   */
  runEnded(sessionId: string, runId: string, status: TerminalRunStatus): SessionRow {
    const pending = this.#pendingOf(sessionId).filter((id) => id !== runId);
    this.#pending.set(sessionId, pending);
    const row = this.#rowOf(sessionId);
    const next = pending[0];
    if (next !== undefined) return this.#touch(row, { status: 'queued', hasActiveRun: true, activeRunId: next, lastRunId: runId });
    return this.#touch(row, { status, hasActiveRun: false, activeRunId: null, lastRunId: runId });
  }

  /** Rows newest first. */
  list(limit = 100): SessionRow[] {
    return [...this.#rows.values()]
      .sort((a, b) => b.updatedAt - a.updatedAt || b.revision - a.revision)
      .slice(0, limit)
      .map((row) => ({ ...row }));
  }

  remove(sessionId: string): void {
    this.#rows.delete(sessionId);
    this.#pending.delete(sessionId);
  }

  #rowOf(sessionId: string): SessionRow {
    this.ensure(sessionId);
    return this.#rows.get(sessionId)!;
  }

  #pendingOf(sessionId: string): string[] {
    let pending = this.#pending.get(sessionId);
    if (!pending) {
      pending = [];
      this.#pending.set(sessionId, pending);
    }
    return pending;
  }

  #touch(row: SessionRow, change: Partial<Pick<SessionRow, 'status' | 'hasActiveRun' | 'activeRunId' | 'lastRunId'>>): SessionRow {
    Object.assign(row, change);
    // A terminal row is never active, whatever the caller passed.
    if (isTerminal(row.status)) {
      row.hasActiveRun = false;
      row.activeRunId = null;
    }
    row.updatedAt = Math.max(row.updatedAt, this.#now());
    row.revision++;
    return { ...row };
  }
}

function isTerminal(status: SessionStatus): boolean {
  return status === 'completed' || status === 'aborted' || status === 'failed';
}

export interface FinishRunSteps {
  projection: ActiveRunProjection;
  sessionId: string;
  runId: string;
  status: TerminalRunStatus;
  /** Appends `run.end` to the session log. */
  appendRunEnd(): void;
  /** Broadcasts sessions.changed with reason run.end and the given row. */
  broadcastChanged(row: SessionRow): void;
  /** Internal cleanup (abort controllers, buffers); the retry guard is not part of it. */
  cleanup(): void;
  /** Delay injected before cleanup (control `cleanup.delay`). */
  cleanupDelayMs: number;
  faults?: { reviveActiveRunAfterTerminal?: boolean };
}

/**
 * The terminal ordering: clear the projection, append run.end, broadcast, then clean up (possibly
 * much later). Resolves when cleanup has run.
 */
export function finishRun(steps: FinishRunSteps): Promise<void> {
  const { projection, sessionId, runId, status } = steps;
  if (steps.faults?.reviveActiveRunAfterTerminal) {
    // Deliberately broken variant for conformance mutant tests: the broadcast goes out while the
    // projection still shows the run active, and the projection is cleared only by cleanup.
    const current = projection.get(sessionId);
    steps.appendRunEnd();
    steps.broadcastChanged({ ...(current ?? projection.ensure(sessionId).row), status, hasActiveRun: false, activeRunId: null, lastRunId: runId });
    return delay(steps.cleanupDelayMs).then(() => {
      projection.runEnded(sessionId, runId, status);
      steps.cleanup();
    });
  }
  const row = projection.runEnded(sessionId, runId, status);
  steps.appendRunEnd();
  steps.broadcastChanged(row);
  return delay(steps.cleanupDelayMs).then(() => steps.cleanup());
}

function delay(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
