/*
 * Wire-compatibility check between two JSON Schema bundles of the protocol (the released baseline
 * and the current one). It lists every change that can make a message valid under the baseline
 * invalid now, or take away something a peer of the baseline relies on. Additive changes (a new
 * optional field, a new message, a wider type) are not reported.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface BundleLike {
  $defs?: { [name: string]: Json };
  'x-requests'?: { [name: string]: Json };
  'x-serverEvents'?: { [name: string]: Json };
  'x-protocolVersion'?: Json;
  [key: string]: Json | undefined;
}

export type BreakingChangeKind =
  | 'schema-removed'
  | 'request-removed'
  | 'event-removed'
  | 'property-removed'
  | 'property-made-required'
  | 'type-narrowed'
  | 'value-removed'
  | 'bound-narrowed'
  | 'pattern-changed'
  | 'additional-properties-closed'
  | 'variant-removed';

export interface BreakingChange {
  kind: BreakingChangeKind;
  /** Where: `$defs/<Name>` or `requests/<name>/params` followed by a JSON Pointer into the schema. */
  path: string;
  message: string;
}

const isObject = (value: Json | undefined): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

function resolve(bundle: BundleLike, schema: Json | undefined, seen: Set<string> = new Set()): Json | undefined {
  if (!isObject(schema) || typeof schema.$ref !== 'string') return schema;
  const ref = schema.$ref;
  if (seen.has(ref) || !ref.startsWith('#/$defs/')) return schema;
  seen.add(ref);
  const target = bundle.$defs?.[decodeURIComponent(ref.slice('#/$defs/'.length))];
  if (target === undefined) return schema;
  // Sibling keywords next to $ref (2020-12) still apply; merge them over the target.
  const { $ref: _ignored, ...siblings } = schema;
  const resolved = resolve(bundle, target, seen);
  return isObject(resolved) ? { ...resolved, ...siblings } : resolved;
}

/** The JSON types a schema admits, or undefined when it does not restrict the type. */
function typeSet(schema: JsonObject): Set<string> | undefined {
  if (typeof schema.type === 'string') return new Set([schema.type]);
  if (Array.isArray(schema.type)) return new Set(schema.type.filter((t): t is string => typeof t === 'string'));
  return undefined;
}

function admitsType(types: Set<string>, type: string): boolean {
  return types.has(type) || (type === 'integer' && types.has('number'));
}

/** Values a schema is limited to (const or enum), or undefined when not limited that way. */
function valueSet(schema: JsonObject): string[] | undefined {
  if (schema.const !== undefined) return [JSON.stringify(schema.const)];
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v));
  return undefined;
}

function branchesOf(schema: JsonObject): Json[] | undefined {
  const branches = schema.anyOf ?? schema.oneOf;
  return Array.isArray(branches) ? branches : undefined;
}

/** A key that identifies the same union member across versions: its tag values, else its title. */
function branchKey(bundle: BundleLike, branch: Json, index: number): string {
  const resolved = resolve(bundle, branch);
  if (!isObject(resolved)) return `#${index}`;
  const values = valueSet(resolved);
  if (values) return `value:${values.join(',')}`;
  if (isObject(resolved.properties)) {
    // Only required single-valued properties tell members apart; an optional flag is not a tag.
    const required = new Set(Array.isArray(resolved.required) ? resolved.required : []);
    const tags = Object.entries(resolved.properties)
      .filter(([name]) => required.has(name))
      .map(([name, prop]) => {
        const p = resolve(bundle, prop);
        const v = isObject(p) ? valueSet(p) : undefined;
        return v ? `${name}=${v.join(',')}` : undefined;
      })
      .filter((t): t is string => t !== undefined);
    if (tags.length) return `tags:${tags.join(';')}`;
  }
  if (typeof resolved.title === 'string') return `title:${resolved.title}`;
  if (typeof resolved.type === 'string') return `type:${resolved.type}`;
  return `#${index}`;
}

const escape = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

class Comparer {
  readonly changes: BreakingChange[] = [];
  private readonly active = new Set<string>();

  constructor(
    private readonly baseline: BundleLike,
    private readonly current: BundleLike,
  ) {}

  report(kind: BreakingChangeKind, path: string, message: string): void {
    this.changes.push({ kind, path, message });
  }

