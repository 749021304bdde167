import { MAX_SNAPSHOT_EVENTS, type RunTrigger, type Snapshot } from '@agent-gateway/schema';
import type { Session } from '../sessions/index.js';

/** A run still waiting in the lane, shown as the active run when nothing runs yet. */
export interface QueuedRunInfo {
  runId: string;
  trigger: RunTrigger;
  createdAt: number;
}

/** A consistent snapshot of a session; call inside the session's serial queue. */
export async function buildSnapshot(session: Session, queuedRun: QueuedRunInfo | undefined): Promise<Snapshot> {
  const head = await session.log.head();
  const durable = await session.log.durable();
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
