import { Type, type Static, type TSchema, type TLiteral, type TObject, type TUnion } from '@sinclair/typebox';

import { MAX_ID_LENGTH, MAX_SEQ } from './limits.js';

export { MAX_SEQ };

/** Closed object: every protocol object rejects properties it does not declare. */
export const Closed = { additionalProperties: false } as const;

export const SessionId = Type.String({
  title: 'SessionId',
  description: 'Identifier of a session: 1-128 characters, letters, digits and . _ : - (first character a letter or digit).',
  minLength: 1,
  maxLength: MAX_ID_LENGTH,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$',
});

export const RunId = Type.String({
  title: 'RunId',
  description: 'Identifier of a run (one agent turn), unique within the gateway.',
  minLength: 1,
  maxLength: MAX_ID_LENGTH,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$',
});

export const Epoch = Type.String({
  title: 'Epoch',
  description:
    'Opaque id of one lifetime of a session event log. It changes whenever the log is recreated; a cursor is only meaningful together with its epoch.',
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
});

export const Seq = Type.Integer({
  title: 'Seq',
  description: 'Position of an event in its session log: 1 for the first event, then 2, 3, ... within one epoch.',
  minimum: 1,
  maximum: MAX_SEQ,
});

export const Cursor = Type.Integer({
  title: 'Cursor',
  description: 'A position between events: the seq of the last event seen, 0 before the first. An integer from 0 to 2^53-1.',
  minimum: 0,
  maximum: MAX_SEQ,
});

export const Timestamp = Type.Integer({
  title: 'Timestamp',
  description: 'Milliseconds since the Unix epoch.',
  minimum: 0,
  maximum: MAX_SEQ,
});

export const ShortText = Type.String({ minLength: 1, maxLength: 256 });

/**
 * A union discriminated by its `type` property, emitted as `oneOf` + `discriminator`
 * so Ajv picks the branch by tag and reports errors against that branch only.
 */
export function TaggedUnion<T extends TObject[]>(variants: [...T], options: { title: string; description: string; $id?: string }) {
  return Type.Unsafe<Static<TUnion<T>>>({
    ...options,
    type: 'object',
    oneOf: variants,
    discriminator: { propertyName: 'type' },
  });
}

export type TagOf<T extends TObject> = T['properties'] extends { type: TLiteral<infer V> } ? V : never;

/** Helper so every schema in the registry keeps its precise TypeBox type. */
export function schema<T extends TSchema>(value: T): T {
  return value;
}