  /** Reports every way `after` rejects or drops something `before` allowed. */
  compare(beforeRaw: Json | undefined, afterRaw: Json | undefined, path: string): void {
    // The same named definition on both sides is compared once, under `$defs/<Name>`; repeating
    // its changes at every place that uses it would bury the report.
    if (
      isObject(beforeRaw) &&
      isObject(afterRaw) &&
      typeof beforeRaw.$ref === 'string' &&
      beforeRaw.$ref === afterRaw.$ref &&
      Object.keys(beforeRaw).length === 1 &&
      Object.keys(afterRaw).length === 1
    ) {
      const name = beforeRaw.$ref.startsWith('#/$defs/') ? decodeURIComponent(beforeRaw.$ref.slice('#/$defs/'.length)) : undefined;
      if (name !== undefined && this.baseline.$defs?.[name] !== undefined && this.current.$defs?.[name] !== undefined) return;
    }
    // Recursive schemas: compare each ($ref pair) once per path chain.
    const cycleKey = `${isObject(beforeRaw) ? String(beforeRaw.$ref ?? '') : ''}|${isObject(afterRaw) ? String(afterRaw.$ref ?? '') : ''}`;
    if (cycleKey !== '|') {
      if (this.active.has(cycleKey)) return;
      this.active.add(cycleKey);
    }
    try {
      this.compareResolved(resolve(this.baseline, beforeRaw), resolve(this.current, afterRaw), path);
    } finally {
      if (cycleKey !== '|') this.active.delete(cycleKey);
    }
  }

  private compareResolved(before: Json | undefined, after: Json | undefined, path: string): void {
    if (after === undefined || after === true || (isObject(after) && Object.keys(after).every((k) => k === 'description' || k === 'title'))) return;
    if (after === false) {
      if (before !== false) this.report('type-narrowed', path, 'now accepts nothing');
      return;
    }
    if (!isObject(after)) return;
    const beforeSchema: JsonObject = isObject(before) ? before : {};

    const afterBranches = branchesOf(after);
    const beforeBranches = branchesOf(beforeSchema);
    if (beforeBranches && afterBranches) {
      this.compareUnions(beforeBranches, afterBranches, path);
      return;
    }
    if (beforeBranches && !afterBranches) {
      beforeBranches.forEach((branch, i) => this.compare(branch, after, `${path}/anyOf/${i}`));
      return;
    }
    if (!beforeBranches && afterBranches) {
      // The old schema must fit into one of the new members; pick the member that breaks least.
      let best: BreakingChange[] | undefined;
      for (const branch of afterBranches) {
        const probe = new Comparer(this.baseline, this.current);
        probe.compare(beforeSchema, branch, path);
        if (!best || probe.changes.length < best.length) best = probe.changes;
        if (best.length === 0) break;
      }
      if (best) this.changes.push(...best);
      return;
    }
    this.compareFlat(beforeSchema, after, path);
  }

  private compareUnions(before: Json[], after: Json[], path: string): void {
    const afterByKey = new Map(after.map((branch, i) => [branchKey(this.current, branch, i), branch]));
    before.forEach((branch, i) => {
      const key = branchKey(this.baseline, branch, i);
      const match = afterByKey.get(key);
      if (match === undefined) {
        const what = key.startsWith('value:') ? `value ${key.slice(6)}` : key.startsWith('tags:') ? `member ${key.slice(5)}` : `member ${key}`;
        this.report(key.startsWith('value:') ? 'value-removed' : 'variant-removed', `${path}/anyOf/${i}`, `union ${what} was removed`);
      } else this.compare(branch, match, `${path}/anyOf/${i}`);
    });
  }

