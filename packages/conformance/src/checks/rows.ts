import { isTerminalSessionStatus, type SessionRow, type SessionsChanged } from '@agent-gateway/schema';
import { expect, expectOk } from '../harness/assert.js';
import type { Connection } from '../harness/connection.js';

/** The session's row as `sessions.list` shows it to this connection (undefined when not listed). */
export async function listRow(conn: Connection, sessionId: string): Promise<SessionRow | undefined> {
  const data = expectOk(await conn.request('sessions.list', { limit: 1000 }), 'sessions.list');
  return data.sessions.find((r) => r.sessionId === sessionId);
}

/** Every sessions.changed this connection received for the session, with its packet index. */
export function changesOf(conn: Connection, sessionId: string): { index: number; payload: SessionsChanged }[] {
  return conn.packets
    .filter((p) => p.event === 'sessions.changed' && (p.payload as SessionsChanged)?.sessionId === sessionId)
    .map((p) => ({ index: p.index, payload: p.payload as SessionsChanged }));
}

/** R4.4 as the gateway must present it: a terminal row is never active, a non-terminal row says so explicitly. */
export function expectCoherentRow(row: SessionRow, where: string, blame?: string[]): void {
  expect(typeof row.hasActiveRun === 'boolean', `${where}: hasActiveRun is not a boolean`, 'explicit boolean hasActiveRun', row, blame);
  if (isTerminalSessionStatus(row.status)) {
    expect(
      row.hasActiveRun === false && row.activeRunId === null,
      `${where}: a ${row.status} row is shown active`,
      'terminal rows: hasActiveRun false, activeRunId null',
      row,
      blame,
    );
  }
}

/** The row must show this run active (non-terminal status, hasActiveRun true, activeRunId = runId). */
export function expectActiveRow(row: SessionRow | undefined, runId: string, where: string, blame?: string[]): asserts row is SessionRow {
  expect(
    row !== undefined && !isTerminalSessionStatus(row.status) && row.hasActiveRun === true && row.activeRunId === runId,
    `${where}: the row does not show run ${runId} active`,
    `non-terminal status, hasActiveRun true, activeRunId ${runId}`,
    row ?? null,
    blame,
  );
}
