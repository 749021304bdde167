/*
 * The wire names of the protocol: which requests a client sends and which events a gateway emits,
 * each with the registry names of its schemas. Plain data with no schema objects, so code that only
 * needs the names (a browser client) does not load the schemas themselves.
 */
import type { SchemaName } from './registry.js';

export interface RequestEntry {
  params: SchemaName;
  data: SchemaName;
  result: SchemaName;
  description: string;
  /** The protocol version that introduced it, when after 1.0. */
  since?: `${number}.${number}`;
}

/** Client-to-server requests. Each is answered through its Socket.IO acknowledgement with `result`. */
export const Requests = {
  join: {
    params: 'JoinParams',
    data: 'Joined',
    result: 'JoinResult',
    description: 'Join a session; emits `joined`, then `replay` frames or one `snapshot`, then live frames.',
  },
  leave: { params: 'LeaveParams', data: 'LeaveData', result: 'LeaveResult', description: 'Stop receiving frames of a session.' },
  'chat.send': {
    params: 'ChatSendParams',
    data: 'ChatSendData',
    result: 'ChatSendResult',
    description: 'Send a user message; starts a run (idempotent by key).',
  },
  'chat.abort': { params: 'ChatAbortParams', data: 'ChatAbortData', result: 'ChatAbortResult', description: 'Abort a run; a no-op answer for a finished one.' },
  'run.subscribe': {
    params: 'RunSubscribeParams',
    data: 'RunSubscribeData',
    result: 'RunSubscribeResult',
    description: 'Become run-scoped for a run: every tool phase arrives as session.event.',
  },
  'sessions.list': {
    params: 'SessionsListParams',
    data: 'SessionsListData',
    result: 'SessionsListResult',
    description: 'List sessions with status and hasActiveRun, a page at a time.',
  },
  'sessions.subscribe': {
    params: 'SessionsSubscribeParams',
    data: 'SessionsSubscribeData',
    result: 'SessionsSubscribeResult',
    description: 'Follow the session list (or the sessions with an id prefix): sessions.changed for every visible row.',
    since: '1.1',
  },
  'diagnostics.get': {
    params: 'DiagnosticsGetParams',
    data: 'Diagnostics',
    result: 'DiagnosticsGetResult',
    description: 'Read pressure, heartbeat and delivery counters.',
  },
  'diagnostics.subscribe': {
    params: 'DiagnosticsSubscribeParams',
    data: 'DiagnosticsSubscribeData',
    result: 'DiagnosticsSubscribeResult',
    description: 'Receive the periodic `diagnostics` event.',
  },
  control: { params: 'ControlCommand', data: 'ControlData', result: 'ControlResult', description: 'Conformance control surface (off by default, own token).' },
} as const satisfies Record<string, RequestEntry>;

/** Server-to-client events. */
export const ServerEvents = {
  hello: { payload: 'Hello', description: 'Sent once after connecting.' },
  joined: { payload: 'Joined', description: 'Answer to join, before any replay or snapshot.' },
  replay: { payload: 'EventBatch', description: 'Replayed frames (since, cursor], in order.' },
  snapshot: { payload: 'Snapshot', description: 'Authoritative session view when replay is impossible.' },
  'session.event': { payload: 'EventBatch', description: 'Live frames from cursor + 1 on.' },
  'session.tool': { payload: 'ToolBatch', description: 'Tool-event mirrors for clients not run-scoped for the run.' },
  'sessions.changed': { payload: 'SessionsChanged', description: 'A session row changed (to list subscribers and the connections that follow the session).' },
  'sessions.resync': { payload: 'SessionsResync', description: 'Creations were coalesced for a list subscriber: list again.', since: '1.1' },
  diagnostics: { payload: 'Diagnostics', description: 'Periodic diagnostic heartbeat for subscribers.' },
  'protocol.error': { payload: 'ProtocolErrorEvent', description: 'Error for an inbound message that had no acknowledgement.' },
} as const satisfies Record<string, { payload: SchemaName; description: string; since?: `${number}.${number}` }>;
