import { Type, type Static } from '@sinclair/typebox';
import { Closed, Timestamp } from './common.js';
import { Result } from './errors.js';

const Count = Type.Integer({ minimum: 0 });

export const PressureState = Type.Object(
  {
    active: Count,
    waiting: Count,
    queued: Count,
    eventLoopDelayMs: Type.Number({ minimum: 0, description: 'Recent event-loop delay (p99 over the last sampling window).' }),
    backoffActive: Type.Boolean(),
    backoffUntil: Type.Union([Timestamp, Type.Null()]),
    mirrorsSuppressed: Count,
    mirrorsDelivered: Count,
  },
  {
    ...Closed,
    title: 'PressureState',
    description:
      'Gateway load: runs active, runs waiting in lanes, queued work overall, event-loop delay, and the tool-mirror back-off window with its counters.',
  },
);
export type PressureState = Static<typeof PressureState>;

export const HeartbeatCounters = Type.Object(
  { ran: Count, skippedSessionBusy: Count, skippedRequestsInFlight: Count, retriesScheduled: Count },
  { ...Closed, title: 'HeartbeatCounters' },
);

export const Diagnostics = Type.Object(
  {
    at: Timestamp,
    pressure: PressureState,
    heartbeats: HeartbeatCounters,
    connections: Count,
    sessions: Count,
    replays: Count,
    resyncs: Count,
  },
  {
    ...Closed,
    title: 'Diagnostics',
    description: 'Diagnostic heartbeat: emitted periodically as `diagnostics` to subscribers and returned by diagnostics.get.',
  },
);
export type Diagnostics = Static<typeof Diagnostics>;

export const DiagnosticsGetParams = Type.Object({}, { ...Closed, title: 'DiagnosticsGetParams' });
export const DiagnosticsGetResult = Result(Diagnostics, 'DiagnosticsGetResult');

export const DiagnosticsSubscribeParams = Type.Object(
  { enabled: Type.Boolean({ description: 'Start (true) or stop (false) receiving periodic `diagnostics` events.' }) },
  { ...Closed, title: 'DiagnosticsSubscribeParams' },
);
export const DiagnosticsSubscribeData = Type.Object(
  { enabled: Type.Boolean(), intervalMs: Type.Integer({ minimum: 1 }) },
  { ...Closed, title: 'DiagnosticsSubscribeData' },
);
export const DiagnosticsSubscribeResult = Result(DiagnosticsSubscribeData, 'DiagnosticsSubscribeResult');

export type HeartbeatCounters = Static<typeof HeartbeatCounters>;
export type DiagnosticsGetParams = Static<typeof DiagnosticsGetParams>;
export type DiagnosticsGetResult = Static<typeof DiagnosticsGetResult>;
export type DiagnosticsSubscribeParams = Static<typeof DiagnosticsSubscribeParams>;
export type DiagnosticsSubscribeData = Static<typeof DiagnosticsSubscribeData>;
export type DiagnosticsSubscribeResult = Static<typeof DiagnosticsSubscribeResult>;
