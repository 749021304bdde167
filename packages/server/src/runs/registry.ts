import { isTerminalRunStatus, type RunStatus, type RunTrigger, type WireError } from '@agent-gateway/schema';
import { IdempotencyGuard } from './idempotency.js';

export interface RunRecord {
  readonly runId: string;
  readonly sessionId: string;
  readonly trigger: RunTrigger;
  readonly idempotencyKey: string | undefined;
  readonly createdAt: number;
  status: RunStatus;
  startedAt: number | undefined;
  endedAt: number | undefined;
  error: WireError | undefined;
  /** Sockets that receive every tool phase of this run as session.event (starter + run.subscribe). */
  readonly scopedSockets: Set<string>;
  /** True once internal cleanup after the terminal state has run. */
  cleanedUp: boolean;
  /** Work to do when the internal cleanup runs (see RunRegistry.afterCleanup). */
  readonly cleanupTasks: Array<() => void>;
  /** The gateway executing the run when it is not this one (gateways sharing sessions); undefined here. */
  readonly owner?: string;
}

/** A run executing on another gateway, as the shared state describes it. */
export interface RemoteRun {
  runId: string;
  sessionId: string;
  trigger: RunTrigger;
  status: RunStatus;
  createdAt: number;
  owner: string;
  error?: WireError;
}

export interface CreateRunInput {
  /** An id chosen beforehand (claimed across gateways); default a new one. */
  runId?: string;
  sessionId: string;
  trigger: RunTrigger;
  idempotencyKey?: string;
  scopedSocketId?: string;
}

export type CreateRunOutcome = { run: RunRecord; duplicate: boolean };

export interface RunRegistryOptions {
  idempotencyWindowMs: number;
  now?: () => number;
  /** Run ids (default `newRunId`); gateways sharing sessions need ids unique across all of them. */
  newRunId?: () => string;
  /** A run of this gateway was created or changed status (gateways sharing sessions publish it). */
  changed?(run: RunRecord): void;
}

let runCounter = 0;

/** Unique within the process: a time base plus a counter, matching the schema's RunId pattern. */
export function newRunId(): string {
  runCounter += 1;
  return `run-${Date.now().toString(36)}-${runCounter.toString(36)}`;
}

/**
 * All runs of the gateway: their status, who is run-scoped for them, and the idempotency guard,
 * so a retried chat.send gets the original run with duplicate: true and starts nothing. Finished
 * runs stay known for the guard window so chat.abort can answer them cleanly.
 */
export class RunRegistry {
  private readonly runs = new Map<string, RunRecord>();
  private readonly guard: IdempotencyGuard;
  private readonly cleanupTimers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  /** Delay of the internal cleanup that follows every terminal run (control: cleanup.delay). */
  cleanupDelayMs = 0;

  constructor(private readonly options: RunRegistryOptions) {
    this.now = options.now ?? Date.now;
    this.guard = new IdempotencyGuard(options.idempotencyWindowMs, this.now);
  }

  /** The run an idempotency key names in that session inside the guard window, if any. */
  findByKey(sessionId: string, key: string): RunRecord | undefined {
    const runId = this.guard.find(sessionId, key);
    return runId === undefined ? undefined : this.runs.get(runId);
  }

  /** Create a queued run, or return the original one for a repeated idempotency key. */
  create(input: CreateRunInput): CreateRunOutcome {
    this.prune();
    if (input.idempotencyKey !== undefined) {
      const existing = this.findByKey(input.sessionId, input.idempotencyKey);
      if (existing) return { run: existing, duplicate: true };
    }
    const createdAt = this.now();
    const run: RunRecord = {
      runId: input.runId ?? (this.options.newRunId ?? newRunId)(),
      sessionId: input.sessionId,
      trigger: input.trigger,
      idempotencyKey: input.idempotencyKey,
      createdAt,
      status: 'queued',
      startedAt: undefined,
      endedAt: undefined,
      error: undefined,
      scopedSockets: new Set(input.scopedSocketId ? [input.scopedSocketId] : []),
      cleanedUp: false,
      cleanupTasks: [],
    };
    this.runs.set(run.runId, run);
    if (input.idempotencyKey !== undefined) this.guard.claim(input.sessionId, input.idempotencyKey, run.runId, createdAt);
    this.options.changed?.(run);
    return { run, duplicate: false };
  }

  /** A fresh run id, for a caller that claims it across gateways before creating the run. */
  nextRunId(): string {
    return (this.options.newRunId ?? newRunId)();
  }

