import type { RunStatus } from '@agent-gateway/schema';
import { isTerminalRunStatus } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { RemoteRun, RunCoordinator, RunRecord } from '../runs/index.js';
import type { RedisConnection } from './connection.js';
import { gatewayKeys, sessionKeys } from './keys.js';

/** `<sessionId> <runId> <nodeId>`: a member of the active-run index (ids contain no spaces). */
export function activeRunMember(sessionId: string, runId: string, nodeId: string): string {
  return `${sessionId} ${runId} ${nodeId}`;
}

export function parseActiveRunMember(member: string): { sessionId: string; runId: string; nodeId: string } | undefined {
  const [sessionId, runId, nodeId] = member.split(' ');
  return sessionId && runId && nodeId ? { sessionId, runId, nodeId } : undefined;
}

/**
 * Runs across gateways: the idempotency guard (`SET NX GET` on one key per session and key), a
 * record per run that any gateway can read (status, owner), the index of runs not yet terminal that
 * the orphan sweep walks, and abort requests for runs executing elsewhere. Status changes are
 * published so every gateway holding the session knows the run (chat.abort, run.subscribe,
 * hasActiveRun) whichever gateway is asked.
 */
export class RedisRuns implements RunCoordinator {
  constructor(
    private readonly connection: RedisConnection,
    private readonly prefix: string,
    private readonly nodeId: string,
    private readonly windowMs: number,
    private readonly logger: Logger,
  ) {}

  async claimKey(sessionId: string, key: string, runId: string): Promise<string | undefined> {
    const idem = sessionKeys(this.prefix, sessionId).idempotency(key);
    const previous = await this.connection.guard(() => this.connection.command.call('SET', idem, runId, 'NX', 'GET', 'PX', String(this.windowMs)));
    return typeof previous === 'string' ? previous : undefined;
  }

  async lookup(sessionId: string, runId: string): Promise<RemoteRun | undefined> {
    const value = await this.connection.guard(() => this.connection.command.get(sessionKeys(this.prefix, sessionId).run(runId)));
    return value ? (JSON.parse(value) as RemoteRun) : undefined;
  }

  async abortElsewhere(run: RunRecord): Promise<boolean> {
    const cluster = gatewayKeys(this.prefix).cluster;
    await this.connection.guard(() => this.connection.command.publish(cluster, `abort|${this.nodeId}|${run.sessionId}|${run.runId}`));
    return true;
  }

  /** A run of this gateway was created or changed status: record it, index it, tell the others. */
  changed(run: RunRecord): void {
    this.record(this.describe(run, this.nodeId));
  }

  /** Record a run's status on behalf of its owner (the orphan sweep ending a dead gateway's run). */
  record(remote: RemoteRun): void {
    const keys = sessionKeys(this.prefix, remote.sessionId);
    const gateway = gatewayKeys(this.prefix);
    const json = JSON.stringify(remote);
    const member = activeRunMember(remote.sessionId, remote.runId, remote.owner);
    const pipeline = this.connection.command.pipeline();
    if (isTerminalRunStatus(remote.status)) {
      // A finished run stays known for the guard window (chat.abort answers it cleanly).
      pipeline.set(keys.run(remote.runId), json, 'PX', this.windowMs).zrem(gateway.activeRuns, member);
    } else pipeline.set(keys.run(remote.runId), json).zadd(gateway.activeRuns, 0, member);
    pipeline.publish(gateway.cluster, `run|${this.nodeId}|${remote.sessionId}|${json}`);
    void this.connection
      .guard(() => pipeline.exec())
      .catch((error: unknown) => this.logger.warn({ err: error, runId: remote.runId, status: remote.status }, 'recording a run status failed'));
  }

  describe(run: RunRecord, owner: string, status: RunStatus = run.status): RemoteRun {
    return {
      runId: run.runId,
      sessionId: run.sessionId,
      trigger: run.trigger,
      status,
      createdAt: run.createdAt,
      owner,
      ...(run.error ? { error: run.error } : {}),
    };
  }
}
