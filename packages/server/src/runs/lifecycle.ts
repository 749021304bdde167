import { ErrorCodes, isTerminalRunStatus, type RunTrigger, type SessionEvent, type WireError } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { Agent } from '../agent/agent.js';
import type { Session, SessionRegistry } from '../sessions/index.js';
import { playAgentTurn, type RunOutcome } from './agent-turn.js';
import type { RunCoordinator } from './coordinator.js';
import type { RunRecord, RunRegistry } from './registry.js';
import { clearProjectionFirst, type RunEndOrder } from './run-end.js';

/** What a run does once it owns the session's lane. */
export type RunBody =
  /** An agent answers: run.start, its output, stream.end, response, then run.end; the row shows the run. */
  | { kind: 'agent'; agent: Agent; text: string; userMessage?: string }
  /**
   * Internal work in the lane (a heartbeat turn): a run of the registry (chat.abort and
   * run.subscribe know it), but with no reply it logs no run.start/run.end and leaves the row alone.
   */
  | { kind: 'turn'; work(runId: string, signal: AbortSignal): Promise<void> };

export interface StartRun {
  session: Session;
  trigger: RunTrigger;
  body: RunBody;
  /** A repeat inside the guard window returns the original run and starts nothing. */
  idempotencyKey?: string;
  /** The socket that asked: run-scoped for the run. */
  scopedSocketId?: string;
}

export interface StartedRun {
  run: RunRecord;
  duplicate: boolean;
  /** Settles when the run has ended (rejects only when a `turn` body throws). */
  settled: Promise<void>;
}

/** The session's lane is full: nothing was created. */
export interface RefusedRun {
  refused: WireError;
}

export interface RunLifecycleOptions {
  sessions: SessionRegistry;
  runs: RunRegistry;
  logger: Logger;
  /** Agent runs that may wait in one session lane; past it a new one is refused with BUSY. */
  maxQueuedRuns: number;
  endOrder?: RunEndOrder;
  /** Gateways sharing sessions: the idempotency guard and runs across all of them (default: none). */
  coordinator?: RunCoordinator;
  now?: () => number;
}

/** How long a client told BUSY is asked to wait before retrying. */
const BUSY_RETRY_AFTER_MS = 1_000;

/**
 * Every run of the gateway starts here — chat.send, control run.script and heartbeat turns — and
 * ends here: created in the registry (idempotency claimed synchronously, so concurrent retries
 * cannot both start one), queued in the session's lane, played, and ended in the protocol's order.
 */
export class RunLifecycle {
  private readonly now: () => number;
  private readonly endOrder: RunEndOrder;

  constructor(private readonly options: RunLifecycleOptions) {
    this.now = options.now ?? Date.now;
    this.endOrder = options.endOrder ?? clearProjectionFirst;
  }

  async start(spec: StartRun): Promise<StartedRun | RefusedRun> {
    const { session, body } = spec;
    const { runs, coordinator } = this.options;
    // A retry of a run already accepted here gets that run, full lane or not.
    const original = spec.idempotencyKey === undefined ? undefined : runs.findByKey(session.id, spec.idempotencyKey);
    if (original) return { run: original, duplicate: true, settled: Promise.resolve() };
    if (body.kind === 'agent') {
      // Checked before the key is claimed anywhere, so a refusal leaves nothing behind.
      const waiting = runs.activeRuns(session.id).filter((r) => r.status === 'queued').length;
      if (waiting >= this.options.maxQueuedRuns) return { refused: busy(session.id, waiting) };
    }
    let claimedRunId: string | undefined;
    if (coordinator && spec.idempotencyKey !== undefined) {
      // The guard holds across gateways: the key is claimed where they all see it, before anything starts.
      claimedRunId = runs.nextRunId();
      const claimedBefore = await coordinator.claimKey(session.id, spec.idempotencyKey, claimedRunId);
      if (claimedBefore !== undefined) {
        const run =
          runs.getInSession(session.id, claimedBefore) ??
          runs.adopt(
            (await coordinator.lookup(session.id, claimedBefore)) ?? {
              // Claimed a moment ago by a gateway that has not published the run yet: it is queued.
              runId: claimedBefore,
              sessionId: session.id,
              trigger: spec.trigger,
              status: 'queued',
              createdAt: this.now(),
              owner: 'unknown',
            },
          );
        return { run, duplicate: true, settled: Promise.resolve() };
      }
    }
    const { run, duplicate } = runs.create({
      ...(claimedRunId !== undefined ? { runId: claimedRunId } : {}),
      sessionId: session.id,
      trigger: spec.trigger,
      ...(spec.idempotencyKey !== undefined ? { idempotencyKey: spec.idempotencyKey } : {}),
      ...(spec.scopedSocketId !== undefined ? { scopedSocketId: spec.scopedSocketId } : {}),
    });
    if (duplicate) return { run, duplicate: true, settled: Promise.resolve() };
    let settle!: () => void;
    let fail!: (error: unknown) => void;
    const settled = new Promise<void>((resolve, reject) => ((settle = resolve), (fail = reject)));
    // Nobody has to await a run; a failing turn is reported to whoever does.
    settled.catch(() => undefined);
    if (body.kind === 'agent') {
      if (body.userMessage !== undefined) {
        try {
          await this.options.sessions.append(session, [
            { type: 'message', messageId: `${run.runId}-user`, role: 'user', text: body.userMessage, runId: run.runId, at: this.now() },
          ]);
        } catch (error) {
          // The store refused the message (unreachable): the run never starts, and says so.
          runs.finish(run, 'failed', { code: ErrorCodes.Unavailable, message: 'The user message could not be stored.', retryable: true });
          settle();
          throw error;
        }
      }
      this.queueAgentRun(session, run, body, settle);
    } else {
      this.queueTurn(session, run, body.work, settle, fail);
    }
    return { run, duplicate: false, settled };
  }

