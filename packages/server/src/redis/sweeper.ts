import { ErrorCodes, isTerminalRunStatus, isTerminalToolPhase, type SessionEvent, type WireError } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { GatewayCore } from '../core.js';
import type { Session } from '../sessions/index.js';
import type { RedisConnection } from './connection.js';
import { gatewayKeys } from './keys.js';
import type { Leases } from './lease.js';
import { parseActiveRunMember, type RedisRuns } from './runs.js';

export interface SweeperOptions {
  connection: RedisConnection;
  prefix: string;
  nodeId: string;
  leases: Leases;
  runs: RedisRuns;
  logger: Logger;
  /** How often to look for runs of gateways that stopped renewing their liveness key. */
  intervalMs: number;
}

/**
 * Ends the runs of gateways that died. Every gateway keeps a liveness key with a TTL; a run whose
 * gateway's key is gone is claimed by exactly one surviving gateway (removing it from the active-run
 * index is the claim), which waits for the session's lease (the dead gateway's lease expires by
 * itself), then ends the run as `failed` in the protocol's order: the row cleared, an `error` and
 * `run.end` with the reason appended, `sessions.changed` broadcast. No run stays active forever.
 */
export class OrphanSweeper {
  /** Runs this gateway ended on behalf of a dead one (monotonic). */
  ended = 0;
  private timer: NodeJS.Timeout | undefined;
  private core: GatewayCore | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(private readonly options: SweeperOptions) {}

