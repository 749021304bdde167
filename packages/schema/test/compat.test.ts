import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../src/index.js';
import { disallowedBreakingChanges, findBreakingChanges, type BreakingChangeKind, type BundleLike } from '../src/tooling.js';

const packageDir = join(import.meta.dirname, '..');
const readJson = (path: string): BundleLike => JSON.parse(readFileSync(join(packageDir, path), 'utf8')) as BundleLike;

/** The newest released baseline: baseline/<MAJOR.MINOR>/protocol.schema.json. */
function newestBaseline(): { version: string; bundle: BundleLike } {
  const versions = readdirSync(join(packageDir, 'baseline'))
    .filter((name) => /^\d+\.\d+$/.test(name))
    .sort((a, b) => {
      const [aMajor, aMinor] = a.split('.').map(Number) as [number, number];
      const [bMajor, bMinor] = b.split('.').map(Number) as [number, number];
      return aMajor - bMajor || aMinor - bMinor;
    });
  const version = versions.at(-1);
  if (!version) throw new Error('no protocol baseline committed');
  return { version, bundle: readJson(`baseline/${version}/protocol.schema.json`) };
}

const baseline = newestBaseline();
const current = readJson('generated/protocol.schema.json');

type Mutable = { $defs: Record<string, any>; 'x-requests': Record<string, any>; 'x-serverEvents': Record<string, any> };
/** A deep copy of the baseline to break or extend on purpose. */
const copy = (): Mutable & BundleLike => structuredClone(baseline.bundle) as Mutable & BundleLike;
const kinds = (before: BundleLike, after: BundleLike): BreakingChangeKind[] => [...new Set(findBreakingChanges(before, after).map((c) => c.kind))].sort();
const paths = (before: BundleLike, after: BundleLike): string[] => findBreakingChanges(before, after).map((c) => c.path);

describe('protocol compatibility with the released baseline', () => {
  it('the current schema breaks nothing of the baseline unless the major version was bumped', () => {
    expect(baseline.bundle['x-protocolVersion']).toBe(baseline.version);
    const breaks = disallowedBreakingChanges(baseline.bundle, current, baseline.version, PROTOCOL_VERSION);
    expect(
      breaks.map((c) => `${c.kind} at ${c.path}: ${c.message}`),
      `breaking changes against protocol ${baseline.version}; bump the major of PROTOCOL_VERSION or keep compatibility`,
    ).toEqual([]);
  });

  it('finds no change between a bundle and itself', () => {
    expect(findBreakingChanges(baseline.bundle, copy())).toEqual([]);
  });
});

