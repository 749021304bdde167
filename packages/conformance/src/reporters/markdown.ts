import { allChecks } from '../checks/index.js';
import { computeMatrix } from '../matrix/matrix.js';
import type { SuiteReport } from '../report.js';
import { levelLines } from './levels.js';
import { renderMatrixMarkdown } from './matrix.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

const ICON: Record<string, string> = {
  passed: 'pass',
  failed: 'FAIL',
  'not-testable': 'NOT TESTABLE',
  skipped: 'skipped',
  error: 'ERROR',
  flaky: 'FLAKY',
  'not-verified': 'not verified',
  none: 'no check',
};

/**
 * A report for a README. Deterministic for a given gateway and verdicts: no timings, dates, URLs
 * or ports, and no free-form notes (they can depend on scheduling).
 */
export function renderMarkdown(report: SuiteReport): string {
  const s = report.summary;
  const out: string[] = [
    '# Conformance report',
    '',
    `Gateway **${report.gateway.name} ${report.gateway.version}** (protocol ${report.gateway.protocolVersion}, serves ${report.gateway.supported.min} – ${report.gateway.supported.max}),`,
    `checked by ${report.suite.name} ${report.suite.version} (protocol ${report.suite.protocolVersion}).`,
    '',
    `**${s.passed} of ${s.total} checks passed**; ${s.failed} failed, ${s['not-testable']} not testable, ${s.flaky} flaky, ${s.skipped} skipped, ${s.error} harness errors.`,
    `Verdict: ${report.exitCode === 2 ? 'the run itself failed' : report.exitCode === 1 ? 'does not conform' : s.expectedFailures > 0 ? `every required check passes except ${s.expectedFailures} known failure(s) listed below` : 'conforms (every required check passes)'}.`,
    '',
    `Control commands advertised: ${report.gateway.controlCommands.length > 0 ? report.gateway.controlCommands.map((c) => `\`${c}\``).join(', ') : 'none'}.`,
    ...levelLines(report),
    '',
    `Requirements: ${report.requirements.filter((r) => r.verdict === 'passed').length} verified, ${s.notVerified} not verified (no check of them passed, none failed; reasons below), ${report.requirements.filter((r) => ['failed', 'error', 'not-testable', 'flaky'].includes(r.verdict)).length} failing.`,
    '',
    '## Requirements',
    '',
    '| ID | Level | Requirement | Checks | Verdict |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of report.requirements) {
    const mine = report.results.filter((x) => x.requirements.includes(r.id));
    const known =
      ['failed', 'error', 'not-testable', 'flaky'].includes(r.verdict) &&
      mine.filter((x) => x.verdict !== 'passed' && x.verdict !== 'skipped').every((x) => x.expectedFailure !== undefined && !x.stale);
    out.push(`| ${r.id} | ${r.level} | ${cell(r.text)} | ${r.checks.length} | ${ICON[r.verdict]}${known ? ' (known)' : ''} |`);
  }
  out.push('', '## Checks', '', '| Check | Requirements | Level | Title | Verdict |', '| --- | --- | --- | --- | --- |');
  for (const r of report.results) {
    const verdict = r.stale
      ? 'STALE expected failure'
      : r.expectedFailure !== undefined && r.verdict !== 'passed'
        ? `${ICON[r.verdict]} (expected)`
        : ICON[r.verdict];
    const why = r.verdict === 'skipped' || r.verdict === 'not-testable' ? `: ${cell(r.message ?? '')}` : '';
    const stability = r.stability ? ` (passed ${r.stability.passed}/${r.stability.attempts})` : '';
    out.push(`| \`${r.id}\` | ${r.requirements.join(', ')} | ${r.controlLevel} | ${cell(r.title)} | ${verdict}${stability}${why} |`);
  }
  const notVerified = report.requirements.filter((r) => r.verdict === 'not-verified');
  if (notVerified.length > 0) {
    out.push('', '## Requirements not verified', '');
    for (const r of notVerified) out.push(`- ${r.id} (${r.level}): ${cell((r.why ?? []).join('; '))}`);
  }
  const failing = report.results.filter((r) => (r.verdict === 'failed' || r.verdict === 'error' || r.verdict === 'flaky') && r.expectedFailure === undefined);
  if (failing.length > 0) {
    out.push('', '## Failures', '');
    for (const r of failing) out.push(`- \`${r.id}\` (${r.requirements.join(', ')}): ${cell(r.message ?? '')}`);
  }
  const known = report.results.filter((r) => r.expectedFailure !== undefined);
  if (known.length > 0) {
    out.push('', '## Known failures (expected-failures baseline)', '');
    for (const r of known)
      out.push(`- \`${r.id}\` (${r.requirements.join(', ')}): ${r.stale ? 'now passes, the baseline is stale' : cell(r.expectedFailure || 'no reason given')}`);
  }
  out.push('', ...renderMatrixMarkdown(computeMatrix(allChecks), report.results));
  return out.join('\n');
}
