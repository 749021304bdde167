import type { SessionEvent, Snapshot, ToolEvent, WireError } from '@agent-gateway/schema';
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
      if (this.replies.size > MAX_KEPT_REPLIES) {
        for (const [oldKey, old] of this.replies) {
          if (this.replies.size <= MAX_KEPT_REPLIES) break;
          if (old.ended) this.replies.delete(oldKey);
        }
      }
    }
    return reply;
  }

  applyEvent(sessionId: string, event: SessionEvent): void {
    switch (event.type) {
      case 'message':
        this.conversation(sessionId).apply(event);
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
    } else if (message && !snapshot.state.hasActiveRun) {
      // The run.end left the retention window, but the run's answer is in the conversation.
      reply.end('completed');
      this.closeRunTools(reply.sessionId, reply.runId, snapshot.state.updatedAt);
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
    this.tools.forgetSession(sessionId);
  }

  /** Stop every reader still waiting for more (the client is closing). */
  failAll(error: Error): void {
    for (const reply of this.replies.values()) reply.fail(error);
  }
}
