/*
 * Delivery: everything between an appended event and a socket — the fan-out to a session's members
 * (run-scoped events vs tool mirrors, announced gaps), the per-socket outbox that keeps frames and
 * acknowledgements in order, packs batches and bounds what a socket may owe (cutting slow consumers),
 * the rule that decides which mirrors may be withheld, and the feed of session-list changes.
 */
export { Fanout, deliverAllMirrors, type Member, type MirrorContext, type MirrorDecision, type MirrorPolicy, type FanoutCounters } from './fanout.js';
export { Outbox, emitBatch, type BatchWriter, type FrameChannel, type AnswerSlot, type OutboxLimits, type OverflowHandler } from './outbox.js';
export { estimateEventBytes, estimateFrameBytes, jsonLength, TransportBuffer } from './pending-bytes.js';
export {
  cutSlowConsumer,
  slowConsumerError,
  maxPendingBytesFor,
  DEFAULT_LOW_WATER_BYTES,
  DEFAULT_SLOW_CONSUMER_GRACE_MS,
  type SlowConsumerCut,
} from './slow-consumer.js';
export {
  SessionListFeed,
  DEFAULT_MAX_CREATED_PER_WINDOW,
  DEFAULT_LIST_WINDOW_MS,
  type ListVisibility,
  type SessionListFeedOptions,
  type SessionListFeedCounters,
} from './session-list-feed.js';
export {
  decideMirror,
  pressureAwareMirrorPolicy,
  DEFAULT_SLOW_CONSUMER_BYTES,
  type MirrorRule,
  type MirrorRuleContext,
  type BackoffSource,
} from './mirror-policy.js';
