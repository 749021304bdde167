/*
 * Sessions: what the gateway holds per session (log, lane, conversation view, list row) and the
 * registry that creates, appends to and recreates them.
 */
export { Session } from './session.js';
export {
  SessionRegistry,
  type SessionRegistryEvents,
  type SessionRegistryOptions,
  type RowChangeReason,
  type RowPatch,
  type SessionFeed,
  type RowStore,
} from './registry.js';
export { SessionView } from './view.js';
export { SerialQueue } from './serial.js';
