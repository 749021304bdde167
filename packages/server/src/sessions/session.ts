import type { SessionRow } from '@agent-gateway/schema';
import type { SessionLog } from '../log/index.js';
import { Lane, type LaneEvents, type LaneGate } from '../runs/lane.js';
import { SerialQueue } from './serial.js';
import { SessionView } from './view.js';

/** Everything the gateway keeps in memory for one session. */
export class Session {
  /** Appends, joins and recreation of this session run one at a time through this queue. */
  readonly serial = new SerialQueue();
  readonly view: SessionView;
  readonly lane: Lane;
  row: SessionRow;
  readonly createdAt: number;
  /** The principal whose request created the session, counted against its limit; none for control commands. */
  readonly createdBy: string | undefined;
  /** Last time a client or a run used the session (heartbeats do not count): idle time runs from here. */
  lastActiveAt: number;
  /** Set once the gateway unloaded the session; whoever still holds it must look it up again. */
  unloaded = false;

  constructor(
    readonly id: string,
    public log: SessionLog,
    public epoch: string,
    laneEvents: LaneEvents,
    now: number,
    options: { maxConversationBytes?: number; laneGate?: LaneGate; createdBy?: string } = {},
  ) {
    this.createdBy = options.createdBy;
    this.view = new SessionView(options.maxConversationBytes);
    this.lane = new Lane(id, laneEvents, options.laneGate);
    this.createdAt = now;
    this.lastActiveAt = now;
    this.row = { sessionId: id, status: 'idle', hasActiveRun: false, activeRunId: null, lastRunId: null, updatedAt: now, revision: 0 };
  }
}
