import { MAX_WIRE_ISSUES } from './limits.js';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Closed } from './common.js';
import { ErrorCodeHistory, ErrorCodes } from './error-codes.js';
import { FALLBACK_KEYWORD, since } from './since.js';

export { ErrorCodes, ErrorCodeHistory, type ErrorCode } from './error-codes.js';

export const ValidationIssue = Type.Object(
  {
    path: Type.String({ description: 'JSON Pointer of the offending value ("" for the whole message).', maxLength: 1024 }),
    message: Type.String({ description: 'What was expected there.', maxLength: 1024 }),
    keyword: Type.String({ description: 'The JSON Schema keyword that failed (type, minimum, additionalProperties ...).', maxLength: 64 }),
  },
  { ...Closed, title: 'ValidationIssue', description: 'One reason a message was rejected.' },
);

export const VersionRange = Type.Object(
  {
    min: Type.String({ description: 'Oldest protocol version served, "MAJOR.MINOR".', pattern: '^[0-9]+\\.[0-9]+$' }),
    max: Type.String({ description: 'Newest protocol version served, "MAJOR.MINOR".', pattern: '^[0-9]+\\.[0-9]+$' }),
  },
  { ...Closed, title: 'VersionRange', description: 'Inclusive range of protocol versions.' },
);

export const ErrorDetails = Type.Object(
  {
    issues: Type.Optional(Type.Array(ValidationIssue, { maxItems: MAX_WIRE_ISSUES })),
    event: Type.Optional(Type.String({ description: 'The event name the error answers.', maxLength: 256 })),
    supported: Type.Optional(VersionRange),
    limitBytes: Type.Optional(Type.Integer({ minimum: 0 })),
    actualBytes: Type.Optional(Type.Integer({ minimum: 0 })),
    command: Type.Optional(Type.String({ maxLength: 64 })),
    sessionId: Type.Optional(Type.String({ maxLength: 256 })),
    runId: Type.Optional(Type.String({ maxLength: 256 })),
    queueLength: Type.Optional(Type.Integer({ ...since('1.1'), minimum: 0, description: 'BUSY: runs already waiting in the session lane.' })),
    limit: Type.Optional(
      Type.String({
        ...since('1.1'),
        maxLength: 64,
        description:
          'Which bound a LIMIT_EXCEEDED or SLOW_CONSUMER error hit: sessionsPerPrincipal, sessions, connectionsPerPrincipal, failedHandshakes, maxPendingBytes.',
      }),
    ),
    max: Type.Optional(Type.Integer({ ...since('1.1'), minimum: 0, description: 'The value of that bound.' })),
  },
  { ...Closed, title: 'ErrorDetails', description: 'Machine-readable context of an error; which keys appear depends on the code.' },
);

export const WireError = Type.Object(
  {
    code: Type.Union(
      Object.values(ErrorCodes).map((code) => {
        const added = ErrorCodeHistory[code];
        return Type.Literal(code, added ? { ...since(added.since), [FALLBACK_KEYWORD]: added.fallback } : {});
      }),
      { description: 'Stable error code, see ErrorCodes.' },
    ),
    message: Type.String({ description: 'Human-readable explanation.', maxLength: 4096 }),
    details: Type.Optional(ErrorDetails),
    retryable: Type.Optional(Type.Boolean({ description: 'True when the same request may succeed later.' })),
    retryAfterMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Suggested wait before retrying.' })),
  },
  { ...Closed, title: 'WireError', description: 'The one error shape of the protocol.' },
);
export type WireError = Static<typeof WireError>;

/** Acknowledgement result: `{ ok: true, data }` or `{ ok: false, error }`. */
export function Result<T extends TSchema>(data: T, title: string) {
  return Type.Union([Type.Object({ ok: Type.Literal(true), data }, Closed), Type.Object({ ok: Type.Literal(false), error: WireError }, Closed)], {
    title,
    description: `Acknowledgement of a request: ok + data, or not ok + error.`,
  });
}

export type Ok<T> = { ok: true; data: T };
export type Fail = { ok: false; error: WireError };
export type ResultOf<T> = Ok<T> | Fail;

/** The server-emitted error for a message that carried no acknowledgement callback. */
export const ProtocolErrorEvent = Type.Object(
  {
    error: WireError,
    event: Type.Optional(Type.String({ description: 'Name of the offending inbound event.', maxLength: 256 })),
  },
  { ...Closed, title: 'ProtocolErrorEvent', description: 'Sent as `protocol.error` when a bad message had no acknowledgement to answer through.' },
);

export type ValidationIssue = Static<typeof ValidationIssue>;
export type VersionRange = Static<typeof VersionRange>;
export type ErrorDetails = Static<typeof ErrorDetails>;
export type ProtocolErrorEvent = Static<typeof ProtocolErrorEvent>;
