import { isTerminalRunStatus, type RequestData, type RequestParams } from '@agent-gateway/schema';
import { ClientError, ClientErrorCodes, isClientError } from './errors.js';

export interface OwnRunsContext {
  sessionId: string;
  subscribe(params: RequestParams<'run.subscribe'>): Promise<RequestData<'run.subscribe'>>;
  /** Whether the client already holds the run's end (or gave up on it). */
  isOver(runId: string): boolean;
  reportError(error: ClientError): void;
}

/**
 * The runs this client started in one session that have not ended. The connection that sent
 * `chat.send` is run-scoped for its run (every tool phase arrives, even while a pressured gateway
 * thins out mirrors); a new connection is not, so after a reconnect the client asks again.
 */
export class OwnRuns {
  private readonly runIds = new Set<string>();
  private readonly context: OwnRunsContext;

  constructor(context: OwnRunsContext) {
    this.context = context;
  }

  add(runId: string): void {
    this.runIds.add(runId);
  }

  /** The run ended (its run.end was applied). */
  ended(runId: string): void {
    this.runIds.delete(runId);
  }

  /** The runs are gone with the gateway state they belonged to. */
  clear(): void {
    this.runIds.clear();
  }

  /** Ask to be run-scoped again for every run still open. */
  resubscribe(): void {
    const { sessionId, subscribe, isOver, reportError } = this.context;
    for (const runId of this.runIds) {
      if (isOver(runId)) {
        this.runIds.delete(runId);
        continue;
      }
      subscribe({ sessionId, runId }).then(
        (data) => {
          if (isTerminalRunStatus(data.status)) this.runIds.delete(runId);
        },
        (error: unknown) => {
          // A dropped connection asks again after the next rejoin; anything else the app should see.
          if (isClientError(error, ClientErrorCodes.Disconnected) || isClientError(error, ClientErrorCodes.Closed)) return;
          reportError(error instanceof ClientError ? error : new ClientError(ClientErrorCodes.RequestFailed, String(error)));
        },
      );
    }
  }
}
