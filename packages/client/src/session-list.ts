import type { SessionRow, SessionsChanged, SessionsListData, SessionsListParams } from '@agent-gateway/schema';
import type { GatewayClientEvents } from './client-types.js';
import type { InstanceChange } from './gateway-instance.js';
import { SessionsStore } from './sessions-store.js';

/** `sessions.list` without a limit answers at most this many rows (the schema's documented default). */
const DEFAULT_SESSIONS_LIST_LIMIT = 100;

export interface SessionListHost {
  list(params: SessionsListParams): Promise<SessionsListData>;
  /** Ask the gateway for sessions.changed of every row (sessions.subscribe; nothing to ask under 1.0). */
  subscribe(): Promise<void>;
  emit(payload: GatewayClientEvents['sessions']): void;
}

/**
 * The session list an app follows: rows from `sessions.list` answers and `sessions.changed`
 * notices. The connection subscribes to the list before it lists (so no change falls between the
 * two), and does both again after every reconnect (notices sent while away are lost) and when the
 * gateway says it coalesced creations (`sessions.resync`). Rows are replaced when the gateway turns
 * out to serve another state, whose revisions do not continue the old ones.
 */
export class SessionList {
  readonly rows = new SessionsStore();
  private readonly host: SessionListHost;
  /** Set once the app lists sessions: the list is then refreshed, the same way, after every reconnect. */
  private listedWith: SessionsListParams | undefined;
  /** Rows were superseded by a gateway that did not say whether it serves the same state. */
  private unconfirmed = false;
  /** This connection follows the list (reset when the connection drops). */
  private subscribed = false;

  constructor(host: SessionListHost) {
    this.host = host;
  }

  /** Whether the app follows the list (it listed once). */
  get followed(): boolean {
    return this.listedWith !== undefined;
  }

  async list(limit?: number): Promise<SessionRow[]> {
    const params: SessionsListParams = limit === undefined ? {} : { limit };
    this.listedWith = params;
    if (!this.subscribed) {
      await this.host.subscribe();
      this.subscribed = true;
    }
    const data = await this.host.list(params);
    const changed = this.rows.applyList(data.sessions);
    let removed: string[] = [];
    // A whole list from a gateway that may serve another state: rows it does not have are gone.
    if (this.unconfirmed && data.sessions.length < (limit ?? DEFAULT_SESSIONS_LIST_LIMIT)) {
      removed = this.rows.dropSuperseded();
      this.unconfirmed = false;
    }
    this.host.emit({ rows: this.rows.list(), changed, removed });
    return this.rows.list();
  }

  /** List again as the app last did (after a reconnect); resolves at once when it never listed. */
  async refresh(): Promise<void> {
    if (this.listedWith) await this.list(this.listedWith.limit);
  }

  /** The connection dropped: the next one subscribes again before it lists. */
  connectionLost(): void {
    this.subscribed = false;
  }

  changed(change: Pick<SessionsChanged, 'reason' | 'row'>): void {
    const row = change.row;
    if (change.reason === 'unloaded') {
      // No longer listed until it is used again.
      if (this.rows.remove(row.sessionId)) this.host.emit({ rows: this.rows.list(), changed: [], removed: [row.sessionId] });
      return;
    }
    if (this.rows.apply(row)) this.host.emit({ rows: this.rows.list(), changed: [row], removed: [] });
  }

  /**
   * What a greeting after a reconnect says about the rows: another instance drops them at once;
   * an unknown one makes them replaceable by whatever the gateway sends next, and a whole list
   * answer drops those it does not have.
   */
  greeted(change: InstanceChange): void {
    if (change === 'changed') {
      this.rows.supersede();
      this.unconfirmed = false;
      const removed = this.rows.dropSuperseded();
      if (removed.length > 0) this.host.emit({ rows: this.rows.list(), changed: [], removed });
    } else if (change === 'unknown') {
      this.rows.supersede();
      this.unconfirmed = true;
    }
  }
}