  /**
   * Abort a run: a queued one leaves the lane, a running one has its signal aborted. Answers whether
   * anything was aborted; a finished run is a clean no-op.
   */
  async abort(session: Session, run: RunRecord): Promise<boolean> {
    if (run.owner !== undefined) return isTerminalRunStatus(run.status) ? false : (this.options.coordinator?.abortElsewhere(run) ?? false);
    // A queued run may already be the lane's current turn, waiting for its turn across gateways.
    if (run.status === 'queued') return session.lane.cancelQueued(run.runId) || session.lane.abortActive(run.runId, new Error('aborted by client'));
    if (run.status === 'running') return session.lane.abortActive(run.runId, new Error('aborted by client'));
    return false;
  }

  /** A run of the session: known here, or (gateways sharing sessions) executing on another gateway. */
  async find(session: Session, runId: string): Promise<RunRecord | undefined> {
    const known = this.options.runs.getInSession(session.id, runId);
    if (known || !this.options.coordinator) return known;
    const remote = await this.options.coordinator.lookup(session.id, runId);
    return remote && remote.sessionId === session.id ? this.options.runs.adopt(remote) : undefined;
  }

  private queueAgentRun(session: Session, run: RunRecord, body: Extract<RunBody, { kind: 'agent' }>, settle: () => void): void {
    const { sessions } = this.options;
    // Behind a run that is active, the row keeps showing that one.
    sessions.updateRow(session, {}, 'run.queued', true, { status: 'queued', hasActiveRun: true, activeRunId: run.runId });
    session.lane.enqueue({
      id: run.runId,
      kind: 'run',
      execute: (signal) => this.playAgentRun(session, run, body, signal).finally(settle),
      cancelled: () => void this.end(session, run, { status: 'aborted', tail: [] }).finally(settle),
    });
  }

  private async playAgentRun(session: Session, run: RunRecord, body: Extract<RunBody, { kind: 'agent' }>, signal: AbortSignal): Promise<void> {
    const { sessions, runs } = this.options;
    runs.markRunning(run);
    await sessions.append(session, [{ type: 'run.start', runId: run.runId, trigger: run.trigger, at: this.now() }]);
    sessions.updateRow(session, { status: 'running', hasActiveRun: true, activeRunId: run.runId }, 'run.start');
    const outcome = await playAgentTurn(
      {
        run,
        agent: body.agent,
        sessionId: session.id,
        text: body.text,
        history: session.view.messages.map((m) => ({ role: m.role, text: m.text })),
        append: (events: SessionEvent[]) => sessions.append(session, events),
        logger: this.options.logger,
        now: this.now,
      },
      signal,
    );
    await this.end(session, run, outcome);
  }

  private queueTurn(
    session: Session,
    run: RunRecord,
    work: Extract<RunBody, { kind: 'turn' }>['work'],
    settle: () => void,
    fail: (error: unknown) => void,
  ): void {
    const { runs } = this.options;
    session.lane.enqueue({
      id: run.runId,
      kind: 'heartbeat',
      execute: async (signal) => {
        runs.markRunning(run);
        try {
          await work(run.runId, signal);
        } catch (error) {
          runs.finish(run, 'failed', { code: ErrorCodes.Internal, message: 'The turn failed.', retryable: true });
          fail(error);
          throw error;
        }
        runs.finish(run, signal.aborted ? 'aborted' : 'completed');
        settle();
      },
      cancelled: () => {
        runs.finish(run, 'aborted');
        settle();
      },
    });
  }

  /** Close what the run left open, then end it in the configured order. */
  private async end(session: Session, run: RunRecord, outcome: RunOutcome): Promise<void> {
    const { sessions, runs } = this.options;
    if (outcome.tail.length > 0) await sessions.append(session, outcome.tail);
    const { status } = outcome;
    const error = outcome.status === 'failed' ? outcome.error : undefined;
    await this.endOrder({
      runId: run.runId,
      recordTerminal: () => runs.finish(run, status, error),
      clearProjection: () => {
        const next = runs.activeRuns(session.id).find((r) => r.runId !== run.runId);
        if (next) sessions.updateRow(session, { status: next.status, hasActiveRun: true, activeRunId: next.runId, lastRunId: run.runId }, 'run.end', false);
        else sessions.updateRow(session, { status, hasActiveRun: false, activeRunId: null, lastRunId: run.runId }, 'run.end', false);
      },
      appendRunEnd: async () => {
        await sessions.append(session, [{ type: 'run.end', runId: run.runId, status, ...(error ? { error } : {}), at: this.now() }]);
      },
      broadcastRow: () => sessions.broadcastRow(session, 'run.end'),
      row: () => session.row,
      replaceRow: (row) => void (session.row = row),
      afterCleanup: (task) => runs.afterCleanup(run, task),
    });
  }
}

function busy(sessionId: string, queueLength: number): WireError {
  return {
    code: ErrorCodes.Busy,
    message: `Session ${sessionId} already has ${queueLength} runs waiting; send again once one has finished.`.slice(0, 4096),
    details: { sessionId, queueLength },
    retryable: true,
    retryAfterMs: BUSY_RETRY_AFTER_MS,
  };
}
