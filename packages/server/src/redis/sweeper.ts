import { ErrorCodes, isTerminalRunStatus, isTerminalToolPhase, type WireError } from '@agent-gateway/schema';
import { closeToolCalls } from '../runs/index.js';
import type { Logger } from 'pino';
import type { GatewayCore } from '../core.js';
import type { Session } from '../sessions/index.js';
import type { RedisConnection } from './connection.js';
import { gatewayKeys } from './keys.js';
import type { Leases } from './lease.js';
import { parseActiveRunMember, type RedisRuns } from './runs.js';

/** A member of the active-run index, and what it names. */
interface IndexedRun {
  member: string;
  run: { sessionId: string; runId: string; nodeId: string };
}

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
   * process's lease expires by itself, so it is waited for, not taken over), in the protocol's order.
   */
  private async endPreviousProcessRuns(): Promise<void> {
    const core = this.core;
    const { nodeId, logger } = this.options;
    if (!core) return;
    try {
      const members = await this.activeRunMembers();
      const previous = members.filter(({ run }) => run.nodeId === nodeId && !core.runs.getInSession(run.sessionId, run.runId));
      for (const [sessionId, orphans] of await this.claim(previous)) await this.endOrphans(sessionId, orphans, 'wait');
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
    const { connection, prefix, nodeId, logger, leases } = this.options;
    const keys = gatewayKeys(prefix);
    try {
      const others = (await this.activeRunMembers()).filter(({ run }) => run.nodeId !== nodeId);
      const nodes = [...new Set(others.map(({ run }) => run.nodeId))];
      if (nodes.length === 0) return;
      const alive = await connection.guard(() => connection.command.mget(...nodes.map((n) => keys.node(n))));
      const dead = new Set(nodes.filter((_, i) => alive[i] === null));
      for (const node of dead) leases.forgetNode(node);
      for (const [sessionId, orphans] of await this.claim(others.filter(({ run }) => dead.has(run.nodeId)))) {
        await this.endOrphans(sessionId, orphans, 'take-over');
      }
    } catch (error) {
      logger.warn({ err: error }, 'looking for runs of stopped gateways failed');
    }
  }

  /** The active-run index: every run some gateway is running, with the gateway. */
  private async activeRunMembers(): Promise<IndexedRun[]> {
    const { connection, prefix } = this.options;
    const members = await connection.guard(() => connection.command.zrange(gatewayKeys(prefix).activeRuns, '0', '-1'));
    return members.flatMap((member) => {
      const run = parseActiveRunMember(member);
      return run ? [{ member, run }] : [];
    });
  }

  /**
   * Claim runs to end: exactly one gateway removes a member from the index, and that one ends the
   * run. The claimed runs by session, so all of a session's orphans end under one lease hold.
   */
  private async claim(candidates: readonly IndexedRun[]) {
    const { connection, prefix } = this.options;
    const index = gatewayKeys(prefix).activeRuns;
    const bySession = new Map<string, Array<{ runId: string; nodeId: string }>>();
    for (const { member, run } of candidates) {
      if ((await connection.guard(() => connection.command.zrem(index, member))) !== 1) continue;
      let runs = bySession.get(run.sessionId);
      if (!runs) bySession.set(run.sessionId, (runs = []));
      runs.push({ runId: run.runId, nodeId: run.nodeId });
    }
    return bySession;
  }

  /**
   * End a session's orphans under its lease: taken over at once from a gateway that stopped, or
   * waited for when it is this node's own previous process (whose lease token looks like ours).
   */
  private async endOrphans(sessionId: string, orphans: Array<{ runId: string; nodeId: string }>, lease: 'take-over' | 'wait'): Promise<void> {
    const core = this.core;
    if (!core) return;
    const { leases } = this.options;
    const session = await core.sessions.getOrCreate(sessionId);
    const turnId = `orphans-${orphans[0]!.runId}`;
    const release =
      lease === 'take-over'
        ? await leases.takeOver(sessionId, orphans[0]!.nodeId, turnId)
        : await leases.enter(sessionId, turnId, new AbortController().signal, () => undefined);
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
      ...closeToolCalls(runId, await openToolCalls(session, runId), 'failed', at),
      { type: 'error', runId, error, at },
      { type: 'run.end', runId, status: 'failed', error, at },
    ]);
    core.sessions.broadcastRow(session, 'run.end');
    this.ended += 1;
    logger.warn({ sessionId, runId, deadNode }, 'ended the run of a stopped gateway as failed');
  }
}

/** The tool calls of the run that its gateway left open (id → tool name), read from the session's log. */
async function openToolCalls(session: Session, runId: string): Promise<Map<string, string>> {
  const head = await session.log.head();
  const open = new Map<string, string>();
  for (const { event } of await session.log.read(head.oldestCursor - 1, head.cursor)) {
    if (event.type !== 'tool' || event.runId !== runId) continue;
    if (isTerminalToolPhase(event.phase)) open.delete(event.toolCallId);
    else open.set(event.toolCallId, event.toolName);
  }
  return open;
}
