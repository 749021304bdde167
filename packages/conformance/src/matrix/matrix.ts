import type { Check } from '../check.js';
import { MATRIX_ROWS, MATRIX_STATES, dimensionOf, type MatrixRow, type MatrixState, type RowPattern, type StatePattern } from './axes.js';
import { CELL_EXPLANATIONS, type CellExplanation } from './not-walked.js';

export type CellStatus = 'walked' | 'not-applicable' | 'pending' | 'empty';

export interface MatrixCell {
  row: MatrixRow;
  state: MatrixState;
  status: CellStatus;
  /** Checks that walk the cell. */
  checks: string[];
  /** Why a cell nobody walks does not apply, or which proposed control command it waits for. */
  reason?: string;
}

export interface CoverageMatrix {
  rows: readonly MatrixRow[];
  states: readonly MatrixState[];
  cells: MatrixCell[];
  counts: Record<CellStatus, number>;
  /** Rows no check walks at all (the coverage test fails on them). */
  unwalkedRows: MatrixRow[];
  /** Cells that are walked and yet named by an explanation (a stale explanation). */
  contradictions: string[];
  /** Checks that declare a walk of a state that does not exist or of a row that does not exist. */
  unknownWalks: string[];
}

function rowMatches(pattern: RowPattern, row: MatrixRow): boolean {
  return pattern.endsWith(':*') ? row.startsWith(pattern.slice(0, -1)) : pattern === row;
}

function stateMatches(pattern: StatePattern, state: MatrixState): boolean {
  return pattern.endsWith(':*') ? dimensionOf(state) === pattern.slice(0, -2) : pattern === state;
}

function explanationFor(row: MatrixRow, state: MatrixState, table: readonly CellExplanation[]): { explanation: CellExplanation; exact: boolean } | undefined {
  for (const explanation of table) {
    const rowHit = explanation.rows.find((p) => rowMatches(p, row));
    const stateHit = explanation.states.find((p) => stateMatches(p, state));
    if (rowHit && stateHit) return { explanation, exact: rowHit === row && stateHit === state };
  }
  return undefined;
}

/**
 * The coverage matrix of a set of checks: for every row (message or control command) and state,
 * the checks that walk it, or the written reason nobody does. Walks declare the auth state they use;
 * a walk that names none uses the suite's own credentials (`auth:authenticated`).
 */
export function computeMatrix(checks: readonly Check[], table: readonly CellExplanation[] = CELL_EXPLANATIONS): CoverageMatrix {
  const walkers = new Map<string, Set<string>>();
  const unknownWalks: string[] = [];
  for (const check of checks) {
    for (const w of check.walks ?? []) {
      if (!MATRIX_ROWS.includes(w.row)) unknownWalks.push(`${check.id}: row ${w.row}`);
      const states = w.states.some((s) => dimensionOf(s) === 'auth') ? w.states : [...w.states, 'auth:authenticated' as const];
      for (const state of states) {
        if (!MATRIX_STATES.includes(state)) unknownWalks.push(`${check.id}: state ${state}`);
        const key = `${w.row}|${state}`;
        let set = walkers.get(key);
        if (!set) walkers.set(key, (set = new Set()));
        set.add(check.id);
      }
    }
  }
  const cells: MatrixCell[] = [];
  const contradictions: string[] = [];
  const counts: Record<CellStatus, number> = { walked: 0, 'not-applicable': 0, pending: 0, empty: 0 };
  for (const row of MATRIX_ROWS) {
    for (const state of MATRIX_STATES) {
      const by = [...(walkers.get(`${row}|${state}`) ?? [])].sort();
      const explained = explanationFor(row, state, table);
      let cell: MatrixCell;
      if (by.length > 0) {
        if (explained?.exact) contradictions.push(`${row} × ${state} is walked by ${by.join(', ')} but explained as ${explained.explanation.kind}`);
        cell = { row, state, status: 'walked', checks: by };
      } else if (explained) {
        cell = {
          row,
          state,
          status: explained.explanation.kind === 'pending' ? 'pending' : 'not-applicable',
          checks: [],
          reason: explained.explanation.reason,
        };
      } else {
        cell = { row, state, status: 'empty', checks: [] };
      }
      counts[cell.status] += 1;
      cells.push(cell);
    }
  }
  const unwalkedRows = MATRIX_ROWS.filter((row) => !cells.some((c) => c.row === row && c.status === 'walked'));
  return { rows: MATRIX_ROWS, states: MATRIX_STATES, cells, counts, unwalkedRows, contradictions, unknownWalks };
}

export type { CellExplanation };
