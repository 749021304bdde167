import { isTerminalToolPhase, type SnapshotToolCall, type ToolEvent, type ToolPhase, type WireError } from '@agent-gateway/schema';
import type { InterruptReason } from './errors.js';

/** `interrupted`: closed without an outcome, because the state its run belonged to is gone. */
export type ToolCardState = 'running' | 'done' | 'failed' | 'interrupted';

/** What an app shows for one tool call. */
export interface ToolCard {
  sessionId: string;
  runId: string;
  toolCallId: string;
  toolName: string;
  /** Last phase applied. */
  phase: ToolPhase;
  state: ToolCardState;
  /** False while the call is open; a closed card never reopens. */
  closed: boolean;
  /** False when the first thing seen of the call was not its `start` (mirrors can be suppressed). */
  sawStart: boolean;
  /**
   * Why the card closed: its own terminal phase, the end of its run while it was still open, or
   * `gateway-restarted` when the run it belonged to was lost with the gateway's state.
   */
  closedBy?: 'phase' | 'run.end' | InterruptReason;
  input?: unknown;
  progress?: unknown;
  output?: unknown;
  error?: WireError;
  updatedAt: number;
}

export type ToolCardChange = 'opened' | 'updated' | 'closed' | 'ignored';

/** Read access to tool cards by session and run (what `GatewayClient.tools` offers). */
export interface ToolCardLookup {
  cards(sessionId: string, runId: string): ToolCard[];
  get(sessionId: string, runId: string, toolCallId: string): ToolCard | undefined;
}

function stateOf(phase: ToolPhase): ToolCardState {
  if (phase === 'error') return 'failed';
  return isTerminalToolPhase(phase) ? 'done' : 'running';
}

/**
 * Per-run tool-call state machine. The same call can be reported twice (run-scoped event and a
 * mirror across a reconnect), late (an `update` after the terminal phase) or half (a terminal
 * phase whose `start` was suppressed). The rules: a terminal phase always closes the card, even one
 * never seen opening; once closed, a card ignores everything after it; the end of a run closes
 * whatever of it is still open, so no card is left spinning.
 */
export class ToolCards implements ToolCardLookup {
  private readonly runs = new Map<string, Map<string, ToolCard>>();

  private key(sessionId: string, runId: string): string {
    return `${sessionId}\u0000${runId}`;
  }

  apply(sessionId: string, event: ToolEvent): { change: ToolCardChange; card: ToolCard } {
    const runKey = this.key(sessionId, event.runId);
    let cards = this.runs.get(runKey);
    if (!cards) {
      cards = new Map();
      this.runs.set(runKey, cards);
    }
    const existing = cards.get(event.toolCallId);
    if (existing?.closed) return { change: 'ignored', card: existing };
    if (existing && event.phase === 'start' && existing.sawStart) return { change: 'ignored', card: existing };

    const card: ToolCard = existing ?? {
      sessionId,
      runId: event.runId,
      toolCallId: event.toolCallId,
      toolName: event.toolName,
      phase: event.phase,
      state: 'running',
      closed: false,
      sawStart: false,
      updatedAt: event.at,
    };
    card.toolName = event.toolName;
    card.phase = event.phase;
    card.state = stateOf(event.phase);
    card.updatedAt = event.at;
    if (event.phase === 'start') card.sawStart = true;
    if (event.input !== undefined) card.input = event.input;
    if (event.progress !== undefined) card.progress = event.progress;
    if (event.output !== undefined) card.output = event.output;
    if (event.error !== undefined) card.error = event.error;
    if (isTerminalToolPhase(event.phase)) {
      card.closed = true;
      card.closedBy = 'phase';
    }
    cards.set(event.toolCallId, card);
    if (!existing) return { change: card.closed ? 'closed' : 'opened', card };
    return { change: card.closed ? 'closed' : 'updated', card };
  }

  /** A snapshot's view of the active run's calls: authoritative for open cards, never reopens one. */
  applySnapshot(sessionId: string, runId: string, calls: readonly SnapshotToolCall[], at: number): ToolCard[] {
    const changed: ToolCard[] = [];
    for (const call of calls) {
      const event: ToolEvent = { type: 'tool', runId, toolCallId: call.toolCallId, toolName: call.toolName, phase: call.phase, at };
      if (call.input !== undefined) event.input = call.input;
      if (call.output !== undefined) event.output = call.output;
      const { change, card } = this.apply(sessionId, event);
      // A snapshot cannot prove a start was seen; keep what the card knew.
      if (change !== 'ignored') changed.push(card);
    }
    return changed;
  }

  /** The run ended: close every card of it still open. */
  closeRun(sessionId: string, runId: string, at: number): ToolCard[] {
    const closed: ToolCard[] = [];
    for (const card of this.runs.get(this.key(sessionId, runId))?.values() ?? []) {
      if (card.closed) continue;
      card.closed = true;
      card.closedBy = 'run.end';
      card.state = 'done';
      card.updatedAt = at;
      closed.push(card);
    }
    return closed;
  }

  /** The run's state is gone: close every open card of the session as interrupted, for `reason`. */
  interrupt(sessionId: string, reason: InterruptReason, at: number): ToolCard[] {
    const closed: ToolCard[] = [];
    for (const [key, cards] of this.runs) {
      if (!key.startsWith(`${sessionId}\u0000`)) continue;
      for (const card of cards.values()) {
        if (card.closed) continue;
        card.closed = true;
        card.closedBy = reason;
        card.state = 'interrupted';
        card.updatedAt = at;
        closed.push(card);
      }
    }
    return closed;
  }

  cards(sessionId: string, runId: string): ToolCard[] {
    return [...(this.runs.get(this.key(sessionId, runId))?.values() ?? [])];
  }

  get(sessionId: string, runId: string, toolCallId: string): ToolCard | undefined {
    return this.runs.get(this.key(sessionId, runId))?.get(toolCallId);
  }

  forgetSession(sessionId: string): void {
    for (const key of [...this.runs.keys()]) if (key.startsWith(`${sessionId}\u0000`)) this.runs.delete(key);
  }
}
