/* Combining the runs into the table of docs/benchmarks.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { compared, meets, mergeHistograms, spread, valueAt, type PendingRow, type RunRow, type Spread } from './rows.js';

export interface RunResult {
  rows: RunRow[];
  pending: PendingRow[];
}

export interface CombinedRow {
  row: RunRow;
  runs: number;
  gateway: Spread;
  raw: Spread | undefined;
  comparison: Spread | undefined;
  /** Whether the median meets the target (undefined when the row has none). */
  met: boolean | undefined;
}

export function combine(results: readonly RunResult[]): { rows: CombinedRow[]; pending: PendingRow[] } {
  const byId = new Map<string, RunRow[]>();
  for (const result of results) for (const row of result.rows) byId.set(row.id, [...(byId.get(row.id) ?? []), row]);
  const rows: CombinedRow[] = [];
  for (const all of byId.values()) {
    // A run that could not complete is reported, not averaged in.
    const runs = all.filter((r) => !r.failed);
    const failures = all.filter((r) => r.failed).map((r) => r.failed!);
    if (runs.length === 0) {
      const first = all[0]!;
      const nan = { median: NaN, min: NaN, max: NaN };
      rows.push({
        row: { ...first, note: `did not complete in ${all.length} of ${all.length} runs: ${failures[0]}` },
        runs: 0,
        gateway: nan,
        raw: undefined,
        comparison: undefined,
        met: first.target ? false : undefined,
      });
      continue;
    }
    const first = failures.length > 0 ? { ...runs[0]!, note: `did not complete in ${failures.length} of ${all.length} runs: ${failures[0]}` } : runs[0]!;
    let gateway = spread(runs.map((r) => r.gateway));
    let raw = first.raw === undefined ? undefined : spread(runs.map((r) => r.raw!));
    const perRun = runs.map((r) => compared(r)).filter((v): v is number => v !== undefined);
    let comparison = perRun.length > 0 ? spread(perRun) : undefined;
    if (first.histograms && first.percentile !== undefined) {
      // Latency: every run's samples merged, then the percentile (percentiles are never averaged).
      const g = valueAt(mergeHistograms(runs.map((r) => r.histograms!.gateway)), first.percentile) / 1000;
      const w = valueAt(mergeHistograms(runs.map((r) => r.histograms!.raw)), first.percentile) / 1000;
      gateway = { ...gateway, median: g };
      raw = raw && { ...raw, median: w };
      comparison = comparison && { ...comparison, median: g - w };
    }
    const subject = first.target?.of === 'value' ? gateway.median : comparison?.median;
    rows.push({
      row: first,
      runs: runs.length,
      gateway,
      raw,
      comparison,
      met: first.target && subject !== undefined ? meets(first.target, subject) : undefined,
    });
  }
  const pending = [...new Map(results.flatMap((r) => r.pending).map((p) => [p.id, p])).values()];
  return { rows, pending };
}

