import { readFileSync } from 'node:fs';
import { createGateway, type Gateway, type GatewayOptions } from '@agent-gateway/server';
import { createMutantGateway, type MutantName } from '@agent-gateway/server/testing';
import { allChecks } from '../../src/checks/index.js';
import { parseExpectedFailures } from '../../src/expected-failures.js';
import { runSuite, type SuiteReport } from '../../src/runner.js';

export const TOKEN = 'suite-token';
export const CONTROL_TOKEN = 'suite-control-token';
/** Sessions the suite's principal may not use, so per-principal authorisation is exercised. */
export const FORBIDDEN_PREFIX = 'private-';
export const BASELINE_FILE = new URL('../reference-baseline.yaml', import.meta.url).pathname;

/** Reference-gateway failures documented in the baseline file (check id -> reason). */
export const referenceBaseline = parseExpectedFailures(
  readFileSync(BASELINE_FILE, 'utf8'),
  allChecks.map((c) => c.id),
);

/**
 * A reference gateway in this process. Smaller logs than the defaults keep the flood and retention
 * checks quick; the diagnostics period is short so the periodic-event check does not wait 5 s.
 * With a mutant name, the same gateway with that one deliberate mistake.
 */
export function startReference(mutant?: MutantName): Promise<Gateway> {
  const options: GatewayOptions = {
    controlToken: CONTROL_TOKEN,
    token: TOKEN,
    auth: { authorizeSession: (_principal, sessionId) => !sessionId.startsWith(FORBIDDEN_PREFIX) },
    logger: false,
    retention: { maxEvents: 2_000, maxBytes: 2_000_000 },
    // Smaller than the default bound (these logs are smaller), so the slow-consumer flood is short;
    // still above the largest join answer of such a log.
    delivery: { maxPendingBytes: 8 * 1024 * 1024 },
    diagnosticsIntervalMs: 200,
    // Only simulated pressure (control pressure.set / pulse) opens a back-off window here: on a
    // loaded machine real event-loop delay would open one at random, and the exact failing-check
    // sets of the mutant tests would depend on the machine.
    pressure: { delayThresholdMs: 60_000 },
  };
  return mutant ? createMutantGateway(mutant, options) : createGateway(options);
}

export function runAgainst(gateway: Gateway, expectedFailures = referenceBaseline): Promise<SuiteReport> {
  return runSuite({ url: gateway.url, token: TOKEN, controlToken: CONTROL_TOKEN, forbiddenPrefix: FORBIDDEN_PREFIX, timeoutMs: 8_000 }, { expectedFailures });
}

/** Checks that failed (any not-passing, non-skipped verdict), sorted. */
export function failingIds(report: SuiteReport): string[] {
  return report.results
    .filter((r) => r.verdict !== 'passed' && r.verdict !== 'skipped')
    .map((r) => r.id)
    .sort();
}
