import { comparePositions, positionOf, type ListPosition } from '../sessions/list-cursor.js';
import type { RowPage } from '../sessions/registry.js';
import type { SessionRow, SessionsChanged } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { RowChange, RowStore, Session } from '../sessions/index.js';
import type { RedisConnection } from './connection.js';
import { gatewayKeys, sessionKeys } from './keys.js';

/** A stored row: `<createdAt>|<row JSON without revision>`; the revision has its own counter. */
function decode(value: string, revision: string | null): { row: SessionRow; createdAt: number } {
  const bar = value.indexOf('|');
  const row = JSON.parse(value.slice(bar + 1)) as Omit<SessionRow, 'revision'>;
  return { row: { ...row, revision: Number(revision ?? 0) }, createdAt: Number(value.slice(0, bar)) };
}

/**
 * Session rows in Redis, so `sessions.list` and `hasActiveRun` read the same whichever gateway is
 * asked. Saves are issued in change order on the command connection, before the append or the
 * broadcast that follows them on the same connection, so the R4.2 order (row cleared, run.end
 * appended, sessions.changed) holds across gateways: a list sent on the broadcast reads the cleared
 * row. Revisions come from one counter per row, so they increase across gateways.
 */
export class RedisRows implements RowStore {
  /** Row saves that failed (Redis unreachable); saved again once it is back. */
  private readonly unsaved = new Map<string, Session>();

  constructor(
    private readonly connection: RedisConnection,
    private readonly prefix: string,
    private readonly nodeId: string,
    private readonly logger: Logger,
  ) {}

  async load(sessionId: string): Promise<{ row: SessionRow; createdAt: number } | undefined> {
    const keys = sessionKeys(this.prefix, sessionId);
    const [value, revision] = await this.connection.guard(() => this.connection.command.mget(keys.row, keys.rowRevision));
    return value ? decode(value, revision ?? null) : undefined;
  }

  save(session: Session, change: RowChange): void {
    const keys = sessionKeys(this.prefix, session.id);
    const gateway = gatewayKeys(this.prefix);
    this.unsaved.delete(session.id);
    const { revision: _revision, ...base } = session.row;
    const args = [String(session.createdAt), JSON.stringify(base), JSON.stringify(change.patch), change.whenIdle ? JSON.stringify(change.whenIdle) : ''];
    void Promise.all([
      this.connection.script('agRowSave', [keys.row, keys.rowRevision], args),
      this.connection.guard(() => this.connection.command.zadd(gateway.sessions, session.row.updatedAt, session.id)),
    ])
      .then(([reply]) => {
        const [revision, json] = reply as [number, string];
        // The row as stored: this gateway's copy follows it unless a later change already did.
        const stored: SessionRow = { ...(JSON.parse(json) as Omit<SessionRow, 'revision'>), revision: Number(revision) };
        if (stored.revision >= session.row.revision) session.row = stored;
      })
      .catch((error: unknown) => {
        this.unsaved.set(session.id, session);
        this.logger.warn({ err: error, sessionId: session.id }, 'saving a session row failed; saved again when Redis is back');
      });
  }

  /** Save again what could not be saved while Redis was unreachable: this gateway's copy, as it is now. */
  retryUnsaved(): void {
    for (const session of [...this.unsaved.values()]) {
      const { sessionId: _id, revision: _revision, ...row } = session.row;
      this.save(session, { patch: row });
    }
  }

  async list(limit: number, after: ListPosition | undefined, visible: (sessionId: string) => Promise<boolean>): Promise<RowPage> {
    const index = gatewayKeys(this.prefix).sessions;
    const rows: SessionRow[] = [];
    const page = 200;
    // One row more than the page tells whether another page follows.
    for (let start = 0; rows.length <= limit; start += page) {
      const ids = await this.connection.guard(() => this.connection.command.zrevrange(index, start, start + page - 1));
      if (ids.length === 0) break;
      const pipeline = this.connection.command.pipeline();
      for (const id of ids) {
        const keys = sessionKeys(this.prefix, id);
        pipeline.get(keys.row).get(keys.rowRevision);
      }
      const replies = (await this.connection.guard(() => pipeline.exec())) ?? [];
      for (let i = 0; i < ids.length && rows.length <= limit; i++) {
        const value = replies[2 * i]?.[1] as string | null | undefined;
        if (!value || !(await visible(ids[i]!))) continue;
        const row = decode(value, (replies[2 * i + 1]?.[1] as string | null) ?? null).row;
        if (!after || comparePositions(positionOf(row), after) > 0) rows.push(row);
      }
      if (ids.length < page) break;
    }
    rows.sort((a, b) => comparePositions(positionOf(a), positionOf(b)));
    const pageRows = rows.slice(0, limit);
    const last = pageRows[pageRows.length - 1];
    return { rows: pageRows, next: rows.length > limit && last ? positionOf(last) : undefined };
  }

  /** Broadcast a row change to every gateway, with the row and revision as Redis holds them now. */
  publish(change: SessionsChanged): void {
    const keys = sessionKeys(this.prefix, change.sessionId);
    void this.connection
      .script('agRowPublish', [keys.row, keys.rowRevision], [gatewayKeys(this.prefix).cluster, `row|${this.nodeId}|${change.sessionId}|${change.reason}`])
      .catch((error: unknown) => this.logger.warn({ err: error, sessionId: change.sessionId }, 'broadcasting a row change failed'));
  }

  /** A published row change (`<revision>|<createdAt>|<row JSON>` after the header) as the protocol's event. */
  static parse(sessionId: string, reason: string, rest: string): SessionsChanged {
    const bar = rest.indexOf('|');
    const { row } = decode(rest.slice(bar + 1), rest.slice(0, bar));
    return { sessionId, reason: reason as SessionsChanged['reason'], row };
  }
}
