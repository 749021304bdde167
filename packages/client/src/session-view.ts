import {
  isTerminalRunStatus,
  isTerminalToolPhase,
  type RunEndEvent,
  type RunStatus,
  type SessionEvent,
  type Snapshot,
  type ToolEvent,
  type WireError,
} from '@agent-gateway/schema';
import { Conversation } from './conversation.js';
import type { ClientError, InterruptReason } from './errors.js';
import { RunReply } from './reply.js';
import { ToolCards, type ToolCard, type ToolCardChange } from './tool-cards.js';

export interface ToolChange {
  sessionId: string;
  runId: string;
  card: ToolCard;
  change: ToolCardChange;
}

/** Finished replies kept per session for late readers before the oldest are dropped. */
const MAX_KEPT_REPLIES = 200;
/** Outcomes of dropped replies kept per session so a late reader of an old run still finishes. */
const MAX_KEPT_OUTCOMES = 2000;

interface RunOutcome {
  status: RunEndEvent['status'];
  text: string;
  error?: WireError;
}

/** How much of a session's history the client holds, which decides whether a run it lacks exists. */
export type SessionCoverage =
  /** Rebuilt from a snapshot (whole conversation, retained events) and followed since. */
  | 'complete'
  /** Followed from a stored cursor by replay: runs before that cursor are not known here. */
  | 'partial';

/** What the client can say about a run from what it holds. */
export type RunKnowledge =
  /** Seen in the log: frames will finish its reply, or already have. */
  | 'known'
  /** Referenced by a snapshot but neither active nor finished there (queued, or its end was evicted). */
  | 'unconfirmed'
  /** Not referenced by anything the client holds. */
  | 'unknown';

/**
 * What the client knows of one followed session, built from events applied exactly once and in
 * order (the session's cursor guarantees that) and from snapshots: conversation, run replies, tool
 * cards. Everything here belongs to one epoch of the session's log: `interrupt` closes it when
 * that state is gone.
 */
export class SessionView {
  readonly sessionId: string;
  readonly conversation = new Conversation();
  readonly tools = new ToolCards();
  private readonly replies = new Map<string, RunReply>();
  private readonly outcomes = new Map<string, RunOutcome>();
  /** Runs a snapshot referenced without telling whether they are still to come or long over. */
  private readonly unconfirmed = new Set<string>();
  /** Replies the application asked for that nothing from the gateway has mentioned yet. */
  private readonly asked = new Set<string>();
  private coverage: SessionCoverage = 'partial';
  private readonly onTool: (change: ToolChange) => void;

  constructor(sessionId: string, onTool: (change: ToolChange) => void) {
    this.sessionId = sessionId;
    this.onTool = onTool;
  }

  /** The reply of a run: chunks in order then its end, assembled across replays and snapshots. */
  reply(runId: string, knownFromStart = false): RunReply {
    let reply = this.replies.get(runId);
    if (!reply) {
      reply = new RunReply(this.sessionId, runId, knownFromStart);
      this.replies.set(runId, reply);
      const outcome = this.outcomes.get(runId);
      if (outcome) {
        // A run whose reply was dropped to bound memory: finish the new reader from what it ended with.
        reply.response(outcome.text);
        reply.end(outcome.status, outcome.error);
      }
      if (this.replies.size > MAX_KEPT_REPLIES) this.dropOldReplies();
    }
    return reply;
  }

  private dropOldReplies(): void {
    for (const [oldRunId, old] of this.replies) {
      if (this.replies.size <= MAX_KEPT_REPLIES) break;
      if (!old.ended) continue;
      this.replies.delete(oldRunId);
      const outcome: RunOutcome = { status: old.ended.status, text: old.ended.text };
      if (old.ended.error !== undefined) outcome.error = old.ended.error;
      this.outcomes.set(oldRunId, outcome);
      if (this.outcomes.size > MAX_KEPT_OUTCOMES) {
        const oldest = this.outcomes.keys().next().value;
        if (oldest !== undefined) this.outcomes.delete(oldest);
      }
    }
  }

