import type { ResyncReason } from '@agent-gateway/schema';
import type { GatewayFaults } from './options.js';
import type { LogHead } from './session-log.js';

/** What a join asked for, already validated (or, under the unvalidatedSince fault, coerced). */
export interface ResumeRequest {
  since?: number;
  epoch?: string;
}

/**
 * How to answer a join:
 * - `replay`: send every retained event of (fromCursor, head.cursor], announcing compacted holes.
 * - `snapshot`: send exactly one snapshot; resyncRequired with its reason.
 * - `nothing`: send neither (only reachable through a fault).
 */
export type ResumeDecision =
  | { kind: 'replay'; resyncRequired: false; fromCursor: number }
  | { kind: 'snapshot'; resyncRequired: true; reason: ResyncReason }
  | { kind: 'nothing'; resyncRequired: false };

export type ResumeFaults = Pick<GatewayFaults, 'resyncAtOldestMinusOne' | 'replayNothingWhenAhead' | 'partialReplayWhenTooOld'>;

/**
 * The exact resume rule (semantics: Join, replay and snapshot): replay iff the epoch matches and
 * oldestCursor - 1 <= since <= cursor. A join without since is a fresh view. A since without epoch
 * counts as an epoch mismatch unless since = 0 (nothing seen yet belongs to any epoch).
 */
export function decideResume(request: ResumeRequest, head: LogHead, faults: ResumeFaults = {}): ResumeDecision {
  const { since, epoch } = request;
  if (since === undefined) return { kind: 'snapshot', resyncRequired: true, reason: 'fresh-join' };
  const epochMatches = epoch === undefined ? since === 0 : epoch === head.epoch;
  if (!epochMatches) return { kind: 'snapshot', resyncRequired: true, reason: 'epoch-mismatch' };
  if (since > head.cursor) {
    if (faults.replayNothingWhenAhead) return { kind: 'nothing', resyncRequired: false };
    return { kind: 'snapshot', resyncRequired: true, reason: 'since-ahead' };
  }
  const lowest = head.oldestCursor - 1;
  if (faults.resyncAtOldestMinusOne && since === lowest) {
    return { kind: 'snapshot', resyncRequired: true, reason: 'since-too-old' };
  }
  if (since < lowest) {
    if (faults.partialReplayWhenTooOld) return { kind: 'replay', resyncRequired: false, fromCursor: lowest };
    return { kind: 'snapshot', resyncRequired: true, reason: 'since-too-old' };
  }
  // NaN (reachable only with the unvalidatedSince fault) fails every comparison above: treat as too old.
  if (!(since >= lowest)) return { kind: 'snapshot', resyncRequired: true, reason: 'since-too-old' };
  return { kind: 'replay', resyncRequired: false, fromCursor: since };
}
