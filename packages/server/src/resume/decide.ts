import type { ResyncReason } from '@agent-gateway/schema';
import type { LogHead } from '../log/index.js';

/** What a join asked for, already validated. */
export interface ResumeRequest {
  since?: number;
  epoch?: string;
}

/**
 * How to answer a join:
 * - `replay`: send every retained event of (fromCursor, head.cursor], announcing compacted holes.
 * - `snapshot`: send exactly one snapshot; resyncRequired with its reason.
 */
export type ResumeDecision = { kind: 'replay'; resyncRequired: false; fromCursor: number } | { kind: 'snapshot'; resyncRequired: true; reason: ResyncReason };

/** Decides how a join is answered, from the request and where the log stands. */
export type ResumeRule = (request: ResumeRequest, head: LogHead) => ResumeDecision;

/**
 * The exact resume rule (semantics: Join, replay and snapshot): replay iff the epoch matches and
 * oldestCursor - 1 <= since <= cursor. A join without since is a fresh view. A since without epoch
 * counts as an epoch mismatch unless since = 0 (nothing seen yet belongs to any epoch).
 */
export const decideResume: ResumeRule = ({ since, epoch }, head) => {
  if (since === undefined) return { kind: 'snapshot', resyncRequired: true, reason: 'fresh-join' };
  const epochMatches = epoch === undefined ? since === 0 : epoch === head.epoch;
  if (!epochMatches) return { kind: 'snapshot', resyncRequired: true, reason: 'epoch-mismatch' };
  if (since > head.cursor) return { kind: 'snapshot', resyncRequired: true, reason: 'since-ahead' };
  // Written so that anything not provably inside the window (NaN included) resyncs.
  if (!(since >= head.oldestCursor - 1)) return { kind: 'snapshot', resyncRequired: true, reason: 'since-too-old' };
  return { kind: 'replay', resyncRequired: false, fromCursor: since };
};
