import type { Gateway } from '@agent-gateway/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allChecks } from '../src/checks/index.js';
import { renderMarkdown } from '../src/reporters/markdown.js';
import type { SuiteReport } from '../src/runner.js';
import { failingIds, referenceBaseline, runAgainst, startReference } from './helpers/gateway.js';

/** Checks of features the in-process reference does not claim (no peer, restart, origin allowlist, or a principal the suite may exhaust). */
const UNCLAIMED = [
  'limits.connections-per-principal',
  'limits.foreign-origin-refused',
  'limits.idle-session-unloaded',
  'limits.sessions-per-principal',
  'scale.peer-live-fanout',
  'scale.peer-resume',
  'scale.restart-keeps-epoch',
];

describe('the suite against the reference gateway in-process', () => {
  let gateway: Gateway;
  let report: SuiteReport;

  beforeAll(async () => {
    gateway = await startReference();
    report = await runAgainst(gateway);
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('passes every check except the documented reference failures and what it does not claim', () => {
    const problems = report.results.filter((r) => r.verdict !== 'passed' && !UNCLAIMED.includes(r.id) && r.expectedFailure === undefined);
    expect(problems.map((r) => ({ id: r.id, verdict: r.verdict, message: r.message }))).toEqual([]);
    expect(failingIds(report)).toEqual([...referenceBaseline.keys()].sort());
    expect(report.exitCode).toBe(0);
  });

  it('runs every check and skips only what the gateway does not claim', () => {
    expect(report.results.map((r) => r.id)).toEqual(allChecks.map((c) => c.id));
    expect(
      report.results
        .filter((r) => r.verdict === 'skipped')
        .map((r) => r.id)
        .sort(),
    ).toEqual([...UNCLAIMED].sort());
    expect(report.summary.error).toBe(0);
  });

  it('reports the requirements it could not verify, with why, and never as passed', () => {
    const notVerified = report.requirements.filter((r) => r.verdict === 'not-verified').map((r) => r.id);
    expect(notVerified).toEqual(['R6.4', 'R7.2', 'R7.3']);
    const r64 = report.requirements.find((r) => r.id === 'R6.4')!;
    expect(r64.why?.join('\n')).toMatch(/R6\.4#principal-bounds: limits\.sessions-per-principal skipped \(no token of a principal the suite may exhaust/);
    expect(report.results.find((r) => r.id === 'limits.slow-consumer-disconnected')!.verdict).toBe('passed');
    expect(report.requirements.find((r) => r.id === 'R6.1')!.verdict).toBe('passed');
    expect(report.requirements.find((r) => r.id === 'R1.1')!.verdict).toBe('passed');
    expect(report.controlLevel).toEqual({ gateway: 2, claimed: 2 });
  });

  it('every check that passed touched on the wire each row it declares to walk', () => {
    const missing: string[] = [];
    for (const result of report.results.filter((r) => r.verdict === 'passed')) {
      const check = allChecks.find((c) => c.id === result.id)!;
      for (const w of check.walks ?? []) if (!w.absent && !result.observedRows.includes(w.row)) missing.push(`${check.id}: ${w.row}`);
    }
    expect(missing).toEqual([]);
  });

  it('reports the gateway identity and control capabilities from hello', () => {
    expect(report.gateway.name).toBe('agent-gateway-reference');
    expect(report.gateway.controlCommands).toContain('session.trim');
    expect(report.gateway.capabilities).toEqual(report.gateway.controlCommands);
    expect(report.suite.protocolVersion).toBe(report.gateway.protocolVersion);
  });

  it('renders a deterministic markdown report (no timings, dates or ports)', () => {
    const md = renderMarkdown(report);
    expect(md).not.toMatch(/\d+ ?ms\b|127\.0\.0\.1|localhost|\b20\d\d-\d\d-\d\d/);
    expect(md).toContain('| R2.4 | MUST |');
  });
});
