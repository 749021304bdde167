import type { SessionRow } from '@agent-gateway/schema';

/** The steps that end a run, for a RunEndOrder to put in order. */
export interface RunEndSteps {
  readonly runId: string;
  /** Record the terminal status in the run registry; schedules the run's internal cleanup. */
  recordTerminal(): void;
  /** Clear the active-run projection: the row shows the next queued run, or the terminal status (no broadcast). */
  clearProjection(): void;
  /** Append run.end to the session log (delivered to joined sockets like any event). */
  appendRunEnd(): Promise<void>;
  /** Broadcast sessions.changed (reason run.end) with the row as it is now. */
  broadcastRow(): void;
  /** The session row as it is now. */
  row(): SessionRow;
  /** Put a row in place without broadcasting it. */
  replaceRow(row: SessionRow): void;
  /** Run `task` when the run's internal cleanup happens. */
  afterCleanup(task: () => void): void;
}

/** Orders the end of a run. */
export type RunEndOrder = (steps: RunEndSteps) => Promise<void>;

/**
 * The protocol's order (R4.2): the projection is cleared before run.end is appended and before the
 * terminal sessions.changed goes out, so a sessions.list sent on that broadcast can never show the
 * run active — whatever the internal cleanup does later.
 */
export const clearProjectionFirst: RunEndOrder = async (steps) => {
  steps.recordTerminal();
  steps.clearProjection();
  await steps.appendRunEnd();
  steps.broadcastRow();
};
