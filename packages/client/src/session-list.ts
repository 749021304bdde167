import type { SessionRow, SessionsListData, SessionsListParams } from '@agent-gateway/schema';
import type { GatewayClientEvents } from './client-types.js';
import type { InstanceChange } from './gateway-instance.js';
import { SessionsStore } from './sessions-store.js';

/** `sessions.list` without a limit answers at most this many rows (the schema's documented default). */
const DEFAULT_SESSIONS_LIST_LIMIT = 100;

export interface SessionListHost {
  list(params: SessionsListParams): Promise<SessionsListData>;
  emit(payload: GatewayClientEvents['sessions']): void;
}

/**
 * The session list an app follows: rows from `sessions.list` answers and `sessions.changed`
 * broadcasts, listed again after every reconnect (broadcasts sent while away are lost), and replaced
 * when the gateway turns out to serve another state, whose revisions do not continue the old ones.
 */
export class SessionList {
  readonly rows = new SessionsStore();
  private readonly host: SessionListHost;
  /** Set once the app lists sessions: the list is then refreshed, the same way, after every reconnect. */
  private listedWith: SessionsListParams | undefined;
  /** Rows were superseded by a gateway that did not say whether it serves the same state. */
  private unconfirmed = false;

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

  changed(row: SessionRow): void {
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
