import { ErrorCodes, type SessionEvent, type WireError } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { Agent, AgentMessage, AgentOutput } from './agent.js';
import type { GatewayFaults } from './options.js';
import type { LaneTurn } from './lane.js';
import type { RunRecord, RunRegistry } from './runs.js';
import type { Session, SessionRegistry } from './sessions.js';

export interface RunExecutorDeps {
  sessions: SessionRegistry;
  runs: RunRegistry;
  logger: Logger;
  now?: () => number;
  faults?: Pick<GatewayFaults, 'reviveActiveRunAfterTerminal'>;
}

export interface QueueRunInput {
  session: Session;
  run: RunRecord;
  agent: Agent;
  /** The user text of the turn ('' for scripted or heartbeat turns). */
  text: string;
}

/**
 * Runs agent turns in session lanes and logs what they produce: run.start, chunks and tool phases,
 * stream.end, response, run.end. The end of a run follows the projection rule: clear the row's
 * active run, append run.end, then broadcast sessions.changed.
 */
export class RunExecutor {
  private readonly now: () => number;

  constructor(private readonly deps: RunExecutorDeps) {
    this.now = deps.now ?? Date.now;
    if (deps.faults?.reviveActiveRunAfterTerminal) {
      // Deliberately broken variant: the projection is cleared only by the (possibly slow) cleanup.
      deps.runs.onCleanup((run) => {
        const session = deps.sessions.get(run.sessionId);
        if (session?.row.activeRunId !== run.runId) return;
        const next = deps.runs.activeRuns(session.id)[0];
        if (next)
          deps.sessions.updateRow(session, { status: next.status, hasActiveRun: true, activeRunId: next.runId, lastRunId: run.runId }, 'run.end', false);
        else deps.sessions.updateRow(session, { status: run.status, hasActiveRun: false, activeRunId: null, lastRunId: run.runId }, 'run.end', false);
      });
    }
  }

  /** Put a created (queued) run into its session lane. */
  queue(input: QueueRunInput): void {
    const { session, run } = input;
    const { sessions } = this.deps;
    if (session.row.status !== 'running' && session.row.status !== 'queued') {
      sessions.updateRow(session, { status: 'queued', hasActiveRun: true, activeRunId: run.runId }, 'run.queued');
    } else {
      sessions.updateRow(session, {}, 'run.queued');
    }
    const turn: LaneTurn = {
      id: run.runId,
      kind: 'run',
      execute: (signal) => this.execute(input, signal),
      cancelled: () => void this.end(session, run, 'aborted', undefined, []),
    };
    session.lane.enqueue(turn);
  }

  /**
   * Abort a run: a queued one leaves the lane, a running one has its signal aborted. Answers whether
   * anything was aborted; a finished run is a clean no-op.
   */
  abort(session: Session, run: RunRecord): boolean {
    if (run.status === 'queued') return session.lane.cancelQueued(run.runId);
    if (run.status === 'running') return session.lane.abortActive(run.runId, new Error('aborted by client'));
    return false;
  }

