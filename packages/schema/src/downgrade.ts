import type { TSchema } from '@sinclair/typebox';
import { Schemas, type SchemaName } from './registry.js';
import { FALLBACK_KEYWORD, SINCE_KEYWORD } from './since.js';
import { parseProtocolVersion, PROTOCOL_MAJOR, PROTOCOL_MINOR } from './version.js';

type Schema = TSchema & Record<string, unknown>;

const REMOVE = Symbol('remove');

/** Does this schema, or anything inside it, carry a version annotation? Cached per schema object. */
const annotated = new WeakMap<object, boolean>();
function hasAnnotations(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const cached = annotated.get(schema);
  if (cached !== undefined) return cached;
  annotated.set(schema, false);
  const s = schema as Schema;
  let found = SINCE_KEYWORD in s;
  if (!found && s.properties) found = Object.values(s.properties as Record<string, unknown>).some(hasAnnotations);
  if (!found && s.items) found = hasAnnotations(s.items);
  for (const key of ['anyOf', 'oneOf'] as const) if (!found && Array.isArray(s[key])) found = (s[key] as unknown[]).some(hasAnnotations);
  annotated.set(schema, found);
  return found;
}

function minorOf(version: unknown): number {
  return typeof version === 'string' ? (parseProtocolVersion(version)?.minor ?? 0) : 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The member of a union that describes `value`: by const, by null, or by the constant properties of an object member. */
function memberFor(members: Schema[], value: unknown): Schema | undefined {
  return members.find((member) => {
    if ('const' in member) return member.const === value;
    if (member.type === 'null') return value === null;
    if (member.type !== 'object' || !isObject(value)) return false;
    const properties = (member.properties ?? {}) as Record<string, Schema>;
    return Object.entries(properties).every(([key, property]) => !('const' in property) || property.const === value[key]);
  });
}

function project(schema: Schema, value: unknown, minor: number): unknown {
  if (!hasAnnotations(schema)) return value;
  if (minorOf(schema[SINCE_KEYWORD]) > minor) return REMOVE;
  const members = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (members) {
    const member = memberFor(members, value);
    if (!member) return value;
    // A value a later minor introduced: its fallback where it has one, otherwise it is left out.
    if ('const' in member && minorOf(member[SINCE_KEYWORD]) > minor) return FALLBACK_KEYWORD in member ? member[FALLBACK_KEYWORD] : REMOVE;
    return project(member, value, minor);
  }
  if (Array.isArray(value) && schema.items) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const projected = project(schema.items as Schema, item, minor);
      if (projected === item && !out) return;
      out ??= value.slice(0, i);
      if (projected !== REMOVE) out.push(projected);
    });
    return out ?? value;
  }
  if (isObject(value) && schema.properties) {
    const properties = schema.properties as Record<string, Schema>;
    const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
    let out: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const property = properties[key];
      if (!property) continue;
      const projected = project(property, item, minor);
      if (projected === item) continue;
      // A required part the earlier minor cannot express: the whole object cannot be sent to it.
      if (projected === REMOVE && required.includes(key)) return REMOVE;
      out ??= { ...value };
      if (projected === REMOVE) delete out[key];
      else out[key] = projected;
    }
    return out ?? value;
  }
  return value;
}

/**
 * A message as a peer that negotiated `version` may receive it: the properties introduced in a later
 * minor left out, later error codes replaced by their fallback, later values without one (control
 * command names in a list) left out. Returns the value itself when nothing changes (always for the
 * current version), otherwise a copy; the input is never modified. Returns undefined when the
 * message cannot be expressed in that minor at all (a required value it does not know): such a
 * message is not sent to that peer.
 */
export function downgradeMessage<N extends SchemaName>(name: N, value: unknown, version: string): unknown {
  const parsed = parseProtocolVersion(version);
  if (!parsed || parsed.major !== PROTOCOL_MAJOR || parsed.minor >= PROTOCOL_MINOR) return value;
  const projected = project(Schemas[name] as Schema, value, parsed.minor);
  return projected === REMOVE ? undefined : projected;
}
