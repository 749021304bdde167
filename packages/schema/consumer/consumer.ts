/*
 * A consumer of the published package: compiled with `tsc --noEmit` against the built `dist`
 * (imported by package name), it proves the declarations ship and keep their precision.
 */
import type { Static } from '@sinclair/typebox';
import {
  type JoinParams,
  PROTOCOL_VERSION,
  validate,
  type ClientToServerEvents,
  type RequestHandlers,
  type RequestResult,
  type ServerToClientEvents,
  type SessionEvent,
} from '@agent-gateway/schema';
import { EventBatch as EventBatchValidator, check, formatIssues } from '@agent-gateway/schema/validators';

type Join = Static<typeof JoinParams>;

export const join: Join = { sessionId: 's1', since: 0, epoch: 'e1' };
// @ts-expect-error since is a number, never a string
export const badJoin: Join = { sessionId: 's1', since: '5' };

export function checkIncoming(data: unknown): number | undefined {
  const result = validate('JoinParams', data);
  if (!result.ok) return result.issues.length;
  const since: number | undefined = result.value.since;
  return since;
}

// A client emitting requests and listening to events through the derived Socket.IO maps.
export const emitJoin: Parameters<ClientToServerEvents['join']> = [
  { sessionId: 's1' },
  (ack: RequestResult<'join'>) => {
    if (ack.ok) ack.data.cursor.toFixed();
    else ack.error.code.toLowerCase();
  },
];
export const onReplay: ServerToClientEvents['replay'] = (frames) => {
  for (const frame of frames) {
    const event: SessionEvent = frame.event;
    if (event.type === 'stream.chunk') event.index.toFixed();
    // @ts-expect-error a replayed frame has no `cursor` field
    void frame.cursor;
  }
};

// A handler table missing a request does not compile.
// @ts-expect-error every request needs a handler
export const handlers: RequestHandlers<null> = {};

export const version: '1.1' = PROTOCOL_VERSION;

// The light entry point: a precompiled validator narrows to the registry's Static type.
export function checkFrames(data: unknown): number | string {
  if (EventBatchValidator(data)) return data.length > 0 ? data[0]!.seq : 0;
  const result = check(EventBatchValidator, data);
  if (result.ok) {
    const event: SessionEvent | undefined = result.value[0]?.event;
    return event?.type ?? 'empty';
  }
  return formatIssues(result.issues);
}
// @ts-expect-error a validator guards its own schema's type, not another one
export const wrongGuard: (data: unknown) => data is Static<typeof JoinParams> = EventBatchValidator;
