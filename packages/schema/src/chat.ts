import { MAX_CHAT_TEXT_LENGTH, MAX_IDEMPOTENCY_KEY_LENGTH } from './limits.js';
import { Type, type Static } from '@sinclair/typebox';
import { Closed, RunId, SessionId } from './common.js';
import { Result } from './errors.js';
import { RunStatus } from './events.js';

export const ChatSendParams = Type.Object(
  {
    sessionId: SessionId,
    text: Type.String({ minLength: 1, maxLength: MAX_CHAT_TEXT_LENGTH }),
    idempotencyKey: Type.String({
      minLength: 1,
      maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'Client-chosen key, reused verbatim on retries of the same message.',
    }),
  },
  {
    ...Closed,
    title: 'ChatSendParams',
    description: 'Send a user message, starting a run. A repeat with the same idempotencyKey inside the guard window returns the original run.',
  },
);
export type ChatSendParams = Static<typeof ChatSendParams>;

export const ChatSendData = Type.Object(
  {
    sessionId: SessionId,
    runId: RunId,
    status: RunStatus,
    duplicate: Type.Boolean({ description: 'True when this answers a retry: no new run was started.' }),
  },
  { ...Closed, title: 'ChatSendData' },
);
export type ChatSendData = Static<typeof ChatSendData>;
export const ChatSendResult = Result(ChatSendData, 'ChatSendResult');

export const ChatAbortParams = Type.Object({ sessionId: SessionId, runId: RunId }, { ...Closed, title: 'ChatAbortParams', description: 'Abort a run.' });
export type ChatAbortParams = Static<typeof ChatAbortParams>;
export const ChatAbortData = Type.Object(
  {
    sessionId: SessionId,
    runId: RunId,
    aborted: Type.Boolean({ description: 'False when the run had already finished: a clean no-op.' }),
    status: RunStatus,
  },
  { ...Closed, title: 'ChatAbortData' },
);
export type ChatAbortData = Static<typeof ChatAbortData>;
export const ChatAbortResult = Result(ChatAbortData, 'ChatAbortResult');

export const RunSubscribeParams = Type.Object(
  { sessionId: SessionId, runId: RunId },
  {
    ...Closed,
    title: 'RunSubscribeParams',
    description: 'Become run-scoped for a run: receive all its tool phases as session.event frames instead of session.tool mirrors.',
  },
);
export const RunSubscribeData = Type.Object({ sessionId: SessionId, runId: RunId, status: RunStatus }, { ...Closed, title: 'RunSubscribeData' });
export const RunSubscribeResult = Result(RunSubscribeData, 'RunSubscribeResult');

export type ChatSendResult = Static<typeof ChatSendResult>;
export type ChatAbortResult = Static<typeof ChatAbortResult>;
export type RunSubscribeParams = Static<typeof RunSubscribeParams>;
export type RunSubscribeData = Static<typeof RunSubscribeData>;
export type RunSubscribeResult = Static<typeof RunSubscribeResult>;
