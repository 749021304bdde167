import type { Static, TSchema } from '@sinclair/typebox';
import {
  ChatAbortData,
  ChatAbortParams,
  ChatAbortResult,
  ChatSendData,
  ChatSendParams,
  ChatSendResult,
  RunSubscribeData,
  RunSubscribeParams,
  RunSubscribeResult,
} from './chat.js';
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
import { Requests, ServerEvents } from './wire-names.js';
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
import {
  SessionRow,
  SessionsChanged,
  SessionsListData,
  SessionsListParams,
  SessionsListResult,
  SessionsResync,
  SessionsSubscribeData,
  SessionsSubscribeParams,
  SessionsSubscribeResult,
} from './sessions.js';

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
  SessionsSubscribeParams,
  SessionsSubscribeData,
  SessionsSubscribeResult,
  SessionsResync,
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

export { Requests, ServerEvents, type RequestEntry } from './wire-names.js';

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
