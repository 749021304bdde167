import { describe, expect, it } from 'vitest';
import { allChecks } from '../src/checks/index.js';
import { MATRIX_ROWS } from '../src/matrix/axes.js';
import { computeMatrix } from '../src/matrix/matrix.js';
import { CELL_EXPLANATIONS } from '../src/matrix/not-walked.js';

describe('the coverage matrix', () => {
  const matrix = computeMatrix(allChecks);

  it('has a row for every request, server event and control command of the registry', () => {
    expect(MATRIX_ROWS).toContain('request:join');
    expect(MATRIX_ROWS).toContain('event:session.tool');
    expect(MATRIX_ROWS).toContain('control:session.append');
    expect(matrix.cells.length).toBe(matrix.rows.length * matrix.states.length);
  });

  it('every message and control command is walked by at least one check', () => {
    expect(matrix.unwalkedRows).toEqual([]);
  });

  it('every cell is walked by a check or explained', () => {
    const empty = matrix.cells.filter((c) => c.status === 'empty').map((c) => `${c.row} × ${c.state}`);
    expect(empty).toEqual([]);
  });

  it('no explanation names a cell a check walks, and every walk names a real row and state', () => {
    expect(matrix.contradictions).toEqual([]);
    expect(matrix.unknownWalks).toEqual([]);
  });

  it('every explanation still explains at least one cell', () => {
    const used = new Set(matrix.cells.map((c) => c.reason).filter(Boolean));
    expect(CELL_EXPLANATIONS.filter((e) => !used.has(e.reason)).map((e) => e.reason)).toEqual([]);
  });

  it('every check declares the cells it walks', () => {
    const silent = allChecks.filter((c) => (c.walks ?? []).length === 0).map((c) => c.id);
    expect(silent).toEqual(['control.unadvertised-command-unsupported', 'limits.connections-per-principal', 'limits.foreign-origin-refused']);
  });
});
