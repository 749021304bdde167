import { readFileSync } from 'node:fs';
import { PROTOCOL_VERSION } from '@agent-gateway/schema';
import type { Check } from './check.js';
import type { Discovery, SuiteConfig } from './context.js';
import type { SchemaViolation } from './harness/wire-log.js';
import { gatewayLevel, nextUnlock, type ControlLevel, type Unlock } from './levels.js';
import { Requirements, type RequirementLevel } from './requirements.js';

export type Verdict = 'passed' | 'failed' | 'not-testable' | 'skipped' | 'error' | 'flaky';

/** The outcome of one execution of a check. */
export interface CheckAttempt {
  verdict: Verdict;
  message?: string;
  expected?: string[];
  actual?: unknown;
  /** Requirements a failure is attributed to (the check's own, or R1.1 for schema violations). */
  blame?: string[];
  notes: string[];
  /** Messages from the gateway that failed schema validation (reported apart from harness errors). */
  violations: SchemaViolation[];
  wireLog: string[];
  /** Matrix rows seen on the wire: requests and control commands sent, events received. */
  observedRows: string[];
  durationMs: number;
}

/** The verdict of a check over all its attempts (more than one with --repeat). */
export interface CheckResult extends CheckAttempt {
  id: string;
  title: string;
  requirements: string[];
  level: RequirementLevel;
  /** The control level the check needs (0: no control command). */
  controlLevel: ControlLevel;
  blame: string[];
  attempts: Verdict[];
  /** Present when the attempts disagreed: how many passed out of how many. */
  stability?: { passed: number; attempts: number };
  /** Listed in the expected-failures file (with its reason). */
  expectedFailure?: string;
  /** Listed as an expected failure but passed: the baseline is stale. */
  stale?: boolean;
}

export type RequirementVerdict = Verdict | 'not-verified' | 'none';

export interface RequirementSummary {
  id: string;
  level: RequirementLevel;
  text: string;
  checks: string[];
  verdict: RequirementVerdict;
  /** Why a requirement is not verified (or which checks failed it). */
  why?: string[];
}

export interface SuiteReport {
  suite: { name: string; version: string; protocolVersion: string };
  gateway: {
    name: string;
    version: string;
    protocolVersion: string;
    supported: { min: string; max: string };
    limits: Record<string, number>;
    controlEnabled: boolean;
    controlCommands: string[];
    capabilities?: string[];
  };
  config: {
    timeoutMs: number;
    repeat: number;
    grep?: string;
    level?: ControlLevel;
    peer: boolean;
    token: boolean;
    controlToken: boolean;
    forbiddenPrefix: boolean;
  };
  /** The control level the gateway provides, the level the run claimed, and what to implement next. */
  controlLevel: { gateway: ControlLevel; claimed: ControlLevel; next?: Unlock };
  results: CheckResult[];
  requirements: RequirementSummary[];
  summary: Record<Verdict, number> & {
    total: number;
    executed: number;
    requiredFailures: number;
    expectedFailures: number;
    stale: number;
    schemaViolations: number;
    notVerified: number;
  };
  exitCode: 0 | 1 | 2;
  durationMs: number;
}

export const FAILING: readonly Verdict[] = ['failed', 'not-testable', 'flaky', 'error'];

export function suiteVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * One verdict from several attempts. Unanimous attempts give their verdict. Otherwise a check that
 * fails in most attempts is failed (it is broken, not unstable) and one that passes in most is
 * flaky; both say how many attempts passed.
 */
export function combineAttempts(attempts: readonly CheckAttempt[]): Omit<CheckResult, 'id' | 'title' | 'requirements' | 'level' | 'controlLevel'> {
  const verdicts = attempts.map((a) => a.verdict);
  const passed = verdicts.filter((v) => v === 'passed').length;
  const shown = attempts.find((a) => a.verdict !== 'passed') ?? attempts[0]!;
  const observedRows = [...new Set(attempts.flatMap((a) => a.observedRows))].sort();
  const common = {
    expected: shown.expected,
    actual: shown.actual,
    notes: [...new Set(attempts.flatMap((a) => a.notes))],
    violations: shown.violations,
    wireLog: shown.wireLog,
    observedRows,
    durationMs: attempts.reduce((s, a) => s + a.durationMs, 0),
    attempts: verdicts,
    blame: shown.blame ?? [],
  };
  if (new Set(verdicts).size === 1) return { ...common, verdict: shown.verdict, message: shown.message };
  const n = attempts.length;
  const stability = { passed, attempts: n };
  const failing = n - passed;
  if (failing * 2 > n) {
    const worst = (['error', 'failed', 'not-testable', 'skipped'] as const).find((v) => verdicts.includes(v)) ?? 'failed';
    return { ...common, verdict: worst, stability, message: `failed in ${failing}/${n} attempts (passed ${passed}/${n}): ${shown.message ?? ''}` };
  }
  return {
    ...common,
    verdict: 'flaky',
    stability,
    message: `passed ${passed}/${n} attempts: ${verdicts.join(', ')}${shown.message ? `; ${shown.message}` : ''}`,
  };
}

