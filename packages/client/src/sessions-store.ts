import { isTerminalSessionStatus, type SessionRow, type SessionStatus } from '@agent-gateway/schema';

/**
 * The part of a row the active-run rule looks at. `hasActiveRun` is optional so rows from older or
 * foreign gateways that lack the explicit boolean still get an answer.
 */
export interface RunActivityRow {
  status: SessionStatus;
  hasActiveRun?: boolean | undefined;
}

/**
 * Is a run active in this session? A terminal row (completed, aborted, failed) is never active,
 * whatever else it says. On a non-terminal row the explicit `hasActiveRun` boolean is
 * authoritative; only a row without it falls back to its status.
 */
export function isSessionRunActive(row: RunActivityRow): boolean {
  if (isTerminalSessionStatus(row.status)) return false;
  if (typeof row.hasActiveRun === 'boolean') return row.hasActiveRun;
  return row.status === 'queued' || row.status === 'running';
}

/**
 * Session rows fed by `sessions.list` answers and `sessions.changed` broadcasts. Both can arrive in
 * any order relative to each other, so a row only replaces the stored one when its revision is
 * higher: a list answer computed before a broadcast never rolls the row back.
 *
 * Revisions are only comparable within one gateway state (one `hello.gateway.instanceId`): a
 * restarted in-memory gateway counts from zero again. `supersede()` marks every row held so far as
 * coming from a state the next rows cannot be compared with; any row received after it replaces
 * the old one whatever its revision, and `dropSuperseded()` removes the old rows nothing replaced.
 */
export class SessionsStore {
  private readonly rows = new Map<string, { row: SessionRow; generation: number }>();
  private generation = 0;

  /** Returns true when the row was newer than what was stored. */
  apply(row: SessionRow): boolean {
    const current = this.rows.get(row.sessionId);
    if (current && current.generation === this.generation && current.row.revision >= row.revision) return false;
    this.rows.set(row.sessionId, { row, generation: this.generation });
    return true;
  }

  /** Merge a `sessions.list` answer; returns the rows that changed. */
  applyList(rows: readonly SessionRow[]): SessionRow[] {
    return rows.filter((row) => this.apply(row));
  }

  /** The rows held so far come from a gateway state whose revisions the next rows do not continue. */
  supersede(): void {
    this.generation++;
  }

  /** Remove the rows held from before the last `supersede()` that nothing has replaced; returns their ids. */
  dropSuperseded(): string[] {
    const dropped: string[] = [];
    for (const [sessionId, entry] of this.rows) {
      if (entry.generation === this.generation) continue;
      this.rows.delete(sessionId);
      dropped.push(sessionId);
    }
    return dropped;
  }

  /** Forget a row (the gateway unloaded the session); returns whether it was held. */
  remove(sessionId: string): boolean {
    return this.rows.delete(sessionId);
  }

  get(sessionId: string): SessionRow | undefined {
    return this.rows.get(sessionId)?.row;
  }

  isRunActive(sessionId: string): boolean {
    const row = this.get(sessionId);
    return row ? isSessionRunActive(row) : false;
  }

  get size(): number {
    return this.rows.size;
  }

  /** Most recently updated first, as `sessions.list` orders them. */
  list(): SessionRow[] {
    return [...this.rows.values()].map(({ row }) => row).sort((a, b) => b.updatedAt - a.updatedAt || a.sessionId.localeCompare(b.sessionId));
  }

  clear(): void {
    this.rows.clear();
  }
}
