import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { Closed, Cursor, Epoch, RunId, SessionId, ShortText, TaggedUnion } from './common.js';
import { Result, WireError } from './errors.js';
import { since } from './since.js';
import { SessionEvent, ToolPhase } from './events.js';

/*
 * The conformance control surface. A gateway under test enables it (off by default, guarded by its
 * own token) so a suite can cause over the wire what the public protocol cannot: append chosen
 * events, force a trim, script runs with tool phases, simulate pressure, hold a lane busy, queue
 * system events, recreate a log with a new epoch, slow down run cleanup.
 */

const cmd = <T extends string, P extends Record<string, TSchema>>(type: T, props: P, description: string) =>
  Type.Object({ type: Type.Literal(type), ...props }, { ...Closed, title: `Control_${type.replace(/\./g, '_')}`, description });

export const ScriptStep = TaggedUnion(
  [
    Type.Object(
      {
        type: Type.Literal('chunks'),
        count: Type.Integer({ minimum: 1, maximum: 100_000 }),
        text: Type.String({ maxLength: 4096 }),
        open: Type.Optional(
          Type.Literal(true, {
            ...since('1.1'),
            description:
              'Leave the stream open: no stream.end after these chunks; the next chunks step continues the same stream (a hold in between pauses it mid-stream).',
          }),
        ),
      },
      { ...Closed, title: 'ScriptStepChunks', description: 'Stream `count` chunks of `text`, then the stream.end (unless `open`).' },
    ),
    Type.Object(
      {
        type: Type.Literal('tool'),
        toolCallId: ShortText,
        toolName: ShortText,
        phase: ToolPhase,
        input: Type.Optional(Type.Unknown()),
        output: Type.Optional(Type.Unknown()),
        progress: Type.Optional(Type.Unknown()),
        error: Type.Optional(WireError),
      },
      { ...Closed, title: 'ScriptStepTool', description: 'Emit one tool phase.' },
    ),
    Type.Object(
      { type: Type.Literal('wait'), ms: Type.Integer({ minimum: 0, maximum: 60_000 }) },
      { ...Closed, title: 'ScriptStepWait', description: 'Pause the run.' },
    ),
    Type.Object(
      { type: Type.Literal('hold'), gate: ShortText },
      { ...Closed, title: 'ScriptStepHold', description: 'Pause the run until control `run.release` opens this gate.' },
    ),
  ],
  { title: 'ScriptStep', description: 'One step of a scripted run.' },
);

export const ControlCommandNames = [
  'capabilities',
  'session.append',
  'session.trim',
  'session.recreate',
  'run.script',
  'run.release',
  'pressure.set',
  'lane.hold',
  'lane.release',
  'system.enqueue',
  'heartbeat.trigger',
  'cleanup.delay',
  'pressure.pulse',
  'diagnostics.interval',
] as const;
export type ControlCommandName = (typeof ControlCommandNames)[number];

/** Commands added after 1.0 (a gateway leaves them out of the lists it sends an earlier minor). */
export const ControlCommandHistory: Partial<Record<ControlCommandName, `${number}.${number}`>> = {
  'pressure.pulse': '1.1',
  'diagnostics.interval': '1.1',
};

/** The command names as schema literals, each marked with the version that introduced it. */
export function controlCommandNameSchema() {
  return Type.Union(
    ControlCommandNames.map((name) => {
      const added = ControlCommandHistory[name];
      return Type.Literal(name, added ? since(added) : {});
    }),
  );
}

export const ControlCommand = TaggedUnion(
  [
    cmd('capabilities', {}, 'List the control commands this gateway implements.'),
    cmd(
      'session.append',
      { sessionId: SessionId, events: Type.Array(SessionEvent, { minItems: 1, maxItems: 10_000 }) },
      'Append events to a session log, creating the session if needed.',
    ),
    cmd(
      'session.trim',
      { sessionId: SessionId, oldestCursor: Type.Integer({ minimum: 1, description: 'Drop everything below this seq; it becomes the new oldestCursor.' }) },
      'Force retention to drop events below a seq.',
    ),
    cmd('session.recreate', { sessionId: SessionId }, 'Recreate the session log under a new epoch (as a restart of an in-memory gateway would).'),
    cmd(
      'run.script',
      {
        sessionId: SessionId,
        steps: Type.Array(ScriptStep, { maxItems: 10_000 }),
        idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      },
      'Queue a scripted run in the session lane; the calling connection is run-scoped for it.',
    ),
    cmd('run.release', { sessionId: SessionId, gate: ShortText }, 'Open a hold gate of a scripted run.'),
    cmd(
      'pressure.set',
      {
        simulated: Type.Boolean({ description: 'true: report pressure with queued work, as if the event loop were saturated. false: measure for real again.' }),
        backoffMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
      },
      'Simulate gateway pressure, opening the tool-mirror back-off window.',
    ),
    cmd('lane.hold', { sessionId: SessionId }, 'Occupy the session lane as a long run would, until lane.release.'),
    cmd('lane.release', { sessionId: SessionId }, 'Release a lane held by lane.hold.'),
    cmd(
      'system.enqueue',
      { sessionId: SessionId, kind: ShortText, text: Type.String({ maxLength: 65_536 }) },
      'Queue a system event and wake the heartbeat of that session.',
    ),
    cmd('heartbeat.trigger', { sessionId: SessionId }, 'Run the heartbeat of a session now.'),
    cmd('cleanup.delay', { ms: Type.Integer({ minimum: 0, maximum: 60_000 }) }, 'Delay the internal cleanup that follows every terminal run.'),
    cmd(
      'pressure.pulse',
      { backoffMs: Type.Integer({ minimum: 1, maximum: 3_600_000 }) },
      'One pressured moment: open (or extend) the back-off window for backoffMs, after which it expires by itself as after a real pressure spike.',
    ),
    cmd(
      'diagnostics.interval',
      { ms: Type.Integer({ minimum: 10, maximum: 60_000 }) },
      'Set the period of the `diagnostics` event, so a suite need not wait out the default.',
    ),
  ] satisfies TObject[],
  { title: 'ControlCommand', description: 'A conformance control command, discriminated by `type`.' },
);
export type ControlCommand = Static<typeof ControlCommand>;

export const ControlData = Type.Object(
  {
    type: controlCommandNameSchema(),
    commands: Type.Optional(Type.Array(controlCommandNameSchema())),
    sessionId: Type.Optional(SessionId),
    epoch: Type.Optional(Epoch),
    firstSeq: Type.Optional(Cursor),
    lastSeq: Type.Optional(Cursor),
    cursor: Type.Optional(Cursor),
    oldestCursor: Type.Optional(Type.Integer({ minimum: 1 })),
    runId: Type.Optional(RunId),
    eventId: Type.Optional(ShortText),
    backoffActive: Type.Optional(Type.Boolean()),
    intervalMs: Type.Optional(Type.Integer({ ...since('1.1'), minimum: 1, description: 'diagnostics.interval: the period now in force.' })),
  },
  { ...Closed, title: 'ControlData', description: 'Answer of a control command; which fields appear depends on `type`.' },
);
export type ControlData = Static<typeof ControlData>;
export const ControlResult = Result(ControlData, 'ControlResult');

export type ScriptStep = Static<typeof ScriptStep>;
export type ControlResult = Static<typeof ControlResult>;
