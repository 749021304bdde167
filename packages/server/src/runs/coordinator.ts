import type { RemoteRun, RunRecord } from './registry.js';

/**
 * What the run lifecycle asks of the gateways sharing its sessions: the idempotency guard across
 * all of them, runs that another gateway executes, and aborting them there. Without a coordinator
 * the gateway's own registry is the whole truth.
 */
export interface RunCoordinator {
  /**
   * Claim an idempotency key of a session for `runId`, atomically across gateways. Resolves to the
   * run id the key already names (the claim failed: a repeat), or undefined once it names `runId`.
   */
  claimKey(sessionId: string, key: string, runId: string): Promise<string | undefined>;
  /** A run this gateway does not know, as the shared state describes it (undefined: no such run). */
  lookup(sessionId: string, runId: string): Promise<RemoteRun | undefined>;
  /** Ask the gateway executing `run` to abort it; resolves to whether the request went out. */
  abortElsewhere(run: RunRecord): Promise<boolean>;
}