  /**
   * Know a run that executes on another gateway (a duplicate chat.send, a chat.abort or
   * run.subscribe naming it, or its status published by its gateway): the record this registry keeps
   * for it, created on first sight, its status following what the other gateway reports.
   */
  adopt(remote: RemoteRun): RunRecord {
    const known = this.runs.get(remote.runId);
    if (known) {
      if (known.owner !== undefined) this.follow(known, remote.status, remote.error);
      return known;
    }
    const run: RunRecord = {
      runId: remote.runId,
      sessionId: remote.sessionId,
      trigger: remote.trigger,
      idempotencyKey: undefined,
      createdAt: remote.createdAt,
      status: 'queued',
      startedAt: undefined,
      endedAt: undefined,
      error: undefined,
      scopedSockets: new Set(),
      cleanedUp: false,
      cleanupTasks: [],
      owner: remote.owner,
    };
    this.runs.set(run.runId, run);
    this.follow(run, remote.status, remote.error);
    return run;
  }

  private follow(run: RunRecord, status: RunStatus, error: WireError | undefined): void {
    if (status === 'running' && run.status === 'queued') {
      run.status = 'running';
      run.startedAt = this.now();
    } else if (isTerminalRunStatus(status)) this.finish(run, status as 'completed' | 'aborted' | 'failed', error);
  }

  get(runId: string): RunRecord | undefined {
    return this.runs.get(runId);
  }

  /** A run of that session; a run id of another session is as unknown as a made-up one. */
  getInSession(sessionId: string, runId: string): RunRecord | undefined {
    const run = this.runs.get(runId);
    return run && run.sessionId === sessionId ? run : undefined;
  }

  markRunning(run: RunRecord): void {
    run.status = 'running';
    run.startedAt = this.now();
    if (run.owner === undefined) this.options.changed?.(run);
  }

  /** Record the terminal state and schedule the internal cleanup. */
  finish(run: RunRecord, status: 'completed' | 'aborted' | 'failed', error?: WireError): void {
    if (isTerminalRunStatus(run.status)) return;
    run.status = status;
    run.endedAt = this.now();
    run.error = error;
    if (run.owner === undefined) this.options.changed?.(run);
    const cleanup = () => {
      run.cleanedUp = true;
      run.scopedSockets.clear();
      for (const task of run.cleanupTasks.splice(0)) task();
    };
    if (this.cleanupDelayMs <= 0) {
      queueMicrotask(cleanup);
      return;
    }
    const timer = setTimeout(() => {
      this.cleanupTimers.delete(timer);
      cleanup();
    }, this.cleanupDelayMs);
    timer.unref?.();
    this.cleanupTimers.add(timer);
  }

  /** Run `task` when this run's internal cleanup happens (at once if it already did). */
  afterCleanup(run: RunRecord, task: () => void): void {
    if (run.cleanedUp) task();
    else run.cleanupTasks.push(task);
  }

  subscribe(run: RunRecord, socketId: string): void {
    if (!isTerminalRunStatus(run.status)) run.scopedSockets.add(socketId);
  }

  isScoped(runId: string, socketId: string): boolean {
    return this.runs.get(runId)?.scopedSockets.has(socketId) ?? false;
  }

  forgetSocket(socketId: string): void {
    for (const run of this.runs.values()) run.scopedSockets.delete(socketId);
  }

  /** Runs of a session that are queued or running, oldest first. */
  activeRuns(sessionId: string): RunRecord[] {
    return [...this.runs.values()].filter((r) => r.sessionId === sessionId && !isTerminalRunStatus(r.status));
  }

  counts(): { queued: number; running: number } {
    let queued = 0;
    let running = 0;
    for (const run of this.runs.values()) {
      if (run.status === 'queued') queued += 1;
      else if (run.status === 'running') running += 1;
    }
    return { queued, running };
  }

  /** Forget finished runs and keys older than the guard window. */
  prune(): void {
    const now = this.now();
    this.guard.prune();
    for (const [runId, run] of this.runs) {
      if (run.endedAt !== undefined && run.cleanedUp && run.endedAt + this.options.idempotencyWindowMs <= now) this.runs.delete(runId);
    }
  }

  /**
   * The session was unloaded: forget its finished runs and their idempotency keys (a later
   * chat.send with the same key starts a run in the session as it is now). Runs still active are
   * kept; an idle session has none.
   */
  forgetSession(sessionId: string): void {
    for (const [runId, run] of this.runs) {
      if (run.sessionId !== sessionId || !isTerminalRunStatus(run.status) || !run.cleanedUp) continue;
      this.runs.delete(runId);
      if (run.idempotencyKey !== undefined) this.guard.forget(sessionId, run.idempotencyKey, runId);
    }
  }

  close(): void {
    for (const timer of this.cleanupTimers) clearTimeout(timer);
    this.cleanupTimers.clear();
  }
}
