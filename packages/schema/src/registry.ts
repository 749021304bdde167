import type { Static, TSchema } from '@sinclair/typebox';
import { ChatAbortData, ChatAbortParams, ChatAbortResult, ChatSendData, ChatSendParams, ChatSendResult, RunSubscribeData, RunSubscribeParams, RunSubscribeResult } from './chat.js';
import { ControlCommand, ControlData, ControlResult, ScriptStep } from './control.js';
import {
  Diagnostics,
  DiagnosticsGetParams,
  DiagnosticsGetResult,
  DiagnosticsSubscribeData,
  DiagnosticsSubscribeParams,
  DiagnosticsSubscribeResult,
  PressureState,
} from './diagnostics.js';
import { ProtocolErrorEvent, WireError } from './errors.js';
import {
  ErrorEvent,
  HeartbeatEvent,
  MessageEvent,
  ResponseEvent,
  RunEndEvent,
  RunStartEvent,
  SessionEvent,
  StreamChunkEvent,
  StreamEndEvent,
  SystemEventDelivered,
  ToolEvent,
} from './events.js';
import { EventBatch, EventFrame, ToolBatch, ToolFrame } from './frames.js';
import { HandshakeAuth, Hello } from './hello.js';
import { JoinParams, JoinResult, Joined, LeaveData, LeaveParams, LeaveResult, Snapshot } from './join.js';
import { SessionRow, SessionsChanged, SessionsListData, SessionsListParams, SessionsListResult } from './sessions.js';

/**
 * Every named schema of the protocol. Types, validators, the JSON Schema bundle, the AsyncAPI
 * document and PROTOCOL.md are all derived from this one object.
 */
export const Schemas = {
  HandshakeAuth,
  Hello,
  WireError,
  ProtocolErrorEvent,
  JoinParams,
  Joined,
  JoinResult,
  LeaveParams,
  LeaveData,
  LeaveResult,
  Snapshot,
  SessionEvent,
  MessageEvent,
  RunStartEvent,
  StreamChunkEvent,
  StreamEndEvent,
  ResponseEvent,
  RunEndEvent,
  ErrorEvent,
  ToolEvent,
  HeartbeatEvent,
  SystemEventDelivered,
  EventFrame,
  EventBatch,
  ToolFrame,
  ToolBatch,
  ChatSendParams,
  ChatSendData,
  ChatSendResult,
  ChatAbortParams,
  ChatAbortData,
  ChatAbortResult,
  RunSubscribeParams,
  RunSubscribeData,
  RunSubscribeResult,
  SessionsListParams,
  SessionsListData,
  SessionsListResult,
  SessionRow,
  SessionsChanged,
  Diagnostics,
  PressureState,
  DiagnosticsGetParams,
  DiagnosticsGetResult,
  DiagnosticsSubscribeParams,
  DiagnosticsSubscribeData,
  DiagnosticsSubscribeResult,
  ControlCommand,
  ScriptStep,
  ControlData,
  ControlResult,
} satisfies Record<string, TSchema>;

export type SchemaName = keyof typeof Schemas;
export type SchemaType<N extends SchemaName> = Static<(typeof Schemas)[N]>;

interface RequestEntry {
  params: SchemaName;
  data: SchemaName;
  result: SchemaName;
  description: string;
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
  'chat.send': { params: 'ChatSendParams', data: 'ChatSendData', result: 'ChatSendResult', description: 'Send a user message; starts a run (idempotent by key).' },
  'chat.abort': { params: 'ChatAbortParams', data: 'ChatAbortData', result: 'ChatAbortResult', description: 'Abort a run; a no-op answer for a finished one.' },
  'run.subscribe': {
    params: 'RunSubscribeParams',
    data: 'RunSubscribeData',
    result: 'RunSubscribeResult',
    description: 'Become run-scoped for a run: every tool phase arrives as session.event.',
  },
  'sessions.list': { params: 'SessionsListParams', data: 'SessionsListData', result: 'SessionsListResult', description: 'List sessions with status and hasActiveRun.' },
  'diagnostics.get': { params: 'DiagnosticsGetParams', data: 'Diagnostics', result: 'DiagnosticsGetResult', description: 'Read pressure, heartbeat and delivery counters.' },
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
  'sessions.changed': { payload: 'SessionsChanged', description: 'A session row changed.' },
  diagnostics: { payload: 'Diagnostics', description: 'Periodic diagnostic heartbeat for subscribers.' },
  'protocol.error': { payload: 'ProtocolErrorEvent', description: 'Error for an inbound message that had no acknowledgement.' },
} as const satisfies Record<string, { payload: SchemaName; description: string }>;

export type RequestName = keyof typeof Requests;
export type ServerEventName = keyof typeof ServerEvents;
export type RequestParams<E extends RequestName> = SchemaType<(typeof Requests)[E]['params']>;
export type RequestData<E extends RequestName> = SchemaType<(typeof Requests)[E]['data']>;
export type RequestResult<E extends RequestName> = SchemaType<(typeof Requests)[E]['result']>;
export type ServerEventPayload<E extends ServerEventName> = SchemaType<(typeof ServerEvents)[E]['payload']>;

export const REQUEST_NAMES = Object.keys(Requests) as RequestName[];
export const SERVER_EVENT_NAMES = Object.keys(ServerEvents) as ServerEventName[];

export function isRequestName(name: string): name is RequestName {
  return Object.prototype.hasOwnProperty.call(Requests, name);
}

/** Socket.IO event map for what clients emit. A server missing a handler fails to compile against it. */
export type ClientToServerEvents = {
  [E in RequestName]: (params: RequestParams<E>, ack: (result: RequestResult<E>) => void) => void;
};

/** Socket.IO event map for what gateways emit. */
export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerEventPayload<E>) => void;
};

/** Handler table a gateway implements: one function per request, compile error if one is missing. */
export type RequestHandlers<Context> = {
  [E in RequestName]: (params: RequestParams<E>, context: Context) => Promise<RequestResult<E>>;
};