  /** The reply the application asks for; a run nothing has mentioned yet stays 'unknown' until something does. */
  replyAskedFor(runId: string, knownFromStart: boolean): RunReply {
    const isNew = !this.replies.has(runId) && !this.outcomes.has(runId);
    const reply = this.reply(runId, knownFromStart);
    if (isNew && !knownFromStart) {
      // A run old enough that its reply and outcome were dropped is still in the conversation.
      const messages = this.conversation.list().filter((message) => message.runId === runId);
      const answer = messages.find((message) => message.role === 'assistant');
      if (answer) {
        reply.response(answer.text);
        reply.end('completed');
      } else if (messages.length > 0) {
        this.unconfirmed.add(runId);
      } else {
        this.asked.add(runId);
      }
    }
    return reply;
  }

  /** Forget a reply that failed (its readers were told why); the run is asked about again next time. */
  dropReply(reply: RunReply): void {
    if (this.replies.get(reply.runId) === reply) this.replies.delete(reply.runId);
    this.asked.delete(reply.runId);
  }

  /** Whether the client holds anything about a run (without creating its reply). */
  runKnowledge(runId: string): RunKnowledge {
    if (this.unconfirmed.has(runId)) return 'unconfirmed';
    if (this.asked.has(runId)) return 'unknown';
    return this.replies.has(runId) || this.outcomes.has(runId) ? 'known' : 'unknown';
  }

  sessionCoverage(): SessionCoverage {
    return this.coverage;
  }

  /** Settle a run the snapshot left open, from the gateway's answer about it. */
  confirmRun(runId: string, status: RunStatus): void {
    this.unconfirmed.delete(runId);
    this.asked.delete(runId);
    if (!isTerminalRunStatus(status)) return;
    const reply = this.reply(runId);
    const answer = this.assistantAnswer(runId);
    if (answer !== undefined) reply.response(answer);
    reply.end(status as RunEndEvent['status']);
    this.closeRunTools(runId, Date.now());
  }

  /** The run's final answer as the conversation holds it, if it has one. */
  assistantAnswer(runId: string): string | undefined {
    return this.conversation.list().find((message) => message.runId === runId && message.role === 'assistant')?.text;
  }

  applyEvent(event: SessionEvent): void {
    if ('runId' in event && event.runId !== undefined) {
      this.unconfirmed.delete(event.runId);
      this.asked.delete(event.runId);
    }
    switch (event.type) {
      case 'message':
        this.conversation.apply(event);
        // A user message names the run it queues: the run is known from before its first event.
        if (event.runId !== undefined) this.reply(event.runId, true);
        break;
      case 'run.start':
        this.reply(event.runId, true);
        break;
      case 'stream.chunk':
        this.reply(event.runId).chunk(event.streamId, event.index, event.text);
        break;
      case 'stream.end':
        this.reply(event.runId).streamEnd(event.streamId, event.text);
        break;
      case 'response':
        this.conversation.apply(event);
        this.reply(event.runId).response(event.text);
        break;
      case 'run.end':
        this.reply(event.runId).end(event.status, event.error);
        this.closeRunTools(event.runId, event.at);
        break;
      case 'tool':
        this.applyTool(event);
        break;
      default:
        break;
    }
  }