/**
 * A requirement's verdict. It fails when a check blaming it failed. It passes only when every one
 * of its clauses (or the requirement as a whole) has a passing check; otherwise it is not verified,
 * with the reasons its checks gave (skipped for a missing feature, failed for another requirement,
 * not selected).
 */
export function summariseRequirement(req: (typeof Requirements)[number], results: readonly CheckResult[], checks: readonly Check[]): RequirementSummary {
  const citing = results.filter((r) => r.requirements.includes(req.id));
  const blaming = results.filter((r) => FAILING.includes(r.verdict) && r.blame.includes(req.id));
  const base = { id: req.id, level: req.level, text: req.text, checks: citing.map((r) => r.id) };
  if (citing.length === 0 && blaming.length === 0) return { ...base, verdict: 'none', why: ['no check of this requirement was selected'] };
  if (blaming.length > 0) {
    const order: Verdict[] = ['error', 'failed', 'not-testable', 'flaky'];
    const verdict = order.find((v) => blaming.some((r) => r.verdict === v))!;
    return { ...base, verdict, why: blaming.map((r) => `${r.id}: ${r.message ?? r.verdict}`) };
  }
  const clauses = 'clauses' in req && req.clauses ? req.clauses.map((c) => c.id) : [req.id];
  const coverOf = (result: CheckResult): string[] => {
    const check = checks.find((c) => c.id === result.id);
    return 'clauses' in req && req.clauses ? (check?.covers ?? []) : [req.id];
  };
  const why: string[] = [];
  for (const clause of clauses) {
    const mine = citing.filter((r) => coverOf(r).includes(clause));
    if (mine.some((r) => r.verdict === 'passed')) continue;
    const label = clause === req.id ? 'the requirement' : clause;
    if (mine.length === 0) why.push(`${label}: no check of it was selected`);
    else why.push(`${label}: ${mine.map((r) => `${r.id} ${r.verdict}${r.message ? ` (${r.message})` : ''}`).join('; ')}`);
  }
  return why.length === 0 ? { ...base, verdict: 'passed' } : { ...base, verdict: 'not-verified', why };
}

export function buildReport(
  config: SuiteConfig,
  discovery: Discovery,
  results: CheckResult[],
  run: { repeat: number; grep?: string; durationMs: number; level?: ControlLevel; checks: readonly Check[] },
): SuiteReport {
  const counts = { passed: 0, failed: 0, 'not-testable': 0, skipped: 0, error: 0, flaky: 0 } as Record<Verdict, number>;
  for (const r of results) counts[r.verdict] += 1;
  const executed = results.filter((r) => r.verdict !== 'skipped').length;
  const requiredFailures = results.filter(
    (r) => r.level === 'MUST' && (['failed', 'not-testable', 'flaky'] as Verdict[]).includes(r.verdict) && r.expectedFailure === undefined,
  ).length;
  const stale = results.filter((r) => r.stale).length;
  const expectedFailures = results.filter((r) => r.expectedFailure !== undefined && !r.stale).length;
  let exitCode: 0 | 1 | 2 = 0;
  if (executed === 0 || counts.error > 0) exitCode = 2;
  else if (requiredFailures > 0 || stale > 0) exitCode = 1;
  const requirements = Requirements.map((req) => summariseRequirement(req, results, run.checks));
  const hello = discovery.hello;
  const provided = discovery.controlCommands;
  const next = nextUnlock(run.checks, provided);
  return {
    suite: { name: '@agent-gateway/conformance', version: suiteVersion(), protocolVersion: PROTOCOL_VERSION },
    gateway: {
      name: hello.gateway.name,
      version: hello.gateway.version,
      protocolVersion: hello.protocolVersion,
      supported: hello.supported,
      limits: { ...hello.limits },
      controlEnabled: hello.control.enabled,
      controlCommands: [...provided].sort(),
      ...(discovery.capabilities ? { capabilities: [...discovery.capabilities].sort() } : {}),
    },
    config: {
      timeoutMs: config.timeoutMs,
      repeat: run.repeat,
      ...(run.grep ? { grep: run.grep } : {}),
      ...(run.level !== undefined ? { level: run.level } : {}),
      peer: Boolean(config.peerUrl),
      token: Boolean(config.token),
      controlToken: Boolean(config.controlToken),
      forbiddenPrefix: Boolean(config.forbiddenPrefix),
    },
    controlLevel: { gateway: gatewayLevel(provided), claimed: run.level ?? 2, ...(next ? { next } : {}) },
    results,
    requirements,
    summary: {
      ...counts,
      total: results.length,
      executed,
      requiredFailures,
      expectedFailures,
      stale,
      schemaViolations: results.filter((r) => r.violations.some((v) => v.direction !== 'out')).length,
      notVerified: requirements.filter((r) => r.verdict === 'not-verified').length,
    },
    exitCode,
    durationMs: run.durationMs,
  };
}
