/*
 * Resume: how a join is answered (the rule), the join handshake that delivers replay or snapshot
 * and hands over to live frames, and the snapshot itself.
 */
export { decideResume, type ResumeDecision, type ResumeRequest, type ResumeRule } from './decide.js';
export { Joiner, type JoinerOptions, type Joining } from './joiner.js';
export { buildSnapshot, type QueuedRunInfo } from './snapshot.js';