  /** Rebuild the session from a snapshot; replies in progress continue from it without repeating text. */
  applySnapshot(snapshot: Snapshot): void {
    this.conversation.reset(snapshot);
    this.coverage = 'complete';
    this.unconfirmed.clear();
    // Every run the snapshot mentions gets a reply, so a reader asking for it later finishes from here.
    const startedHere = new Set<string>();
    for (const { event } of snapshot.events) if (event.type === 'run.start') startedHere.add(event.runId);
    const mentioned = new Set<string>(startedHere);
    for (const { event } of snapshot.events) if ('runId' in event && event.runId !== undefined) mentioned.add(event.runId);
    for (const message of snapshot.messages) if (message.runId !== undefined) mentioned.add(message.runId);
    const active = snapshot.activeRun;
    if (active) mentioned.add(active.runId);
    for (const runId of mentioned) {
      this.asked.delete(runId);
      if (runId !== active?.runId) this.reply(runId, startedHere.has(runId));
    }
    const at = snapshot.state.updatedAt;
    if (active) {
      this.reply(active.runId).snapshotText(active.text);
      for (const card of this.tools.applySnapshot(this.sessionId, active.runId, active.tools, at)) {
        this.onTool({ sessionId: this.sessionId, runId: active.runId, card, change: card.closed ? 'closed' : 'updated' });
      }
    }
    // Runs we were following that are no longer active: finish them from the durable events.
    for (const reply of this.replies.values()) {
      if (reply.ended || reply.runId === active?.runId) continue;
      this.finishFromSnapshot(reply, snapshot);
    }
    for (const { event } of snapshot.events) {
      if (event.type === 'tool' && isTerminalToolPhase(event.phase)) this.applyTool(event);
    }
  }

  private finishFromSnapshot(reply: RunReply, snapshot: Snapshot): void {
    let status: RunEndEvent['status'] | undefined;
    let error: WireError | undefined;
    for (const { event } of snapshot.events) {
      if (!('runId' in event) || event.runId !== reply.runId) continue;
      if (event.type === 'stream.end') reply.streamEnd(event.streamId, event.text);
      else if (event.type === 'response') reply.response(event.text);
      else if (event.type === 'run.end') {
        status = event.status;
        error = event.error;
      }
    }
    const answer = this.assistantAnswer(reply.runId);
    if (answer !== undefined) reply.response(answer);
    if (status) {
      reply.end(status, error);
      this.closeRunTools(reply.runId, snapshot.state.updatedAt);
    } else if (answer !== undefined) {
      // The run.end left the retention window, but the run's answer is in the conversation: a
      // response is only logged by a run that completed.
      reply.end('completed');
      this.closeRunTools(reply.runId, snapshot.state.updatedAt);
    } else {
      // Neither active nor ended here: queued behind the active run (a snapshot shows only one
      // run), or over with its end evicted. Only the gateway can tell.
      this.unconfirmed.add(reply.runId);
    }
  }

  /**
   * The state this view was built from is gone (the log's epoch changed, or the gateway is another
   * instance): every reply still waiting fails with `error`, every open tool card closes as
   * interrupted, and what the view knew of runs is forgotten, since run ids are only meaningful
   * within that state. Readers keep the reply and card objects they hold. Returns the runs stopped.
   */
  interrupt(error: ClientError, reason: InterruptReason, at: number): string[] {
    const stopped: string[] = [];
    for (const reply of this.replies.values()) {
      if (reply.ended || reply.failed) continue;
      reply.fail(error);
      stopped.push(reply.runId);
    }
    for (const card of this.tools.interrupt(this.sessionId, reason, at)) {
      if (!stopped.includes(card.runId)) stopped.push(card.runId);
      this.onTool({ sessionId: this.sessionId, runId: card.runId, card, change: 'closed' });
    }
    this.replies.clear();
    this.outcomes.clear();
    this.unconfirmed.clear();
    this.asked.clear();
    this.tools.forgetSession(this.sessionId);
    this.coverage = 'partial';
    return stopped;
  }

  /** Stop every reader still waiting for more (the client is closing, or stops following). */
  failAll(error: Error): void {
    for (const reply of this.replies.values()) reply.fail(error);
  }

  private applyTool(event: ToolEvent): void {
    const { change, card } = this.tools.apply(this.sessionId, event);
    if (change !== 'ignored') this.onTool({ sessionId: this.sessionId, runId: event.runId, card, change });
  }

  private closeRunTools(runId: string, at: number): void {
    for (const card of this.tools.closeRun(this.sessionId, runId, at)) this.onTool({ sessionId: this.sessionId, runId, card, change: 'closed' });
  }
}
