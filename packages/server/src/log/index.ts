/*
 * Session logs: the contract every store implements, the in-memory default and retention.
 */
export type { LogEntry, LogHead, LogStats, SessionLog, SessionLogStore } from './session-log.js';
export { MemorySessionLog, MemorySessionLogStore, eventBytes } from './memory-store.js';
export { newEpoch } from './epoch.js';
export { resolveRetention, positiveInteger, DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, type RetentionOptions, type ResolvedRetention } from './retention.js';
export { StoreUnavailableError, isStoreUnavailable } from './unavailable.js';
