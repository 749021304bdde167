import type { SuiteReport } from '../report.js';

function xml(text: string): string {
  const escaped = text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
  // XML 1.0 cannot carry these control characters at all, so they are dropped on purpose.
  // eslint-disable-next-line no-control-regex
  return escaped.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

/** JUnit XML: one testcase per check, classname = primary requirement. */
export function renderJunit(report: SuiteReport): string {
  const s = report.summary;
  const failures = s.failed + s['not-testable'] + s.flaky;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="agent-gateway-conformance" tests="${s.total}" failures="${failures}" errors="${s.error}" skipped="${s.skipped}">`,
    `  <testsuite name="${xml(`${report.gateway.name} ${report.gateway.version}`)}" tests="${s.total}" failures="${failures}" errors="${s.error}" skipped="${s.skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
  ];
  for (const r of report.results) {
    out.push(
      `    <testcase classname="${xml(r.requirements[0] ?? 'unknown')}" name="${xml(`${r.id}: ${r.title}`)}" time="${(r.durationMs / 1000).toFixed(3)}">`,
    );
    const body = [
      r.message ?? '',
      r.stability ? `attempts: passed ${r.stability.passed}/${r.stability.attempts}` : '',
      r.blame.length > 0 ? `falsifies: ${r.blame.join(', ')}` : '',
      r.expected ? `expected: ${r.expected.join(' | ')}` : '',
      r.actual !== undefined ? `actual: ${JSON.stringify(r.actual)}` : '',
      ...r.wireLog,
    ]
      .filter(Boolean)
      .join('\n');
    if (r.verdict === 'skipped') out.push(`      <skipped message="${xml(r.message ?? '')}"/>`);
    else if (r.verdict === 'error') out.push(`      <error message="${xml(r.message?.split('\n')[0] ?? '')}">${xml(body)}</error>`);
    else if (r.verdict !== 'passed' && r.expectedFailure === undefined)
      out.push(`      <failure type="${r.verdict}" message="${xml(r.message ?? '')}">${xml(body)}</failure>`);
    else if (r.stale) out.push(`      <failure type="stale-expected-failure" message="listed as an expected failure but passed"/>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
