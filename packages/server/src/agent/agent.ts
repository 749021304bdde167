import type { RunTrigger, ToolPhase, WireError } from '@agent-gateway/schema';

/** A conversation message as an agent sees it. */
export interface AgentMessage {
  role: 'user' | 'assistant' | 'system';
  text: string;
}

/** Everything an agent gets for one turn. */
export interface AgentTurn {
  sessionId: string;
  runId: string;
  trigger: RunTrigger;
  /** The user text that started the turn (empty for heartbeat turns). */
  text: string;
  /** The conversation so far, oldest first, ending with the user message of this turn. */
  history: readonly AgentMessage[];
  /** Aborted when the run is aborted: stop producing output and return. */
  signal: AbortSignal;
}

/**
 * What an agent produces. Text chunks are streamed; a stream is closed by `stream.end` (or by the end
 * of the turn); the run's final response is the text of all its streams.
 */
export type AgentOutput =
  | { type: 'chunk'; text: string }
  | { type: 'stream.end' }
  | {
      type: 'tool';
      toolCallId: string;
      toolName: string;
      phase: ToolPhase;
      input?: unknown;
      progress?: unknown;
      output?: unknown;
      error?: WireError;
    };

/**
 * An agent backend: the deterministic demo agent, a scripted run, or a real model. It yields its
 * output as an async iterable and must honour `turn.signal`. Throwing fails the run (AGENT_FAILED).
 */
export interface Agent {
  readonly name: string;
  run(turn: AgentTurn): AsyncIterable<AgentOutput>;
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
