/*
 * Builds the JSON Schema bundle of the protocol from the registry.
 *
 * Every schema of `Schemas` becomes a `$defs` entry. Shared sub-schemas (a registry schema used
 * inside another, or a titled building block such as SessionId or WireError used in several places)
 * are emitted once and referenced, so implementers in other languages get one type per concept.
 */
import type { TSchema } from '@sinclair/typebox';
import { Requests, Schemas, ServerEvents, type SchemaName } from '../src/registry.js';
import { PROTOCOL_VERSION } from '../src/version.js';

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';
/** A URN, not a URL: the bundle is not served from anywhere. */
export const BUNDLE_ID = 'urn:agent-gateway:protocol-schema';
export const GENERATED_NOTE = 'generated — do not edit. Source: packages/schema/src; rebuild with `npm run gen`.';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Keys whose value maps names to schemas: their own key order is meaningful and kept. */
const SCHEMA_MAPS = new Set(['properties', '$defs', 'patternProperties']);
/** Keys whose value is instance data, not a schema: copied as is. */
const DATA_KEYS = new Set(['const', 'enum', 'default', 'examples', 'required']);
/** Conventional reading order of schema keywords; anything else follows alphabetically. */
const KEY_ORDER = ['$schema', '$id', '$ref', 'title', 'description', 'type', 'const', 'enum', 'discriminator', 'oneOf', 'anyOf', 'allOf'];

function keyRank(key: string): number {
  const rank = KEY_ORDER.indexOf(key);
  return rank === -1 ? KEY_ORDER.length : rank;
}

/** Plain-JSON copy of a schema with a stable key order (TypeBox's symbol keys are dropped). */
export function canonicalSchema(node: unknown): Json {
  if (Array.isArray(node)) return node.map((item) => canonicalSchema(item));
  if (node === null || typeof node !== 'object') return node as Json;
  const source = node as Record<string, unknown>;
  const keys = Object.keys(source).sort((a, b) => keyRank(a) - keyRank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const out: JsonObject = {};
  for (const key of keys) {
    const value = source[key];
    if (value === undefined) continue;
    if (SCHEMA_MAPS.has(key) && value !== null && typeof value === 'object') {
      const map: JsonObject = {};
      for (const [name, sub] of Object.entries(value as Record<string, unknown>)) map[name] = canonicalSchema(sub);
      out[key] = map;
    } else if (DATA_KEYS.has(key)) {
      out[key] = JSON.parse(JSON.stringify(value)) as Json;
    } else {
      out[key] = canonicalSchema(value);
    }
  }
  return out;
}

function walk(node: unknown, visit: (schema: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  visit(schema);
  for (const [key, value] of Object.entries(schema)) {
    if (DATA_KEYS.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && value && typeof value === 'object') {
      for (const sub of Object.values(value)) walk(sub, visit);
    } else walk(value, visit);
  }
}

/**
 * Named definitions: the registry first (in registry order), then every titled sub-schema whose
 * title is used consistently (same JSON wherever it appears) and does not clash with a registry name.
 */
export function collectDefinitions(): Map<string, TSchema> {
  const defs = new Map<string, TSchema>();
  for (const name of Object.keys(Schemas) as SchemaName[]) defs.set(name, Schemas[name]);
  const registryJson = new Map([...defs].map(([name, schema]) => [name, JSON.stringify(canonicalSchema(schema))]));

  const byTitle = new Map<string, { schema: TSchema; json: string; consistent: boolean }>();
  for (const schema of defs.values()) {
    walk(schema, (sub) => {
      const title = sub.title;
      if (typeof title !== 'string') return;
      const json = JSON.stringify(canonicalSchema(sub));
      const seen = byTitle.get(title);
      if (!seen) byTitle.set(title, { schema: sub as TSchema, json, consistent: true });
      else if (seen.json !== json) seen.consistent = false;
    });
  }
  const extra = [...byTitle.entries()].filter(([title, entry]) => entry.consistent && !defs.has(title)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [title, entry] of extra) defs.set(title, entry.schema);
  // A registry schema whose title names another schema would make references ambiguous.
  for (const [name, json] of registryJson) {
    const titled = byTitle.get(name);
    if (titled && titled.json !== json) throw new Error(`title ${name} is used by a schema that differs from Schemas.${name}`);
  }
  return defs;
}

/**
 * Copy of `schema` in which every nested definition (matched by JSON identity with a named
 * definition, or by a consistent title) is replaced by a reference built by `ref(name)`.
 */
export function referencing(schema: TSchema, defs: Map<string, TSchema>, ref: (name: string) => string): Json {
  const jsonToName = new Map<string, string>();
  for (const [name, def] of defs) {
    const json = JSON.stringify(canonicalSchema(def));
    if (!jsonToName.has(json)) jsonToName.set(json, name);
  }
  const replace = (node: Json, top: boolean): Json => {
    if (Array.isArray(node)) return node.map((item) => replace(item, false));
    if (node === null || typeof node !== 'object') return node;
    if (!top) {
      const name = jsonToName.get(JSON.stringify(node));
      if (name !== undefined) return { $ref: ref(name) };
    }
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      if (DATA_KEYS.has(key) || value === null || typeof value !== 'object') out[key] = value;
      else if (SCHEMA_MAPS.has(key) && !Array.isArray(value)) {
        const map: JsonObject = {};
        for (const [name, sub] of Object.entries(value)) map[name] = replace(sub, false);
        out[key] = map;
      } else out[key] = replace(value, false);
    }
    return out;
  };
  return replace(canonicalSchema(schema), true);
}

export interface ProtocolBundle extends JsonObject {
  $defs: { [name: string]: JsonObject };
}

/** The JSON Schema (draft 2020-12) bundle of the whole protocol. */
export function buildBundle(): ProtocolBundle {
  const defs = collectDefinitions();
  const $defs: { [name: string]: JsonObject } = {};
  for (const [name, schema] of defs) $defs[name] = referencing(schema, defs, (target) => `#/$defs/${target}`) as JsonObject;
  const ref = (name: string): JsonObject => ({ $ref: `#/$defs/${name}` });
  const requests: JsonObject = {};
  for (const [name, entry] of Object.entries(Requests)) {
    requests[name] = { description: entry.description, params: ref(entry.params), data: ref(entry.data), result: ref(entry.result) };
  }
  const serverEvents: JsonObject = {};
  for (const [name, entry] of Object.entries(ServerEvents)) serverEvents[name] = { description: entry.description, payload: ref(entry.payload) };
  return {
    $schema: JSON_SCHEMA_DIALECT,
    $id: BUNDLE_ID,
    title: 'Agent Gateway Protocol',
    description: `JSON Schema of every message of the Agent Gateway Protocol ${PROTOCOL_VERSION}. ${GENERATED_NOTE}`,
    $comment: GENERATED_NOTE,
    'x-protocolVersion': PROTOCOL_VERSION,
    'x-handshakeAuth': ref('HandshakeAuth'),
    'x-requests': requests,
    'x-serverEvents': serverEvents,
    $defs,
  };
}

/** Stable text form shared by every generated JSON file. */
export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
