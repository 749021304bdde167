export { SessionId, RunId, Epoch, Seq, Cursor, Timestamp, TaggedUnion } from './common.js';
export {
  MAX_SEQ,
  MAX_ID_LENGTH,
  MAX_EVENT_TEXT_LENGTH,
  MAX_CHAT_TEXT_LENGTH,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_FRAMES_PER_BATCH,
  MAX_SNAPSHOT_MESSAGES,
  MAX_SNAPSHOT_EVENTS,
  MAX_ACTIVE_RUN_TOOLS,
  MAX_WIRE_ISSUES,
} from './limits.js';
export { WireError, ValidationIssue, ErrorDetails, VersionRange, Result, type Ok, type Fail, type ResultOf, ProtocolErrorEvent } from './errors.js';
export {
  PROTOCOL_VERSION,
  PROTOCOL_MAJOR,
  PROTOCOL_MINOR,
  SUPPORTED_VERSIONS,
  parseProtocolVersion,
  isSupportedProtocolVersion,
  negotiateProtocolVersion,
  type ParsedVersion,
} from './version.js';
export {
  ToolPhase,
  RunStatus,
  RunTrigger,
  Role,
  MessageEvent,
  RunStartEvent,
  StreamChunkEvent,
  StreamEndEvent,
  ResponseEvent,
  RunEndEvent,
  ErrorEvent,
  ToolEvent,
  HeartbeatSkipReason,
  HeartbeatEvent,
  SystemEventDelivered,
  SessionEvent,
  type SessionEventType,
} from './events.js';
export { ErrorCodes, ErrorCodeHistory, type ErrorCode } from './error-codes.js';
export { SINCE_KEYWORD, FALLBACK_KEYWORD, since } from './since.js';
export { downgradeMessage } from './downgrade.js';
export { Requests, ServerEvents, type RequestEntry } from './wire-names.js';
export { TERMINAL_TOOL_PHASES, isTerminalToolPhase, isTerminalRunStatus, isTerminalSessionStatus, isDurableEvent } from './lifecycle.js';
export { SkippedRange, EventFrame, ToolFrame, EventBatch, ToolBatch, RetainedEvent } from './frames.js';
export {
  JoinParams,
  Joined,
  JoinResult,
  ResyncReason,
  LeaveParams,
  LeaveData,
  LeaveResult,
  Snapshot,
  SnapshotMessage,
  SnapshotToolCall,
  ActiveRun,
  SessionState,
} from './join.js';
export {
  SessionStatus,
  SessionRow,
  ListCursor,
  SessionsListParams,
  SessionsListData,
  SessionsListResult,
  SessionsChanged,
  SessionsSubscribeParams,
  SessionsSubscribeData,
  SessionsSubscribeResult,
  SessionsResync,
} from './sessions.js';
export {
  ChatSendParams,
  ChatSendData,
  ChatSendResult,
  ChatAbortParams,
  ChatAbortData,
  ChatAbortResult,
  RunSubscribeParams,
  RunSubscribeData,
  RunSubscribeResult,
} from './chat.js';
export {
  PressureState,
  HeartbeatCounters,
  Diagnostics,
  DiagnosticsGetParams,
  DiagnosticsGetResult,
  DiagnosticsSubscribeParams,
  DiagnosticsSubscribeData,
  DiagnosticsSubscribeResult,
} from './diagnostics.js';
export { ControlCommand, ControlCommandNames, ControlCommandHistory, type ControlCommandName, ControlData, ControlResult, ScriptStep } from './control.js';
export { HandshakeAuth, Hello } from './hello.js';
export {
  Schemas,
  type SchemaName,
  type SchemaType,
  type RequestName,
  type ServerEventName,
  type RequestParams,
  type RequestData,
  type RequestResult,
  type ServerEventPayload,
  REQUEST_NAMES,
  SERVER_EVENT_NAMES,
  isRequestName,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type RequestHandlers,
} from './registry.js';
export { type Validation, type ValidateFunction, type Validator, MAX_REPORTED_ISSUES, toIssues, check, formatIssues, invalidMessageError } from './validate.js';
export { validate, validateRequestParams, validateRequestResult, validateServerEvent } from './default-validate.js';
