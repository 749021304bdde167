import { STATE_MEANING, type MatrixState } from '../matrix/axes.js';
import type { CoverageMatrix, MatrixCell } from '../matrix/matrix.js';
import type { CheckResult } from '../report.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** `3` every walking check passed, `1/3` some did, `·` not applicable, `P` pending, `?` empty. */
function mark(c: MatrixCell, passed: ReadonlySet<string>): string {
  if (c.status === 'not-applicable') return '·';
  if (c.status === 'pending') return 'P';
  if (c.status === 'empty') return '**?**';
  const ok = c.checks.filter((id) => passed.has(id)).length;
  return ok === c.checks.length ? `${ok}` : `${ok}/${c.checks.length}`;
}

/**
 * The coverage matrix as markdown: a grid of rows (messages and control commands) by states, then
 * for every row which checks walk which state and why the other cells are not walked.
 */
export function renderMatrixMarkdown(matrix: CoverageMatrix, results: readonly CheckResult[]): string[] {
  const passed = new Set(results.filter((r) => r.verdict === 'passed').map((r) => r.id));
  const ran = new Set(results.map((r) => r.id));
  const { counts } = matrix;
  const out: string[] = [
    '## Coverage matrix',
    '',
    `Every request and server event of the schema registry and every control command (rows) against the states it can meet (columns): ` +
      `**${counts.walked} cells walked** by a check, ${counts['not-applicable']} not applicable, ${counts.pending} pending a proposed control command, ${counts.empty} empty.`,
    'A number is how many checks walk the cell and passed in this run (`1/3`: one of three passed); `·` not applicable, `P` pending, `?` empty. The reasons are listed below the grid.',
    '',
    `| row | ${matrix.states.map((s) => s.replace(':', ':<br>')).join(' | ')} |`,
    `| --- | ${matrix.states.map(() => ':-:').join(' | ')} |`,
  ];
  for (const row of matrix.rows) {
    const cells = matrix.cells.filter((c) => c.row === row);
    out.push(`| \`${row}\` | ${cells.map((c) => mark(c, passed)).join(' | ')} |`);
  }
  out.push('', 'States:', '');
  for (const state of matrix.states) out.push(`- \`${state}\`: ${STATE_MEANING[state as MatrixState]}`);
  out.push('', '### Cells by row', '');
  for (const row of matrix.rows) {
    const cells = matrix.cells.filter((c) => c.row === row);
    const walked = cells.filter((c) => c.status === 'walked');
    out.push(`- \`${row}\``);
    for (const c of walked) {
      const names = c.checks.map((id) => (ran.has(id) && !passed.has(id) ? `\`${id}\` (did not pass)` : `\`${id}\``));
      out.push(`  - ${c.state}: ${names.join(', ')}`);
    }
    const byReason = new Map<string, MatrixCell[]>();
    for (const c of cells.filter((x) => x.status === 'not-applicable' || x.status === 'pending')) {
      const key = `${c.status === 'pending' ? 'pending' : 'n/a'}: ${c.reason}`;
      byReason.set(key, [...(byReason.get(key) ?? []), c]);
    }
    for (const [reason, list] of byReason) out.push(`  - ${list.map((c) => c.state).join(', ')} — ${cell(reason)}`);
    const empty = cells.filter((c) => c.status === 'empty');
    if (empty.length > 0) out.push(`  - **not walked and not explained:** ${empty.map((c) => c.state).join(', ')}`);
  }
  out.push('');
  return out;
}