  start(core: GatewayCore): void {
    this.core = core;
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs);
    this.timer.unref();
    void this.endPreviousProcessRuns();
  }

  /**
   * A node killed and started again under the same id (a supervisor restarts it at once) is alive
   * again before the other gateways notice it died, so they never end the runs its previous process
   * left active; with one node there is nobody else at all. The new process ends them itself, at
   * start, before it takes any request: each as `failed`, under the session's lease (the previous
   * process's lease expires by itself), in the protocol's order.
   */
  private async endPreviousProcessRuns(): Promise<void> {
    const core = this.core;
    const { connection, prefix, nodeId, leases, logger } = this.options;
    if (!core) return;
    const keys = gatewayKeys(prefix);
    try {
      const members = await connection.guard(() => connection.command.zrange(keys.activeRuns, '0', '-1'));
      const bySession = new Map<string, string[]>();
      for (const member of members) {
        const run = parseActiveRunMember(member);
        if (!run || run.nodeId !== nodeId || core.runs.getInSession(run.sessionId, run.runId)) continue;
        const claimed = await connection.guard(() => connection.command.zrem(keys.activeRuns, member));
        if (claimed !== 1) continue;
        let runIds = bySession.get(run.sessionId);
        if (!runIds) bySession.set(run.sessionId, (runIds = []));
        runIds.push(run.runId);
      }
      for (const [sessionId, runIds] of bySession) {
        const session = await core.sessions.getOrCreate(sessionId);
        const release = await leases.enter(sessionId, `previous-${runIds[0]!}`, new AbortController().signal, () => undefined);
        try {
          for (const runId of runIds) await this.endOrphan(core, session, runId, nodeId);
        } finally {
          release();
        }
      }
    } catch (error) {
      logger.warn({ err: error }, 'ending the runs a previous process of this node left active failed');
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass (also what the timer runs); passes never overlap. */
  sweep(): Promise<void> {
    this.sweeping ??= this.pass().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async pass(): Promise<void> {
    const { connection, prefix, nodeId, logger } = this.options;
    const keys = gatewayKeys(prefix);
    try {
      const members = await connection.guard(() => connection.command.zrange(keys.activeRuns, '0', '-1'));
      const parsed = members.map((m) => ({ member: m, run: parseActiveRunMember(m) })).filter((p) => p.run && p.run.nodeId !== nodeId);
      const nodes = [...new Set(parsed.map((p) => p.run!.nodeId))];
      if (nodes.length === 0) return;
      const alive = await connection.guard(() => connection.command.mget(...nodes.map((n) => keys.node(n))));
      const dead = new Set(nodes.filter((_, i) => alive[i] === null));
      // Orphans by session: all of a session's orphans end under one lease hold, before any waiting turn.
      const bySession = new Map<string, Array<{ runId: string; nodeId: string }>>();
      for (const { member, run } of parsed) {
        if (!dead.has(run!.nodeId)) continue;
        this.options.leases.forgetNode(run!.nodeId);
        // Exactly one gateway removes the member: that one ends the run.
        const claimed = await connection.guard(() => connection.command.zrem(keys.activeRuns, member));
        if (claimed !== 1) continue;
        let runs = bySession.get(run!.sessionId);
        if (!runs) bySession.set(run!.sessionId, (runs = []));
        runs.push({ runId: run!.runId, nodeId: run!.nodeId });
      }
      for (const [sessionId, orphans] of bySession) await this.endOrphans(sessionId, orphans);
    } catch (error) {
      logger.warn({ err: error }, 'looking for runs of stopped gateways failed');
    }
  }

  private async endOrphans(sessionId: string, orphans: Array<{ runId: string; nodeId: string }>): Promise<void> {
    const core = this.core;
    if (!core) return;
    const { leases } = this.options;
    const session = await core.sessions.getOrCreate(sessionId);
    const release = await leases.takeOver(sessionId, orphans[0]!.nodeId, `orphans-${orphans[0]!.runId}`);
    try {
      for (const orphan of orphans) await this.endOrphan(core, session, orphan.runId, orphan.nodeId);
    } finally {
      release();
    }
  }

  private async endOrphan(core: GatewayCore, session: Session, runId: string, deadNode: string): Promise<void> {
    const { runs: redisRuns, nodeId, logger } = this.options;
    const sessionId = session.id;
    const remote = await redisRuns.lookup(sessionId, runId);
    const run = core.runs.adopt(remote ?? { runId, sessionId, trigger: 'chat', status: 'running', createdAt: Date.now(), owner: deadNode });
    if (isTerminalRunStatus(run.status)) return;
    const error: WireError = {
      code: ErrorCodes.Unavailable,
      message: `The gateway running this run (${deadNode}) stopped before it ended; the run was ended as failed by ${nodeId}.`,
      retryable: true,
    };
    core.runs.finish(run, 'failed', error);
    redisRuns.record(redisRuns.describe(run, deadNode, 'failed'));
    // The protocol's order (R4.2): projection cleared, run.end appended, then the broadcast.
    const next = core.runs.activeRuns(sessionId).find((r) => r.runId !== runId);
    if (next) core.sessions.updateRow(session, { status: next.status, hasActiveRun: true, activeRunId: next.runId, lastRunId: runId }, 'run.end', false);
    else core.sessions.updateRow(session, { status: 'failed', hasActiveRun: false, activeRunId: null, lastRunId: runId }, 'run.end', false);
    const at = Date.now();
    await core.sessions.append(session, [
      ...(await closeOpenToolCalls(session, runId, at)),
      { type: 'error', runId, error, at },
      { type: 'run.end', runId, status: 'failed', error, at },
    ]);
    core.sessions.broadcastRow(session, 'run.end');
    this.ended += 1;
    logger.warn({ sessionId, runId, deadNode }, 'ended the run of a stopped gateway as failed');
  }
}

/**
 * A terminal `error` phase for every tool call of the run its gateway left open (R3.1: every call
 * gets one terminal phase, so no client keeps a card spinning), found in the session's log.
 */
async function closeOpenToolCalls(session: Session, runId: string, at: number): Promise<SessionEvent[]> {
  const head = await session.log.head();
  const open = new Map<string, string>();
  for (const { event } of await session.log.read(head.oldestCursor - 1, head.cursor)) {
    if (event.type !== 'tool' || event.runId !== runId) continue;
    if (isTerminalToolPhase(event.phase)) open.delete(event.toolCallId);
    else open.set(event.toolCallId, event.toolName);
  }
  const error: WireError = { code: ErrorCodes.AgentFailed, message: 'The run ended before this tool call finished.', retryable: true };
  return [...open].map(([toolCallId, toolName]) => ({ type: 'tool', runId, toolCallId, toolName, phase: 'error', error, at }));
}