  private compareFlat(before: JsonObject, after: JsonObject, path: string): void {
    const beforeTypes = typeSet(before);
    const afterTypes = typeSet(after);
    if (afterTypes) {
      const lost = beforeTypes ? [...beforeTypes].filter((t) => !admitsType(afterTypes, t)) : ['(any type)'];
      if (lost.length) this.report('type-narrowed', path, `type no longer admits ${lost.join(', ')}`);
    }

    const afterValues = valueSet(after);
    if (afterValues) {
      const beforeValues = valueSet(before);
      if (!beforeValues) this.report('value-removed', path, `now limited to ${afterValues.join(', ')}`);
      else {
        const removed = beforeValues.filter((v) => !afterValues.includes(v));
        if (removed.length) this.report('value-removed', path, `value(s) ${removed.join(', ')} removed`);
      }
    }

    this.compareBound(before, after, 'minimum', 'lower', path);
    this.compareBound(before, after, 'exclusiveMinimum', 'lower', path);
    this.compareBound(before, after, 'minLength', 'lower', path);
    this.compareBound(before, after, 'minItems', 'lower', path);
    this.compareBound(before, after, 'minProperties', 'lower', path);
    this.compareBound(before, after, 'maximum', 'upper', path);
    this.compareBound(before, after, 'exclusiveMaximum', 'upper', path);
    this.compareBound(before, after, 'maxLength', 'upper', path);
    this.compareBound(before, after, 'maxItems', 'upper', path);
    this.compareBound(before, after, 'maxProperties', 'upper', path);
    if (after.multipleOf !== undefined && after.multipleOf !== before.multipleOf)
      this.report('bound-narrowed', `${path}/multipleOf`, `multipleOf is now ${JSON.stringify(after.multipleOf)}`);
    if (after.pattern !== undefined && after.pattern !== before.pattern) {
      this.report('pattern-changed', `${path}/pattern`, `pattern changed from ${JSON.stringify(before.pattern ?? null)} to ${JSON.stringify(after.pattern)}`);
    }

    const beforeProps = isObject(before.properties) ? before.properties : {};
    const afterProps = isObject(after.properties) ? after.properties : {};
    const beforeRequired = new Set(Array.isArray(before.required) ? before.required : []);
    const afterRequired = Array.isArray(after.required) ? after.required : [];
    for (const name of Object.keys(beforeProps)) {
      if (!(name in afterProps)) {
        this.report('property-removed', `${path}/properties/${escape(name)}`, `property ${name} was removed or renamed`);
        continue;
      }
      this.compare(beforeProps[name], afterProps[name], `${path}/properties/${escape(name)}`);
    }
    for (const name of afterRequired) {
      if (typeof name === 'string' && !beforeRequired.has(name)) {
        this.report(
          'property-made-required',
          `${path}/properties/${escape(name)}`,
          name in beforeProps ? `property ${name} is now required` : `new required property ${name}`,
        );
      }
    }
    if (after.additionalProperties === false && before.additionalProperties !== false) {
      this.report('additional-properties-closed', path, 'additional properties are no longer allowed');
    } else if (isObject(after.additionalProperties)) {
      this.compare(
        isObject(before.additionalProperties) ? before.additionalProperties : before.additionalProperties === false ? false : {},
        after.additionalProperties,
        `${path}/additionalProperties`,
      );
    }
    if (after.items !== undefined) this.compare(before.items ?? {}, after.items, `${path}/items`);
  }

  private compareBound(before: JsonObject, after: JsonObject, keyword: string, side: 'lower' | 'upper', path: string): void {
    const next = after[keyword];
    if (typeof next !== 'number') return;
    const prev = before[keyword];
    const narrowed = typeof prev !== 'number' || (side === 'lower' ? next > prev : next < prev);
    if (narrowed)
      this.report('bound-narrowed', `${path}/${keyword}`, `${keyword} ${typeof prev === 'number' ? `changed from ${prev} to ${next}` : `added (${next})`}`);
  }
}

function mappingEntries(value: Json | undefined): [string, JsonObject][] {
  return isObject(value) ? Object.entries(value).filter((entry): entry is [string, JsonObject] => isObject(entry[1])) : [];
}

/** Every breaking change from `baseline` to `current`, in a stable order. */
export function findBreakingChanges(baseline: BundleLike, current: BundleLike): BreakingChange[] {
  const comparer = new Comparer(baseline, current);
  const currentDefs = current.$defs ?? {};
  for (const [name, schema] of Object.entries(baseline.$defs ?? {})) {
    if (!(name in currentDefs)) comparer.report('schema-removed', `$defs/${escape(name)}`, `schema ${name} was removed`);
    else comparer.compare(schema, currentDefs[name], `$defs/${escape(name)}`);
  }
  const currentRequests = new Map(mappingEntries(current['x-requests']));
  for (const [name, entry] of mappingEntries(baseline['x-requests'])) {
    const next = currentRequests.get(name);
    if (!next) {
      comparer.report('request-removed', `requests/${escape(name)}`, `request ${name} was removed`);
      continue;
    }
    for (const part of ['params', 'result']) comparer.compare(entry[part], next[part], `requests/${escape(name)}/${part}`);
  }
  const currentEvents = new Map(mappingEntries(current['x-serverEvents']));
  for (const [name, entry] of mappingEntries(baseline['x-serverEvents'])) {
    const next = currentEvents.get(name);
    if (!next) comparer.report('event-removed', `events/${escape(name)}`, `server event ${name} was removed`);
    else comparer.compare(entry.payload, next.payload, `events/${escape(name)}/payload`);
  }
  const seen = new Set<string>();
  return comparer.changes.filter((change) => {
    const key = `${change.kind}\u0000${change.path}\u0000${change.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Major number of a "MAJOR.MINOR" version, or undefined. */
export function majorOf(version: string): number | undefined {
  const match = /^(\d+)\.\d+$/.exec(version);
  return match ? Number(match[1]) : undefined;
}

/**
 * The breaking changes that are not allowed: all of them unless the current protocol version has a
 * higher major than the baseline.
 */
export function disallowedBreakingChanges(baseline: BundleLike, current: BundleLike, baselineVersion: string, currentVersion: string): BreakingChange[] {
  const before = majorOf(baselineVersion);
  const after = majorOf(currentVersion);
  if (before !== undefined && after !== undefined && after > before) return [];
  return findBreakingChanges(baseline, current);
}
