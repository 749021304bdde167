/*
 * Lifecycle predicates of the protocol. Type-only imports: these functions load no schema objects,
 * so a browser client that needs them does not bundle the schemas.
 */
import type { RunStatus, SessionEvent, ToolPhase } from './events.js';
import type { SessionStatus } from './sessions.js';

/** Tool phases after which nothing more arrives for that call. */
export const TERMINAL_TOOL_PHASES: readonly ToolPhase[] = ['end', 'error', 'result'];

export function isTerminalToolPhase(phase: ToolPhase): phase is 'end' | 'error' | 'result' {
  return phase === 'end' || phase === 'error' || phase === 'result';
}

export function isTerminalRunStatus(status: RunStatus): status is 'completed' | 'aborted' | 'failed' {
  return status === 'completed' || status === 'aborted' || status === 'failed';
}

/** Terminal session rows (the last run ended) are never active, whatever else they say. */
export function isTerminalSessionStatus(status: SessionStatus): status is 'completed' | 'aborted' | 'failed' {
  return status === 'completed' || status === 'aborted' || status === 'failed';
}

/**
 * Durable events are the session history a resuming client must never lose. Stream chunks,
 * tool progress updates and skipped heartbeats are high-frequency and may be compacted once
 * something durable supersedes them; compaction is always announced (see EventFrame.skipped).
 */
export function isDurableEvent(event: SessionEvent): boolean {
  switch (event.type) {
    case 'stream.chunk':
      return false;
    case 'tool':
      return event.phase !== 'update';
    case 'heartbeat':
      return event.status === 'ran';
    default:
      return true;
  }
}
