import { ErrorCodes, type RequestData, type RequestName, type RequestParams } from '@agent-gateway/schema';
import { ClientError, ClientErrorCodes, isClientError } from './errors.js';
import type { RunReply } from './reply.js';
import type { SubscriptionState } from './session-subscription.js';
import type { SessionView } from './session-view.js';

/** The part of a followed session that deciding about a run needs. */
export interface RunLookupTarget {
  readonly sessionId: string;
  readonly view: SessionView;
  readonly state: SubscriptionState;
  /** Resolves once the session is joined; rejects when joining failed. */
  settled(): Promise<unknown>;
  request<E extends RequestName>(name: E, params: RequestParams<E>): Promise<RequestData<E>>;
  isClosed(): boolean;
  failReply(reply: RunReply, error: Error): void;
  notFollowed(runId?: string): ClientError;
}

/** Attempts of one lookup across dropped connections and timeouts before its reply fails. */
const MAX_LOOKUP_ATTEMPTS = 5;

function unknownRun(sessionId: string, runId: string): ClientError {
  return new ClientError(
    ClientErrorCodes.UnknownRun,
    `Run ${runId} is not part of session ${sessionId}: it is neither active, queued nor in the session history the gateway still has`,
    { event: 'reply' },
  );
}

/**
 * Decide whether a run the client holds nothing about exists (the rule is documented on
 * `GatewayClient.reply`): wait for the session's join, make sure every frame sent before the
 * question is applied, then conclude from a complete view or ask the gateway.
 */
export async function settleRun(target: RunLookupTarget, runId: string, reply: RunReply): Promise<void> {
  const { sessionId, view } = target;
  for (let attempt = 1; ; attempt++) {
    if (target.isClosed() || reply.ended || reply.failed) return;
    if (target.state === 'left') {
      target.failReply(reply, target.notFollowed(runId));
      return;
    }
    try {
      // Apply the join's snapshot or replay first: it may hold the run.
      while (target.state !== 'live') await target.settled();
      let knowledge = view.runKnowledge(runId);
      if (knowledge === 'unknown' && view.sessionCoverage() === 'complete') {
        // Frames appended before this request are delivered before its acknowledgement.
        await target.request('sessions.list', { limit: 1 });
        if (target.state !== 'live') continue;
        knowledge = view.runKnowledge(runId);
        if (knowledge === 'unknown' && view.sessionCoverage() === 'complete') {
          target.failReply(reply, unknownRun(sessionId, runId));
          return;
        }
      }
      if (knowledge === 'known' || reply.ended || reply.failed) return;
      const data = await target.request('run.subscribe', { sessionId, runId });
      if (!reply.failed) view.confirmRun(runId, data.status);
      return;
    } catch (error) {
      if (isClientError(error, ClientErrorCodes.RequestFailed) && error.wireError?.code === ErrorCodes.RunNotFound) {
        target.failReply(reply, unknownRun(sessionId, runId));
        return;
      }
      if (target.isClosed() || isClientError(error, ClientErrorCodes.Closed) || reply.failed) return;
      const retriable = isClientError(error, ClientErrorCodes.Disconnected) || isClientError(error, ClientErrorCodes.Timeout);
      if (!retriable || attempt >= MAX_LOOKUP_ATTEMPTS) {
        target.failReply(reply, error instanceof Error ? error : new ClientError(ClientErrorCodes.RequestFailed, String(error)));
        return;
      }
    }
  }
}
