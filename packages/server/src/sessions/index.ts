/*
 * Sessions: what the gateway holds per session (log, lane, conversation view, list row) and the
 * registry that creates, appends to, recreates and unloads them; their limits and the idle sweeper.
 */
export { Session } from './session.js';
export {
  SessionRegistry,
  type SessionRegistryEvents,
  type SessionRegistryOptions,
  type RowChangeReason,
  type RowPatch,
  type RowPage,
  type SessionFeed,
  type RowChange,
  type RowStore,
} from './registry.js';
export { SessionView } from './view.js';
export { SerialQueue } from './serial.js';
export { IdleSweeper, DEFAULT_SESSION_IDLE_MS, defaultSweepIntervalMs, type IdleSweeperOptions } from './idle-sweeper.js';
export { LimitExceededError, limitExceeded, DEFAULT_MAX_SESSIONS, DEFAULT_MAX_SESSIONS_PER_PRINCIPAL, type SessionLimits } from './limits.js';
export { encodeListCursor, decodeListCursor, type ListPosition } from './list-cursor.js';