describe('the compatibility checker catches deliberate breaks', () => {
  it('a removed field', () => {
    const next = copy();
    delete next.$defs.JoinParams.properties.epoch;
    expect(kinds(baseline.bundle, next)).toEqual(['property-removed']);
    expect(paths(baseline.bundle, next)).toContain('$defs/JoinParams/properties/epoch');
    // Reported once, where the definition lives, not again at every use.
    expect(paths(baseline.bundle, next)).toEqual(['$defs/JoinParams/properties/epoch']);
  });

  it('a renamed field (removal plus a new required field)', () => {
    const next = copy();
    const leave = next.$defs.LeaveParams;
    leave.properties = { session: leave.properties.sessionId };
    leave.required = ['session'];
    expect(kinds(baseline.bundle, next)).toEqual(['property-made-required', 'property-removed']);
  });

  it('an optional field made required', () => {
    const next = copy();
    next.$defs.JoinParams.required.push('since');
    expect(findBreakingChanges(baseline.bundle, next)).toContainEqual({
      kind: 'property-made-required',
      path: '$defs/JoinParams/properties/since',
      message: 'property since is now required',
    });
  });

  it('a narrowed type: number to integer, a raised minimum, a lowered maxLength, a changed pattern', () => {
    const number = copy();
    number.$defs.PressureState.properties.eventLoopDelayMs.type = 'integer';
    expect(kinds(baseline.bundle, number)).toEqual(['type-narrowed']);

    const minimum = copy();
    minimum.$defs.Cursor.minimum = 1;
    expect(paths(baseline.bundle, minimum)).toEqual(['$defs/Cursor/minimum']);

    const maxLength = copy();
    maxLength.$defs.ChatSendParams.properties.text.maxLength = 1000;
    expect(kinds(baseline.bundle, maxLength)).toEqual(['bound-narrowed']);

    const pattern = copy();
    pattern.$defs.SessionId.pattern = '^[a-z]+$';
    expect(kinds(baseline.bundle, pattern)).toEqual(['pattern-changed']);

    const union = copy();
    union.$defs.Hello.properties.principal = { type: 'null' };
    expect(kinds(baseline.bundle, union)).toEqual(['type-narrowed']);
  });

  it('a removed enum member and a removed union variant', () => {
    const enumMember = copy();
    enumMember.$defs.RunStatus.anyOf = enumMember.$defs.RunStatus.anyOf.filter((b: { const?: string }) => b.const !== 'failed');
    expect(findBreakingChanges(baseline.bundle, enumMember).map((c) => c.message)).toContain('union value "failed" was removed');
    expect(kinds(baseline.bundle, enumMember)).toEqual(['value-removed']);

    const variant = copy();
    variant.$defs.ControlCommand.oneOf = variant.$defs.ControlCommand.oneOf.filter((b: { $ref: string }) => !b.$ref.endsWith('/Control_lane_hold'));
    expect(kinds(baseline.bundle, variant)).toEqual(['variant-removed']);
  });

  it('additional properties closed on an object that was open', () => {
    const open = copy();
    delete open.$defs.SessionRow.additionalProperties;
    expect(kinds(open, baseline.bundle)).toEqual(['additional-properties-closed']);
  });

  it('a removed schema, request and server event', () => {
    const next = copy();
    delete next.$defs.Diagnostics;
    delete next['x-requests']['chat.abort'];
    delete next['x-serverEvents']['sessions.changed'];
    const changes = findBreakingChanges(baseline.bundle, next);
    expect(changes).toContainEqual({ kind: 'schema-removed', path: '$defs/Diagnostics', message: 'schema Diagnostics was removed' });
    expect(changes).toContainEqual({ kind: 'request-removed', path: 'requests/chat.abort', message: 'request chat.abort was removed' });
    expect(changes).toContainEqual({ kind: 'event-removed', path: 'events/sessions.changed', message: 'server event sessions.changed was removed' });
  });

  it('a request whose params now point at a narrower schema', () => {
    const next = copy();
    next.$defs.StrictJoinParams = structuredClone(next.$defs.JoinParams);
    next.$defs.StrictJoinParams.required.push('epoch');
    next['x-requests'].join.params = { $ref: '#/$defs/StrictJoinParams' };
    expect(paths(baseline.bundle, next)).toEqual(['requests/join/params/properties/epoch']);
  });

  it('allows breaks only with a higher major version', () => {
    const next = copy();
    delete next.$defs.JoinParams.properties.epoch;
    expect(disallowedBreakingChanges(baseline.bundle, next, '1.0', '1.1')).not.toEqual([]);
    expect(disallowedBreakingChanges(baseline.bundle, next, '1.0', '2.0')).toEqual([]);
  });
});

describe('the compatibility checker accepts additive changes', () => {
  it('a new optional field, a new message, a new request and event', () => {
    const next = copy();
    next.$defs.JoinParams.properties.resumeToken = { type: 'string', maxLength: 256 };
    next.$defs.Joined.properties.serverTime = { $ref: '#/$defs/Timestamp' };
    next.$defs.SessionsPinParams = {
      title: 'SessionsPinParams',
      type: 'object',
      additionalProperties: false,
      required: ['sessionId'],
      properties: { sessionId: { $ref: '#/$defs/SessionId' } },
    };
    next['x-requests']['sessions.pin'] = { params: { $ref: '#/$defs/SessionsPinParams' }, result: { $ref: '#/$defs/LeaveResult' } };
    next['x-serverEvents']['sessions.pinned'] = { payload: { $ref: '#/$defs/SessionsPinParams' } };
    expect(findBreakingChanges(baseline.bundle, next)).toEqual([]);
  });

  it('wider types: a new enum member, a new union variant, relaxed bounds, new descriptions', () => {
    const next = copy();
    next.$defs.RunStatus.anyOf.push({ type: 'string', const: 'paused' });
    next.$defs.ControlCommand.oneOf.push({
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: { type: { type: 'string', const: 'log.dump' } },
    });
    next.$defs.ChatSendParams.properties.text.maxLength = 1_000_000;
    next.$defs.SessionsListParams.properties.limit.minimum = 0;
    next.$defs.PressureState.properties.queued = { type: 'number', minimum: 0 };
    next.$defs.Hello.properties.principal = { anyOf: [{ type: 'string', maxLength: 1024 }, { type: 'null' }] };
    next.$defs.Snapshot.description = 'Reworded.';
    expect(findBreakingChanges(baseline.bundle, next)).toEqual([]);
  });
});
