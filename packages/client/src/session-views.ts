import type { RunEndEvent, SessionEvent, Snapshot, ToolEvent, WireError } from '@agent-gateway/schema';
import { Conversation } from './conversation.js';
import { RunReply } from './reply.js';
import { ToolCards, type ToolCard, type ToolCardChange } from './tool-cards.js';

export interface ToolChange {
  sessionId: string;
  runId: string;
  card: ToolCard;
  change: ToolCardChange;
}

/** Finished replies kept for late readers before the oldest are dropped. */
const MAX_KEPT_REPLIES = 200;
/** Outcomes of dropped replies kept so a late reader of an old run still finishes. */
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

function runKey(sessionId: string, runId: string): string {
  return `${sessionId}\u0000${runId}`;
}

/**
 * What the client knows of each joined session, built from events applied exactly once and in
 * order (the resume logic guarantees that) and from snapshots: conversation, run replies, tool cards.
 */
export class SessionViews {
  readonly tools = new ToolCards();
  private readonly conversations = new Map<string, Conversation>();
  private readonly replies = new Map<string, RunReply>();
  private readonly outcomes = new Map<string, RunOutcome>();
  /** Runs a snapshot referenced without telling whether they are still to come or long over. */
  private readonly unconfirmed = new Set<string>();
  private readonly coverage = new Map<string, SessionCoverage>();
  /** Replies the application asked for that nothing from the gateway has mentioned yet. */
  private readonly asked = new Set<string>();
  private readonly onTool: (change: ToolChange) => void;

  constructor(onTool: (change: ToolChange) => void) {
    this.onTool = onTool;
  }

  conversation(sessionId: string): Conversation {
    let conversation = this.conversations.get(sessionId);
    if (!conversation) {
      conversation = new Conversation();
      this.conversations.set(sessionId, conversation);
    }
    return conversation;
  }

  /** The reply of a run: chunks in order then its end, assembled across replays and snapshots. */
  reply(sessionId: string, runId: string, knownFromStart = false): RunReply {
    const key = runKey(sessionId, runId);
    let reply = this.replies.get(key);
    if (!reply) {
      reply = new RunReply(sessionId, runId, knownFromStart);
      this.replies.set(key, reply);
      const outcome = this.outcomes.get(key);
      if (outcome) {
        // A run whose reply was dropped to bound memory: finish the new reader from what it ended with.
        reply.response(outcome.text);
        reply.end(outcome.status, outcome.error);
      }
      if (this.replies.size > MAX_KEPT_REPLIES) {
        for (const [oldKey, old] of this.replies) {
          if (this.replies.size <= MAX_KEPT_REPLIES) break;
          if (!old.ended) continue;
          this.replies.delete(oldKey);
          const outcome: RunOutcome = { status: old.ended.status, text: old.ended.text };
          if (old.ended.error !== undefined) outcome.error = old.ended.error;
          this.outcomes.set(oldKey, outcome);
          if (this.outcomes.size > MAX_KEPT_OUTCOMES) {
            const oldest = this.outcomes.keys().next().value;
            if (oldest !== undefined) this.outcomes.delete(oldest);
          }
        }
      }
    }
    return reply;
  }

  /** The reply the application asks for; a run nothing has mentioned yet stays 'unknown' until something does. */
  replyAskedFor(sessionId: string, runId: string, knownFromStart: boolean): RunReply {
    const key = runKey(sessionId, runId);
    const isNew = !this.replies.has(key) && !this.outcomes.has(key);
    const reply = this.reply(sessionId, runId, knownFromStart);
    if (isNew && !knownFromStart) {
      // A run old enough that its reply and outcome were dropped is still in the conversation.
      const messages = this.conversation(sessionId)
        .list()
        .filter((message) => message.runId === runId);
      const answer = messages.find((message) => message.role === 'assistant');
      if (answer) {
        reply.response(answer.text);
        reply.end('completed');
      } else if (messages.length > 0) {
        this.unconfirmed.add(key);
      } else {
        this.asked.add(key);
      }
    }
    return reply;
  }

  /** Forget a reply that failed (its readers were told why); the run is asked about again next time. */
  dropReply(reply: RunReply): void {
    const key = runKey(reply.sessionId, reply.runId);
    if (this.replies.get(key) === reply) this.replies.delete(key);
    this.asked.delete(key);
  }

  /** Whether the client holds anything about a run (without creating its reply). */
  runKnowledge(sessionId: string, runId: string): RunKnowledge {
    const key = runKey(sessionId, runId);
    if (this.unconfirmed.has(key)) return 'unconfirmed';
    if (this.asked.has(key)) return 'unknown';
    return this.replies.has(key) || this.outcomes.has(key) ? 'known' : 'unknown';
  }

  sessionCoverage(sessionId: string): SessionCoverage {
    return this.coverage.get(sessionId) ?? 'partial';
  }

  /** Settle a run the snapshot left open, from the gateway's answer about it. */
  confirmRun(sessionId: string, runId: string, status: RunEndEvent['status'] | 'queued' | 'running'): void {
    const key = runKey(sessionId, runId);
    this.unconfirmed.delete(key);
    this.asked.delete(key);
    if (status === 'queued' || status === 'running') return;
    const reply = this.reply(sessionId, runId);
    const answer = this.conversation(sessionId)
      .list()
      .find((message) => message.runId === runId && message.role === 'assistant');
    if (answer) reply.response(answer.text);
    reply.end(status);
    this.closeRunTools(sessionId, runId, Date.now());
  }

