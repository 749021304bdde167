import type { Check } from '../check.js';
import type { CheckResult, SuiteReport, Verdict } from '../report.js';
import { levelLines } from './levels.js';

const MARK: Record<Verdict, string> = { passed: 'PASS', failed: 'FAIL', 'not-testable': 'NOT TESTABLE', skipped: 'SKIP', error: 'ERROR', flaky: 'FLAKY' };

export function progressLine(result: CheckResult, index: number, total: number): string {
  const mark = result.stale
    ? 'STALE'
    : result.expectedFailure !== undefined && result.verdict !== 'passed'
      ? `${MARK[result.verdict]} (expected)`
      : MARK[result.verdict];
  const level = result.level === 'SHOULD' ? ' [SHOULD]' : '';
  const extra = result.verdict === 'skipped' || result.verdict === 'not-testable' ? ` — ${result.message}` : '';
  const stability = result.stability ? ` [passed ${result.stability.passed}/${result.stability.attempts}]` : '';
  return `[${String(index + 1).padStart(String(total).length)}/${total}] ${mark.padEnd(12)} ${result.id} (${result.requirements.join(', ')})${level}${stability} ${result.durationMs}ms${extra}`;
}

export function startLine(check: Check, index: number, total: number): string {
  return `[${index + 1}/${total}] running ${check.id}`;
}

function indent(lines: string[], by = '    '): string {
  return lines.map((l) => by + l).join('\n');
}

/** Details of everything that did not pass: expected vs actual, schema violations, the wire log. */
export function failureDetails(result: CheckResult): string {
  const out: string[] = [`--- ${result.id} (${result.requirements.join(', ')}): ${result.title}`, `  ${MARK[result.verdict]}: ${result.message ?? ''}`];
  if (result.blame.length > 0 && result.blame.join() !== result.requirements.join()) out.push(`  falsifies: ${result.blame.join(', ')}`);
  if (result.stability) out.push(`  attempts: passed ${result.stability.passed}/${result.stability.attempts} (${result.attempts.join(', ')})`);
  if (result.stale) out.push('  listed as an expected failure but it passed: the baseline is stale');
  if (result.expected && result.expected.length > 0) out.push('  expected (any of):', indent(result.expected.map((e) => `- ${e}`)));
  if (result.actual !== undefined) out.push('  actual:', indent(JSON.stringify(result.actual, null, 2).split('\n')));
  const gateway = result.violations.filter((v) => v.direction !== 'out');
  if (gateway.length > 0) {
    out.push(`  gateway schema violations (${gateway.length}):`);
    for (const v of gateway.slice(0, 5))
      out.push(indent([`${v.connection} ${v.direction} ${v.event} vs ${v.schema}: ${v.issues.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`]));
  }
  if (result.notes.length > 0) out.push('  notes:', indent(result.notes));
  if (result.wireLog.length > 0) out.push('  wire log:', indent(result.wireLog));
  return out.join('\n');
}

export function renderPrettySummary(report: SuiteReport): string {
  const out: string[] = [];
  const problems = report.results.filter((r) => (r.verdict !== 'passed' && r.verdict !== 'skipped') || r.stale);
  if (problems.length > 0) {
    out.push('', 'Failures and problems:');
    for (const r of problems) out.push(failureDetails(r), '');
  }
  const notVerified = report.requirements.filter((r) => r.verdict === 'not-verified');
  if (notVerified.length > 0) {
    out.push('', 'Requirements not verified (no passing check; nothing failed):');
    for (const r of notVerified) out.push(`  ${r.id} [${r.level}]: ${(r.why ?? []).join(' | ')}`);
  }
  const unstable = report.results.filter((r) => r.stability);
  if (unstable.length > 0) out.push('', `Unstable checks: ${unstable.map((r) => `${r.id} passed ${r.stability!.passed}/${r.stability!.attempts}`).join(', ')}`);
  out.push('', ...levelLines(report));
  const s = report.summary;
  out.push(
    `Gateway ${report.gateway.name} ${report.gateway.version}, protocol ${report.gateway.protocolVersion}; suite ${report.suite.version} (protocol ${report.suite.protocolVersion})`,
    `${s.total} checks: ${s.passed} passed, ${s.failed} failed, ${s['not-testable']} not testable, ${s.flaky} flaky, ${s.skipped} skipped, ${s.error} harness errors; ${s.expectedFailures} expected failures, ${s.stale} stale`,
    `requirements: ${report.requirements.filter((r) => r.verdict === 'passed').length} verified, ${s.notVerified} not verified, ${report.requirements.filter((r) => ['failed', 'error', 'not-testable', 'flaky'].includes(r.verdict)).length} failing`,
    `checks that saw gateway schema violations: ${s.schemaViolations}; required failures: ${s.requiredFailures}; ${report.durationMs} ms; exit code ${report.exitCode}`,
  );
  return out.join('\n');
}
