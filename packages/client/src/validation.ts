import type { RequestName, Requests, SchemaType, ServerEventName, ServerEvents } from '@agent-gateway/schema';
import {
  ChatAbortResult,
  ChatSendResult,
  ControlResult,
  Diagnostics,
  DiagnosticsGetResult,
  DiagnosticsSubscribeResult,
  EventBatch,
  EventFrame,
  Hello,
  JoinResult,
  Joined,
  LeaveResult,
  ProtocolErrorEvent,
  RunSubscribeResult,
  SessionsChanged,
  SessionsListResult,
  SessionsResync,
  SessionsSubscribeResult,
  Snapshot,
  ToolBatch,
  ToolFrame,
  check,
  formatIssues,
  type Validator,
} from '@agent-gateway/schema/validators';
import { ClientError, ClientErrorCodes } from './errors.js';

/** true: always validate inbound messages; false: never; 'development': unless NODE_ENV is production. */
export type ValidationMode = boolean | 'development';

/**
 * NODE_ENV, read so that both worlds work: in Node it is the real variable; app bundlers (esbuild,
 * Vite, webpack) replace the literal `process.env.NODE_ENV` with a string at build time; in a browser
 * without such a build step `process` does not exist and the read throws, which means "not production".
 */
function nodeEnv(): string | undefined {
  try {
    return process.env.NODE_ENV;
  } catch {
    return undefined;
  }
}

export function resolveValidation(mode: ValidationMode | undefined): boolean {
  if (mode === true || mode === false) return mode;
  return nodeEnv() !== 'production';
}

/** Every schema the client receives: server-event payloads and request acknowledgements. */
export type InboundSchemaName = (typeof ServerEvents)[ServerEventName]['payload'] | (typeof Requests)[RequestName]['result'];

/*
 * Only the validators of inbound messages, imported one by one from the light entry point, so the
 * browser bundle carries neither the validators of messages the client only sends nor TypeBox or
 * Ajv. The mapped type is derived from the registry: a new server event or request, or a changed
 * payload schema, fails to compile here until the matching validator is listed.
 */
const inboundValidators: { readonly [N in InboundSchemaName]: Validator<SchemaType<N>> } = {
  Hello,
  Joined,
  EventBatch,
  Snapshot,
  ToolBatch,
  SessionsChanged,
  Diagnostics,
  ProtocolErrorEvent,
  JoinResult,
  LeaveResult,
  ChatSendResult,
  ChatAbortResult,
  RunSubscribeResult,
  SessionsListResult,
  SessionsSubscribeResult,
  SessionsResync,
  DiagnosticsGetResult,
  DiagnosticsSubscribeResult,
  ControlResult,
};

/** Check one inbound message; the error names the message and the offending paths. */
export function validateInbound(what: string, schema: InboundSchemaName, payload: unknown): { ok: true } | { ok: false; error: ClientError } {
  // Plain JavaScript callers are not held to the type: a name the client does not receive is a
  // caller error, reported as such rather than as a TypeError.
  const validator: Validator<unknown> | undefined = Object.hasOwn(inboundValidators, schema) ? inboundValidators[schema] : undefined;
  if (!validator) {
    return {
      ok: false,
      error: new ClientError(ClientErrorCodes.InvalidArgument, `No inbound validator for schema ${JSON.stringify(String(schema)).slice(0, 80)}`, {
        event: what,
      }),
    };
  }
  const result = check(validator, payload);
  if (result.ok) return { ok: true };
  return {
    ok: false,
    error: new ClientError(ClientErrorCodes.InvalidFrame, `Invalid ${what} (${schema}): ${formatIssues(result.issues)}`, {
      issues: result.issues,
      event: what,
    }),
  };
}

/** Whether one frame of a batch is valid on its own (a batch that fails is read frame by frame). */
export function isValidFrame(kind: 'EventFrame' | 'ToolFrame', frame: unknown): boolean {
  return check(kind === 'EventFrame' ? EventFrame : ToolFrame, frame).ok;
}
