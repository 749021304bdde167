import { MAX_SNAPSHOT_EVENTS, type ActiveRun, type RetainedEvent, type RunTrigger, type Snapshot, type SnapshotMessage } from '@agent-gateway/schema';
import type { LogHead } from '../log/index.js';
import { boundedPrefix } from '../sessions/text-bounds.js';
import { jsonBytes } from '../sessions/view.js';
import type { Session } from '../sessions/index.js';

/** A run still waiting in the lane, shown as the active run when nothing runs yet. */
export interface QueuedRunInfo {
  runId: string;
  trigger: RunTrigger;
  createdAt: number;
}

/**
 * A consistent snapshot of a session at `head` (default: the log's head now), within `maxBytes` of
 * JSON; call inside the session's serial queue, with the view brought up to that head. The state and
 * the active run always go in (the active run's tool inputs and outputs, then its text, are cut if
 * they alone pass the bound); then the newest messages, then the newest retained durable events, as
 * far as the bound allows. What was left out is counted in `omitted`.
 */
export async function buildSnapshot(session: Session, queuedRun: QueuedRunInfo | undefined, maxBytes: number, at?: LogHead): Promise<Snapshot> {
  const head = at ?? (await session.log.head());
  // A shared log may have grown since `head` was read: the snapshot stops exactly at it.
  const durable = (await session.log.durable()).filter((entry) => entry.seq <= head.cursor);
  const base: Snapshot = {
    sessionId: session.id,
    epoch: head.epoch,
    eventCursor: head.cursor,
    oldestCursor: head.oldestCursor,
    state: { status: session.row.status, hasActiveRun: session.row.hasActiveRun, createdAt: session.createdAt, updatedAt: session.row.updatedAt },
    messages: [],
    activeRun: session.view.snapshotActiveRun(queuedRun),
    events: [],
  };
  // Room for the omitted counts and the array separators, so the estimate never undershoots.
  let used = jsonBytes(base) + 64;
  if (used > maxBytes && base.activeRun) {
    base.activeRun = fitActiveRun(base.activeRun, used - maxBytes);
    used = jsonBytes(base) + 64;
  }

  const messages = takeNewest(session.view.messages, maxBytes - used);
  used += messages.bytes;
  const candidates = durable.length > MAX_SNAPSHOT_EVENTS ? durable.slice(durable.length - MAX_SNAPSHOT_EVENTS) : durable;
  const events = takeNewest<RetainedEvent>(candidates, maxBytes - used);
  const omittedMessages = session.view.messages.length - messages.items.length;
  const omittedEvents = durable.length - events.items.length;
  return {
    ...base,
    messages: messages.items.map((m: SnapshotMessage) => ({ ...m })),
    events: events.items,
    ...(omittedMessages > 0 || omittedEvents > 0 ? { omitted: { messages: omittedMessages, events: omittedEvents } } : {}),
  };
}

/** The newest items whose JSON (with a separator each) fits in `budget` bytes, in their order. */
function takeNewest<T>(items: readonly T[], budget: number): { items: T[]; bytes: number } {
  let bytes = 0;
  let first = items.length;
  while (first > 0) {
    const size = jsonBytes(items[first - 1]) + 1;
    if (bytes + size > budget) break;
    bytes += size;
    first -= 1;
  }
  return { items: items.slice(first), bytes };
}

/** The active run with `excess` bytes taken out: tool inputs and outputs first, then text from the end. */
function fitActiveRun(run: ActiveRun, excess: number): ActiveRun {
  const tools = run.tools.map(({ input: _input, output: _output, ...tool }) => tool);
  const withoutPayloads: ActiveRun = { ...run, tools };
  const saved = jsonBytes(run) - jsonBytes(withoutPayloads);
  if (saved >= excess) return withoutPayloads;
  // JSON can take up to 6 bytes per character (\u escapes): cut enough characters to be sure.
  const keep = Math.max(0, run.text.length - (excess - saved));
  const text = boundedPrefix(run.text, keep);
  return { ...withoutPayloads, text, ...(text.length < run.text.length ? { truncated: true as const } : {}) };
}
