export {
  GatewayClient,
  createGatewayClient,
  type GatewayClientOptions,
  type GatewayClientEvents,
  type GatewaySocket,
  type ConnectionState,
  type FrameSource,
  type ClientResyncReason,
  type ClientStats,
  type SentMessage,
} from './client.js';
export { ClientError, ClientErrorCodes, isClientError, type ClientErrorCode, type ClientErrorOptions, type InterruptReason } from './errors.js';
export { TypedEmitter, type Listener } from './emitter.js';
export { ResumeTracker, type FrameVerdict, type SessionPosition, type JoinPhase } from './resume.js';
export { memoryCursorStore, webStorageCursorStore, type CursorStore, type StoredCursor, type KeyValueStorage } from './cursor-store.js';
export { SessionsStore, isSessionRunActive, type RunActivityRow } from './sessions-store.js';
export { ToolCards, type ToolCard, type ToolCardState, type ToolCardChange, type ToolCardLookup } from './tool-cards.js';
export { RunReply, type ReplyPart } from './reply.js';
export { Conversation, type ConversationMessage } from './conversation.js';
export { type ToolChange } from './session-view.js';
export { resolveValidation, validateInbound, type ValidationMode } from './validation.js';
