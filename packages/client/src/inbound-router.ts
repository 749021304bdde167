import type { Snapshot } from '@agent-gateway/schema';
import type { ClientStats, FrameSource } from './client-types.js';
import type { ClientError } from './errors.js';
import { readFrameBatch, type FrameEventName } from './inbound-frames.js';
import type { SessionSubscription } from './session-subscription.js';
import { validateInbound } from './validation.js';

/** What routing inbound session messages needs: the followed sessions by id, and where errors go. */
export interface Routes {
  subscriptions: ReadonlyMap<string, SessionSubscription>;
  stats: ClientStats;
  validating: boolean;
  reportError(error: ClientError): void;
}

/** Frames go to their session; one that fails validation is a gap there, never a silent loss. */
export function routeFrames(routes: Routes, event: FrameEventName, source: FrameSource, payload: unknown): void {
  const { subscriptions, stats } = routes;
  const batch = readFrameBatch(event, payload, routes.validating);
  if (batch.error) routes.reportError(batch.error);
  const touched = new Set<SessionSubscription>();
  for (const read of batch.frames) {
    if (read.ok) {
      const subscription = subscriptions.get(read.frame.sessionId);
      if (subscription) {
        subscription.acceptFrame(read.frame, source);
        touched.add(subscription);
      } else {
        stats.staleDropped++;
      }
      continue;
    }
    stats.invalidFrames++;
    // A frame that does not even say its session may have been any followed session's.
    if (read.sessionId === undefined) for (const subscription of subscriptions.values()) subscription.invalidFrame(read);
    else subscriptions.get(read.sessionId)?.invalidFrame(read);
  }
  if (batch.unreadable) {
    stats.invalidFrames++;
    for (const subscription of subscriptions.values()) subscription.invalidFrame({});
  }
  // Replayed frames are saved once the join completes.
  if (source !== 'replay') for (const subscription of touched) subscription.saveCursor();
}

/** A snapshot goes to its session; one that fails validation fails the join it answers. */
export function routeSnapshot(routes: Routes, payload: unknown): void {
  const sessionId = typeof payload === 'object' && payload !== null ? (payload as { sessionId?: unknown }).sessionId : undefined;
  const subscription = typeof sessionId === 'string' ? routes.subscriptions.get(sessionId) : undefined;
  if (routes.validating) {
    const checked = validateInbound('server event "snapshot"', 'Snapshot', payload);
    if (!checked.ok) {
      if (subscription) {
        subscription.snapshotRejected(checked.error);
        return;
      }
      routes.reportError(checked.error);
      // Not even a session id: a join still waiting for its snapshot takes it as its own.
      if (typeof sessionId !== 'string') for (const other of routes.subscriptions.values()) other.snapshotRejected(checked.error, false);
      return;
    }
  }
  subscription?.onSnapshot(payload as Snapshot);
}
