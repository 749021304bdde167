import { createGateway, parseTokenFile, principalRulesAuth, type Gateway } from '@agent-gateway/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSuite, type SuiteReport } from '../src/runner.js';
import { CONTROL_TOKEN, FORBIDDEN_PREFIX, failingIds, referenceBaseline } from './helpers/gateway.js';

const SUITE_TOKEN = 'principal-of-the-suite-0001';
const LIMITS_TOKEN = 'principal-to-exhaust-0002';

/**
 * The suite against the reference gateway configured as an operator would run it for several users
 * (and as REPORT.md's run does): a token file with two principals, reserved session ids, and bounds
 * low enough that every R6.4 check runs — the per-principal bounds, idle unloading and the origin
 * allowlist included.
 */
describe('the suite against the reference gateway with principals and low bounds', () => {
  let gateway: Gateway;
  let report: SuiteReport;

  beforeAll(async () => {
    const rules = parseTokenFile(
      JSON.stringify({
        principals: [
          { id: 'suite', token: SUITE_TOKEN },
          { id: 'exhaustible', token: LIMITS_TOKEN },
        ],
      }),
    );
    gateway = await createGateway({
      controlToken: CONTROL_TOKEN,
      auth: principalRulesAuth(rules, { reservedPrefixes: [FORBIDDEN_PREFIX] }),
      logger: false,
      sessions: { maxSessionsPerPrincipal: 500, idleMs: 3_000 },
      maxConnectionsPerPrincipal: 100,
      diagnosticsIntervalMs: 200,
      pressure: { delayThresholdMs: 60_000 },
    });
    report = await runSuite(
      {
        url: gateway.url,
        token: SUITE_TOKEN,
        controlToken: CONTROL_TOKEN,
        forbiddenPrefix: FORBIDDEN_PREFIX,
        limitsToken: LIMITS_TOKEN,
        foreignOrigin: 'http://foreign.example',
        timeoutMs: 8_000,
      },
      { expectedFailures: referenceBaseline },
    );
  }, 180_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('passes every check it runs; skips only the multi-node and restart checks', () => {
    const problems = report.results.filter((r) => r.verdict !== 'passed' && r.verdict !== 'skipped');
    expect(problems.map((r) => ({ id: r.id, verdict: r.verdict, message: r.message }))).toEqual([]);
    expect(failingIds(report)).toEqual([...referenceBaseline.keys()].sort());
    expect(
      report.results
        .filter((r) => r.verdict === 'skipped')
        .map((r) => r.id)
        .sort(),
    ).toEqual(['scale.peer-live-fanout', 'scale.peer-resume', 'scale.restart-keeps-epoch']);
  });

  it('verifies R6.4 and R6.1 whole', () => {
    for (const id of ['R6.1', 'R6.4']) expect(report.requirements.find((r) => r.id === id)?.verdict, id).toBe('passed');
    const limits = report.results.filter((r) => r.id.startsWith('limits.'));
    expect(limits.length).toBe(5);
    expect(limits.every((r) => r.verdict === 'passed')).toBe(true);
  });
});