  applyEvent(sessionId: string, event: SessionEvent): void {
    if ('runId' in event && event.runId !== undefined) {
      this.unconfirmed.delete(runKey(sessionId, event.runId));
      this.asked.delete(runKey(sessionId, event.runId));
    }
    switch (event.type) {
      case 'message':
        this.conversation(sessionId).apply(event);
        // A user message names the run it queues: the run is known from before its first event.
        if (event.runId !== undefined) this.reply(sessionId, event.runId, true);
        break;
      case 'run.start':
        this.reply(sessionId, event.runId, true);
        break;
      case 'stream.chunk':
        this.reply(sessionId, event.runId).chunk(event.streamId, event.index, event.text);
        break;
      case 'stream.end':
        this.reply(sessionId, event.runId).streamEnd(event.streamId, event.text);
        break;
      case 'response':
        this.conversation(sessionId).apply(event);
        this.reply(sessionId, event.runId).response(event.text);
        break;
      case 'run.end':
        this.reply(sessionId, event.runId).end(event.status, event.error);
        this.closeRunTools(sessionId, event.runId, event.at);
        break;
      case 'tool':
        this.applyTool(sessionId, event);
        break;
      default:
        break;
    }
  }

  /** Rebuild a session from a snapshot; replies in progress continue from it without repeating text. */
  applySnapshot(snapshot: Snapshot): void {
    const sessionId = snapshot.sessionId;
    this.conversation(sessionId).reset(snapshot);
    this.coverage.set(sessionId, 'complete');
    for (const key of this.unconfirmed) if (key.startsWith(`${sessionId}\u0000`)) this.unconfirmed.delete(key);
    // Every run the snapshot mentions gets a reply, so a reader asking for it later finishes from here.
    const startedHere = new Set<string>();
    for (const { event } of snapshot.events) if (event.type === 'run.start') startedHere.add(event.runId);
    const mentioned = new Set<string>(startedHere);
    for (const { event } of snapshot.events) if ('runId' in event && event.runId !== undefined) mentioned.add(event.runId);
    for (const message of snapshot.messages) if (message.runId !== undefined) mentioned.add(message.runId);
    if (snapshot.activeRun) mentioned.add(snapshot.activeRun.runId);
    for (const runId of mentioned) {
      this.asked.delete(runKey(sessionId, runId));
      if (runId !== snapshot.activeRun?.runId) this.reply(sessionId, runId, startedHere.has(runId));
    }
    const at = snapshot.state.updatedAt;
    const active = snapshot.activeRun;
    if (active) {
      this.reply(sessionId, active.runId).snapshotText(active.text);
      for (const card of this.tools.applySnapshot(sessionId, active.runId, active.tools, at)) {
        this.onTool({ sessionId, runId: active.runId, card, change: card.closed ? 'closed' : 'updated' });
      }
    }
    // Runs we were following that are no longer active: finish them from the durable events.
    for (const reply of this.replies.values()) {
      if (reply.sessionId !== sessionId || reply.ended || reply.runId === active?.runId) continue;
      this.finishFromSnapshot(reply, snapshot);
    }
    for (const { event } of snapshot.events) {
      if (event.type === 'tool' && event.phase !== 'start' && event.phase !== 'update') this.applyTool(sessionId, event);
    }
  }

  private finishFromSnapshot(reply: RunReply, snapshot: Snapshot): void {
    let status: 'completed' | 'aborted' | 'failed' | undefined;
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
    const message = snapshot.messages.find((m) => m.runId === reply.runId && m.role === 'assistant');
    if (message) reply.response(message.text);
    if (status) {
      reply.end(status, error);
      this.closeRunTools(reply.sessionId, reply.runId, snapshot.state.updatedAt);
    } else if (message) {
      // The run.end left the retention window, but the run's answer is in the conversation: a
      // response is only logged by a run that completed.
      reply.end('completed');
      this.closeRunTools(reply.sessionId, reply.runId, snapshot.state.updatedAt);
    } else {
      // Neither active nor ended here: queued behind the active run (a snapshot shows only one
      // run), or over with its end evicted. Only the gateway can tell.
      this.unconfirmed.add(runKey(reply.sessionId, reply.runId));
    }
  }

  private applyTool(sessionId: string, event: ToolEvent): void {
    const { change, card } = this.tools.apply(sessionId, event);
    if (change !== 'ignored') this.onTool({ sessionId, runId: event.runId, card, change });
  }

  private closeRunTools(sessionId: string, runId: string, at: number): void {
    for (const card of this.tools.closeRun(sessionId, runId, at)) this.onTool({ sessionId, runId, card, change: 'closed' });
  }

  forgetSession(sessionId: string): void {
    this.conversations.delete(sessionId);
    this.coverage.delete(sessionId);
    this.tools.forgetSession(sessionId);
  }

  /** Stop every reader still waiting for more (the client is closing). */
  failAll(error: Error): void {
    for (const reply of this.replies.values()) reply.fail(error);
  }
}
