import type { Joined } from '@agent-gateway/schema';
import type { ClientResyncReason } from './client-types.js';
import { ClientError, ClientErrorCodes } from './errors.js';

/** One join request of a followed session and what its answer brought. */
export interface JoinAttempt {
  /** Set when the client itself asked for the snapshot (gap). */
  reason: ClientResyncReason | undefined;
  /** Sent while disconnected: the request leaves on the next connection, which must not send another. */
  startedDisconnected: boolean;
  /** Sent on a connection that came back: the client asks to be run-scoped again for its runs after it. */
  afterReconnect: boolean;
  /** The cursor the join resumes from (undefined: a snapshot was asked for). */
  since: number | undefined;
  /** The client had a view of the session before this join (so a snapshot is a resync). */
  hadState: boolean;
  replayed: number;
  joined: Joined | undefined;
  snapshotApplied: boolean;
  /** The snapshot that answered this join failed validation. */
  snapshotError: ClientError | undefined;
  snapshotArrived: (() => void) | undefined;
}

export function newJoinAttempt(fields: Pick<JoinAttempt, 'reason' | 'startedDisconnected' | 'afterReconnect' | 'hadState'>): JoinAttempt {
  return { ...fields, since: undefined, replayed: 0, joined: undefined, snapshotApplied: false, snapshotError: undefined, snapshotArrived: undefined };
}

/** The snapshot arrived (valid or not): a join waiting for it goes on. */
export function snapshotSettled(attempt: JoinAttempt, outcome: { applied: true } | { error: ClientError }): void {
  if ('applied' in outcome) attempt.snapshotApplied = true;
  else attempt.snapshotError ??= outcome.error;
  attempt.snapshotArrived?.();
}

/**
 * A join answered with `resyncRequired` is complete only with its snapshot applied. The gateway
 * sends it before the acknowledgement; a gateway that sends it after gets `timeoutMs` more.
 * Rejects with the validation error of a snapshot that could not be used, or TIMEOUT.
 */
export async function snapshotOf(attempt: JoinAttempt, sessionId: string, timeoutMs: number): Promise<void> {
  if (!attempt.snapshotApplied && !attempt.snapshotError) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        attempt.snapshotArrived = undefined;
        reject(
          new ClientError(ClientErrorCodes.Timeout, `The gateway answered the join of ${sessionId} with a resync but sent no snapshot within ${timeoutMs} ms`, {
            event: 'snapshot',
          }),
        );
      }, timeoutMs);
      attempt.snapshotArrived = () => {
        attempt.snapshotArrived = undefined;
        clearTimeout(timer);
        resolve();
      };
    });
  }
  if (attempt.snapshotError && !attempt.snapshotApplied) throw attempt.snapshotError;
}