  private async execute(input: QueueRunInput, signal: AbortSignal): Promise<void> {
    const { session, run, agent, text } = input;
    const { sessions, runs } = this.deps;
    runs.markRunning(run);
    await sessions.append(session, [{ type: 'run.start', runId: run.runId, trigger: run.trigger, at: this.now() }]);
    sessions.updateRow(session, { status: 'running', hasActiveRun: true, activeRunId: run.runId }, 'run.start');

    const history: AgentMessage[] = session.view.messages.map((m) => ({ role: m.role, text: m.text }));
    let streamIndex = 0;
    let open: { streamId: string; chunks: number; text: string } | undefined;
    let response = '';
    const closeStream = async (): Promise<void> => {
      if (!open) return;
      const end: SessionEvent = { type: 'stream.end', runId: run.runId, streamId: open.streamId, chunkCount: open.chunks, text: open.text };
      response += open.text;
      open = undefined;
      await sessions.append(session, [end]);
    };

    try {
      for await (const output of agent.run({ sessionId: session.id, runId: run.runId, trigger: run.trigger, text, history, signal })) {
        if (signal.aborted) break;
        await this.record(output, {
          append: (event) => sessions.append(session, [event]),
          openStream: () => (open ??= { streamId: `${run.runId}-s${streamIndex++}`, chunks: 0, text: '' }),
          closeStream,
          runId: run.runId,
        });
      }
      if (signal.aborted) throw signal.reason;
      await closeStream();
      await sessions.append(session, [{ type: 'response', runId: run.runId, messageId: `${run.runId}-reply`, text: response, at: this.now() }]);
      await this.end(session, run, 'completed', undefined, []);
    } catch (error) {
      const tail: SessionEvent[] = [];
      if (open) {
        tail.push({ type: 'stream.end', runId: run.runId, streamId: open.streamId, chunkCount: open.chunks, text: open.text });
        open = undefined;
      }
      if (signal.aborted) {
        await this.end(session, run, 'aborted', undefined, tail);
      } else {
        this.deps.logger.warn({ err: error, runId: run.runId, sessionId: session.id }, 'agent failed');
        const wire: WireError = { code: ErrorCodes.AgentFailed, message: 'The agent failed while answering.', retryable: true };
        tail.push({ type: 'error', runId: run.runId, error: wire, at: this.now() });
        await this.end(session, run, 'failed', wire, tail);
      }
    }
  }

  private async record(
    output: AgentOutput,
    io: {
      append(event: SessionEvent): Promise<unknown>;
      openStream(): { streamId: string; chunks: number; text: string };
      closeStream(): Promise<void>;
      runId: string;
    },
  ): Promise<void> {
    if (output.type === 'chunk') {
      const stream = io.openStream();
      const index = stream.chunks++;
      stream.text += output.text;
      await io.append({ type: 'stream.chunk', runId: io.runId, streamId: stream.streamId, index, text: output.text });
    } else if (output.type === 'stream.end') {
      await io.closeStream();
    } else {
      const { type: _tool, ...tool } = output;
      await io.append({ type: 'tool', runId: io.runId, ...tool, at: this.now() });
    }
  }

  /** Terminal state: projection cleared, run.end appended, then the row broadcast. */
  private async end(
    session: Session,
    run: RunRecord,
    status: 'completed' | 'aborted' | 'failed',
    error: WireError | undefined,
    tail: SessionEvent[],
  ): Promise<void> {
    const { sessions, runs } = this.deps;
    if (tail.length > 0) await sessions.append(session, tail);
    if (this.deps.faults?.reviveActiveRunAfterTerminal) {
      // Deliberately broken variant (the seed bug): run.end and the terminal broadcast go out while
      // the projection still shows the run active; sessions.list reports it active until cleanup,
      // which is scheduled only afterwards so it always gets the last word.
      await sessions.append(session, [{ type: 'run.end', runId: run.runId, status, ...(error ? { error } : {}), at: this.now() }]);
      const stale = session.row;
      sessions.updateRow(session, { status, hasActiveRun: false, activeRunId: null, lastRunId: run.runId }, 'run.end');
      session.row = { ...stale, revision: session.row.revision };
      runs.finish(run, status, error);
      return;
    }
    runs.finish(run, status, error);
    const stillActive = runs.activeRuns(session.id).filter((r) => r.runId !== run.runId);
    const next = stillActive[0];
    if (next) sessions.updateRow(session, { status: next.status, hasActiveRun: true, activeRunId: next.runId, lastRunId: run.runId }, 'run.end', false);
    else sessions.updateRow(session, { status, hasActiveRun: false, activeRunId: null, lastRunId: run.runId }, 'run.end', false);
    await sessions.append(session, [{ type: 'run.end', runId: run.runId, status, ...(error ? { error } : {}), at: this.now() }]);
    sessions.broadcastRow(session, 'run.end');
  }
}
