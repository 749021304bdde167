/*
 * Delivery: everything between an appended event and a socket — the fan-out to a session's members
 * (run-scoped events vs tool mirrors, announced gaps), the per-socket outbox that keeps frames and
 * acknowledgements in order and packs batches, and the rule that decides which mirrors may be withheld.
 */
export { Fanout, deliverAllMirrors, type Member, type MirrorContext, type MirrorDecision, type MirrorPolicy, type FanoutCounters } from './fanout.js';
export { Outbox, emitBatch, type BatchWriter, type FrameChannel, type AnswerSlot } from './outbox.js';
export {
  decideMirror,
  pressureAwareMirrorPolicy,
  DEFAULT_SLOW_CONSUMER_BYTES,
  type MirrorRule,
  type MirrorRuleContext,
  type BackoffSource,
} from './mirror-policy.js';
