import type { SessionRow } from '@agent-gateway/schema';

/** Where a row sits in the list order: most recently updated first, then by revision, then by id. */
export interface ListPosition {
  updatedAt: number;
  revision: number;
  sessionId: string;
}

export function positionOf(row: SessionRow): ListPosition {
  return { updatedAt: row.updatedAt, revision: row.revision, sessionId: row.sessionId };
}

/** Negative when `a` comes first in the list. A total order: session ids are unique. */
export function comparePositions(a: ListPosition, b: ListPosition): number {
  return b.updatedAt - a.updatedAt || b.revision - a.revision || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0);
}

/**
 * The opaque `cursor` of sessions.list: the position of the last row of a page, as base64url JSON.
 * Clients pass it back unchanged; nothing in it is a secret or an authority (a page only ever holds
 * rows the caller may see), so it needs no signature.
 */
export function encodeListCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.updatedAt, position.revision, position.sessionId]), 'utf8').toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this gateway issued. */
export function decodeListCursor(cursor: string): ListPosition | undefined {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(decoded) || decoded.length !== 3) return undefined;
  const [updatedAt, revision, sessionId] = decoded as unknown[];
  if (!Number.isSafeInteger(updatedAt) || (updatedAt as number) < 0) return undefined;
  if (!Number.isSafeInteger(revision) || (revision as number) < 0) return undefined;
  if (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.length > 128) return undefined;
  return { updatedAt: updatedAt as number, revision: revision as number, sessionId };
}
