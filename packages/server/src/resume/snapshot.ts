import { MAX_SNAPSHOT_EVENTS, type RunTrigger, type Snapshot } from '@agent-gateway/schema';
import type { LogHead } from '../log/index.js';
import type { Session } from '../sessions/index.js';

/** A run still waiting in the lane, shown as the active run when nothing runs yet. */
export interface QueuedRunInfo {
  runId: string;
  trigger: RunTrigger;
  createdAt: number;
}

/**
 * A consistent snapshot of a session at `head` (default: the log's head now); call inside the
 * session's serial queue, with the view brought up to that head.
 */
export async function buildSnapshot(session: Session, queuedRun: QueuedRunInfo | undefined, at?: LogHead): Promise<Snapshot> {
  const head = at ?? (await session.log.head());
  // A shared log may have grown since `head` was read: the snapshot stops exactly at it.
  const durable = (await session.log.durable()).filter((entry) => entry.seq <= head.cursor);
  const events = durable.length > MAX_SNAPSHOT_EVENTS ? durable.slice(durable.length - MAX_SNAPSHOT_EVENTS) : durable;
  return {
    sessionId: session.id,
    epoch: head.epoch,
    eventCursor: head.cursor,
    oldestCursor: head.oldestCursor,
    state: { status: session.row.status, hasActiveRun: session.row.hasActiveRun, createdAt: session.createdAt, updatedAt: session.row.updatedAt },
    messages: session.view.messages.map((m) => ({ ...m })),
    activeRun: session.view.snapshotActiveRun(queuedRun),
    events,
  };
}