function number(value: number, unit: string): string {
  if (unit === 'bytes') {
    if (Math.abs(value) >= 10 * 2 ** 20) return `${(value / 2 ** 20).toFixed(1)} MiB`;
    if (Math.abs(value) >= 10 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
    return `${Math.round(value)} B`;
  }
  if (unit === 'ms' || unit === 's' || unit === '%' || unit === 'µs') return `${value.toFixed(Math.abs(value) < 10 ? 2 : 1)} ${unit}`;
  return Math.round(value).toLocaleString('en-US');
}

function withRange(s: Spread, unit: string, runs: number): string {
  if (Number.isNaN(s.median)) return 'did not complete';
  if (runs < 2) return number(s.median, unit);
  return `${number(s.median, unit)} (${number(s.min, unit)} – ${number(s.max, unit)})`;
}

function comparisonText(c: CombinedRow): string {
  if (!c.comparison) return '';
  const fmt = (v: number) => (c.row.compare === 'ratio' ? `${v.toFixed(2)}x` : `${v >= 0 ? '+' : ''}${v.toFixed(2)} ${c.row.unit}`);
  const median = c.row.compare === 'ratio' ? `**${fmt(c.comparison.median)}**` : `**${fmt(c.comparison.median)}**`;
  return c.runs < 2 ? median : `${median} (${fmt(c.comparison.min)} – ${fmt(c.comparison.max)})`;
}

export function renderTable(combined: { rows: CombinedRow[]; pending: PendingRow[] }): string {
  const lines = ['| id | measure | unit | gateway | raw Socket.IO | gateway vs raw | target | met |', '|---|---|---|---:|---:|---:|---|:---:|'];
  for (const c of combined.rows) {
    const met = c.met === undefined ? '' : c.met ? 'yes' : '**no**';
    const label = c.row.note ? `${c.row.label} — ${c.row.note}` : c.row.label;
    lines.push(
      `| ${c.row.id} | ${label} | ${c.row.unit} | ${withRange(c.gateway, c.row.unit, c.runs)} | ${c.raw ? withRange(c.raw, c.row.unit, c.runs) : '—'} | ${comparisonText(c)} | ${c.row.target?.text ?? ''} | ${met} |`,
    );
  }
  for (const p of combined.pending) lines.push(`| ${p.id} | ${p.label} | | ${p.pending} | | | | |`);
  return lines.join('\n');
}

const BEGIN = '<!-- bench:begin (written by npm run bench; edit outside these markers) -->';
const END = '<!-- bench:end -->';

/** The generated block of the report (between the markers), and a writer that replaces it. */
function generatedBlock(path: string): { block: string; replace(block: string): void } {
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(BEGIN);
  const stop = text.indexOf(END);
  if (start < 0 || stop < 0) throw new Error(`${path} lacks the generated-block markers`);
  return {
    block: text.slice(start + BEGIN.length, stop).replace(/^\n|\n$/g, ''),
    replace: (block) => writeFileSync(path, `${text.slice(0, start)}${BEGIN}\n${block}\n${END}${text.slice(stop + END.length)}`),
  };
}

/** Replace the generated block of the report, keeping the written analysis around it. */
export function writeReport(path: string, block: string): void {
  if (!existsSync(path)) {
    writeFileSync(path, `# Benchmarks\n\n${BEGIN}\n${block}\n${END}\n`);
    return;
  }
  generatedBlock(path).replace(block);
}

/** Whether a table row's id belongs to scenario `scenarioId` (B1 owns B1.1 and B1.2+bu, not B1b.p50). */
function ofScenario(rowId: string, scenarioId: string): boolean {
  return rowId === scenarioId || rowId.startsWith(`${scenarioId}.`);
}

/**
 * Re-take some scenarios only (`--only B6 --write`): their rows in the generated block are replaced
 * by `table`'s (where the first of them stood, else at the end), every other row and the header of
 * the full run are kept, and `note` (when and how these rows were taken) replaces any earlier note
 * about the same scenarios.
 */
export function writeReportRows(path: string, scenarioIds: readonly string[], note: string, table: string): void {
  const report = generatedBlock(path);
  const rowId = (line: string) => /^\| ([^ |]+) \|/.exec(line)?.[1];
  const mine = (line: string) => {
    const id = rowId(line);
    return id !== undefined && scenarioIds.some((scenario) => ofScenario(id, scenario));
  };
  const noteLead = `Rows ${scenarioIds.join(', ')} re-taken`;
  const fresh = table.split('\n').slice(2);
  const lines = report.block.split('\n').filter((line) => !line.startsWith(`${noteLead}:`));
  const out: string[] = [];
  let placed = false;
  for (const line of lines) {
    if (!mine(line)) out.push(line);
    else if (!placed) {
      out.push(...fresh);
      placed = true;
    }
  }
  if (!placed) {
    let lastRow = out.length - 1;
    while (lastRow >= 0 && !out[lastRow]!.startsWith('|')) lastRow -= 1;
    out.splice(lastRow + 1, 0, ...fresh);
  }
  // The note goes with the header: after its last line, before the blank line and the table.
  const tableStart = out.findIndex((line) => line.startsWith('|'));
  const headerEnd = tableStart > 0 && out[tableStart - 1] === '' ? tableStart - 1 : Math.max(tableStart, 0);
  out.splice(headerEnd, 0, `${noteLead}: ${note}`);
  report.replace(out.join('\n'));
}
