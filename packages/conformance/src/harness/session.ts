import type { JoinParams, Joined, Snapshot } from '@agent-gateway/schema';
import type { Connection, ObservedFrame, Packet } from './connection.js';
import { CheckFailure } from './errors.js';

/** Everything one join produced: the `joined` event, the frames or snapshot sent before the ack, and the ack. */
export interface JoinOutcome {
  ack: Packet;
  result: { ok: true; data: Joined } | { ok: false; error: { code: string; message: string } };
  joinedEvent: Packet | undefined;
  /** Frames of this session that arrived before the ack (replay batches belong here). */
  replayed: ObservedFrame[];
  snapshots: Snapshot[];
  /** Packet index right after the ack: live frames arrive from here on. */
  afterAck: number;
}

/** Join and collect what the gateway sent in answer (it sends replay or snapshot before the ack). */
export async function joinSession(conn: Connection, params: JoinParams): Promise<JoinOutcome> {
  const start = conn.packets.length;
  const framesBefore = conn.frames(params.sessionId).length;
  const ack = await conn.requestRaw('join', params);
  const window = conn.packets.slice(start, ack.index);
  const joinedEvent = window.find((p) => p.event === 'joined' && (p.payload as Joined)?.sessionId === params.sessionId);
  const replayed = conn
    .frames(params.sessionId)
    .slice(framesBefore)
    .filter((f) => f.packetIndex < ack.index);
  const snapshots = window.filter((p) => p.event === 'snapshot' && (p.payload as Snapshot)?.sessionId === params.sessionId).map((p) => p.payload as Snapshot);
  return { ack, result: ack.payload as JoinOutcome['result'], joinedEvent, replayed, snapshots, afterAck: ack.index + 1 };
}

/** Join expecting success; returns the outcome with `joined` data. */
export async function joinOk(conn: Connection, params: JoinParams): Promise<JoinOutcome & { joined: Joined }> {
  const outcome = await joinSession(conn, params);
  if (!outcome.result || outcome.result.ok !== true) {
    throw new CheckFailure(`join ${JSON.stringify(params)} was refused`, ['join answers { ok: true, data: Joined }'], outcome.result);
  }
  return { ...outcome, joined: outcome.result.data };
}

/** Frames of a session received after a packet index (live frames after a join's ack). */
export function framesAfter(conn: Connection, sessionId: string, packetIndex: number): ObservedFrame[] {
  return conn.frames(sessionId).filter((f) => f.packetIndex >= packetIndex);
}
