import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { PROTOCOL_VERSION } from '@agent-gateway/schema';
import type { Check } from './check.js';
import { allChecks } from './checks/index.js';
import { CheckContext, type Discovery, type SuiteConfig } from './context.js';
import { Connection } from './harness/connection.js';
import { CheckFailure, NotTestable, SkipCheck } from './harness/errors.js';
import { WireLog, type SchemaViolation } from './harness/wire-log.js';
import { findRequirement, Requirements, type RequirementLevel } from './requirements.js';

export type Verdict = 'passed' | 'failed' | 'not-testable' | 'skipped' | 'error' | 'flaky';

/** The outcome of one execution of a check. */
export interface CheckAttempt {
  verdict: Verdict;
  message?: string;
  expected?: string[];
  actual?: unknown;
  notes: string[];
  /** Messages from the gateway that failed schema validation (reported apart from harness errors). */
  violations: SchemaViolation[];
  wireLog: string[];
  durationMs: number;
}

/** The verdict of a check over all its attempts (more than one with --repeat). */
export interface CheckResult extends CheckAttempt {
  id: string;
  title: string;
  requirements: string[];
  level: RequirementLevel;
  attempts: Verdict[];
  /** Listed in the expected-failures file (with its reason). */
  expectedFailure?: string;
  /** Listed as an expected failure but passed: the baseline is stale. */
  stale?: boolean;
}

export interface RequirementSummary {
  id: string;
  level: RequirementLevel;
  text: string;
  checks: string[];
  verdict: Verdict | 'none';
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
  config: { timeoutMs: number; repeat: number; grep?: string; peer: boolean; token: boolean; controlToken: boolean; forbiddenPrefix: boolean };
  results: CheckResult[];
  requirements: RequirementSummary[];
  summary: Record<Verdict, number> & {
    total: number;
    executed: number;
    requiredFailures: number;
    expectedFailures: number;
    stale: number;
    schemaViolations: number;
  };
  exitCode: 0 | 1 | 2;
  durationMs: number;
}

/** A problem of the suite's configuration or its connection to the gateway, not of a check. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function suiteVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function checkLevel(check: Check): RequirementLevel {
  return check.requirements.some((id) => findRequirement(id)?.level === 'MUST') ? 'MUST' : 'SHOULD';
}

/** Select checks by id, requirement id or title text (case-insensitive). */
export function selectChecks(checks: readonly Check[], grep?: string): Check[] {
  if (!grep) return [...checks];
  const needle = grep.toLowerCase();
  return checks.filter(
    (c) => c.id.toLowerCase().includes(needle) || c.requirements.some((r) => r.toLowerCase() === needle) || c.title.toLowerCase().includes(needle),
  );
}

/** Connect once with every credential given and learn identity, limits and control commands. */
export async function discover(config: SuiteConfig): Promise<Discovery> {
  const log = new WireLog();
  const auth: Record<string, unknown> = {};
  if (config.token) auth.token = config.token;
  if (config.controlToken) auth.controlToken = config.controlToken;
  const conn = new Connection('discovery', { url: config.url, auth, log, signal: AbortSignal.timeout(config.timeoutMs) });
  try {
    const hello = await conn.open();
    const badHello = log.violations.find((v) => v.event === 'hello');
    if (badHello) throw new ConfigError(`the gateway's hello violates the schema: ${JSON.stringify(badHello.issues)}`);
    const controlCommands = hello.control.enabled ? [...hello.control.commands] : [];
    let capabilities: string[] | undefined;
    if (controlCommands.includes('capabilities')) {
      const result = await conn.request('control', { type: 'capabilities' });
      if (result.ok && result.data.commands) capabilities = [...result.data.commands];
    }
    return { hello, controlCommands, capabilities };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`cannot reach a gateway at ${config.url}: ${(error as Error).message}`);
  } finally {
    conn.close();
  }
}

function unmet(check: Check, config: SuiteConfig, discovery: Discovery): { verdict: 'not-testable' | 'skipped'; message: string } | undefined {
  for (const need of check.requires ?? []) {
    if (need === 'feature:peer' && !config.peerUrl)
      return { verdict: 'skipped', message: 'no second node was given (--peer-url); multi-node behaviour is not claimed' };
    if (need === 'feature:forbidden-prefix' && !config.forbiddenPrefix)
      return { verdict: 'skipped', message: 'no forbidden session prefix was given (--forbidden-prefix); per-principal authorisation is not exercised' };
    if (need === 'feature:token' && !config.token)
      return { verdict: 'skipped', message: 'no token was given (--token); the gateway is assumed to run without authentication' };
  }
  for (const need of check.requires ?? []) {
    if (need.startsWith('control:')) {
      const command = need.slice('control:'.length);
      if (!config.controlToken)
        return { verdict: 'not-testable', message: `needs control command ${command} but no control token was given (--control-token)` };
      if (!discovery.controlCommands.includes(command))
        return { verdict: 'not-testable', message: `needs control command ${command}, which the gateway does not advertise` };
    }
  }
  return undefined;
}

async function runOnce(check: Check, config: SuiteConfig, discovery: Discovery): Promise<CheckAttempt> {
  const log = new WireLog();
  const budget = config.timeoutMs * (check.timeoutFactor ?? 1);
  const controller = new AbortController();
  // Every pending wait of every connection listens on the check's one signal.
  setMaxListeners(0, controller.signal);
  const timer = setTimeout(() => controller.abort(), budget);
  const ctx = new CheckContext(config, discovery, log, controller.signal, check.id, budget);
  const started = performance.now();
  let attempt: Omit<CheckAttempt, 'notes' | 'violations' | 'wireLog' | 'durationMs'>;
  let hardStop: NodeJS.Timeout | undefined;
  try {
    // Waits end at the budget through the abort signal; the race is a backstop for a check stuck elsewhere.
    await Promise.race([
      check.run(ctx),
      new Promise<never>((_, reject) => {
        hardStop = setTimeout(
          () => reject(new CheckFailure(`the check did not finish within ${budget} ms`, ['completion within the timeout'])),
          budget + 2_000,
        );
      }),
    ]);
    attempt = { verdict: 'passed' };
  } catch (error) {
    if (error instanceof CheckFailure) attempt = { verdict: 'failed', message: error.message, expected: [...error.expected], actual: error.actual };
    else if (error instanceof NotTestable) attempt = { verdict: 'not-testable', message: error.message };
    else if (error instanceof SkipCheck) attempt = { verdict: 'skipped', message: error.message };
    else attempt = { verdict: 'error', message: `harness error: ${(error as Error)?.stack ?? String(error)}` };
  } finally {
    clearTimeout(timer);
    clearTimeout(hardStop);
    await ctx.dispose();
  }
  const gatewayViolations = log.violations.filter((v) => v.direction !== 'out');
  if (gatewayViolations.length > 0 && (attempt.verdict === 'passed' || attempt.verdict === 'error')) {
    const v = gatewayViolations[0]!;
    attempt = {
      verdict: 'failed',
      message: `the gateway sent ${gatewayViolations.length} message(s) violating the schema (first: ${v.event} against ${v.schema})${attempt.message ? `; then ${attempt.message}` : ''}`,
      expected: [`every ${v.event} payload validates against ${v.schema}`],
      actual: v.issues,
    };
  }
  const durationMs = Math.round(performance.now() - started);
  return {
    ...attempt,
    notes: ctx.notes,
    violations: log.violations,
    wireLog: attempt.verdict === 'passed' || attempt.verdict === 'skipped' ? [] : log.render(),
    durationMs,
  };
}

export interface RunOptions {
  checks?: readonly Check[];
  grep?: string;
  repeat?: number;
  expectedFailures?: Map<string, string>;
  onResult?: (result: CheckResult, index: number, total: number) => void;
  onStart?: (check: Check, index: number, total: number) => void;
}

/** Run the selected checks one after another against one gateway and build the report. */
export async function runSuite(config: SuiteConfig, options: RunOptions = {}): Promise<SuiteReport> {
  const started = performance.now();
  const discovery = await discover(config);
  const selected = selectChecks(options.checks ?? allChecks, options.grep);
  const repeat = Math.max(1, options.repeat ?? 1);
  const results: CheckResult[] = [];
  for (const [index, check] of selected.entries()) {
    options.onStart?.(check, index, selected.length);
    const base = { id: check.id, title: check.title, requirements: check.requirements, level: checkLevel(check) };
    const missing = unmet(check, config, discovery);
    let result: CheckResult;
    if (missing) {
      result = {
        ...base,
        verdict: missing.verdict,
        message: missing.message,
        notes: [],
        violations: [],
        wireLog: [],
        durationMs: 0,
        attempts: [missing.verdict],
      };
    } else {
      const attempts: CheckAttempt[] = [];
      for (let i = 0; i < repeat; i++) attempts.push(await runOnce(check, config, discovery));
      const verdicts = attempts.map((a) => a.verdict);
      const distinct = new Set(verdicts);
      const shown = attempts.find((a) => a.verdict !== 'passed') ?? attempts[0]!;
      const verdict: Verdict = distinct.size > 1 ? 'flaky' : shown.verdict;
      result = {
        ...base,
        verdict,
        message:
          verdict === 'flaky' ? `verdicts differ across ${repeat} runs: ${verdicts.join(', ')}${shown.message ? `; ${shown.message}` : ''}` : shown.message,
        expected: shown.expected,
        actual: shown.actual,
        notes: [...new Set(attempts.flatMap((a) => a.notes))],
        violations: shown.violations,
        wireLog: shown.wireLog,
        durationMs: attempts.reduce((s, a) => s + a.durationMs, 0),
        attempts: verdicts,
      };
    }
    const reason = options.expectedFailures?.get(check.id);
    if (reason !== undefined) {
      result.expectedFailure = reason;
      if (result.verdict === 'passed') result.stale = true;
    }
    results.push(result);
    options.onResult?.(result, index, selected.length);
  }
  return buildReport(config, discovery, results, { repeat, grep: options.grep, durationMs: Math.round(performance.now() - started) });
}

const FAILING: Verdict[] = ['failed', 'not-testable', 'flaky'];

export function buildReport(
  config: SuiteConfig,
  discovery: Discovery,
  results: CheckResult[],
  run: { repeat: number; grep?: string; durationMs: number },
): SuiteReport {
  const counts = { passed: 0, failed: 0, 'not-testable': 0, skipped: 0, error: 0, flaky: 0 } as Record<Verdict, number>;
  for (const r of results) counts[r.verdict] += 1;
  const executed = results.filter((r) => r.verdict !== 'skipped').length;
  const requiredFailures = results.filter((r) => r.level === 'MUST' && FAILING.includes(r.verdict) && r.expectedFailure === undefined).length;
  const stale = results.filter((r) => r.stale).length;
  const expectedFailures = results.filter((r) => r.expectedFailure !== undefined && !r.stale).length;
  let exitCode: 0 | 1 | 2 = 0;
  if (executed === 0 || counts.error > 0) exitCode = 2;
  else if (requiredFailures > 0 || stale > 0) exitCode = 1;
  const requirements: RequirementSummary[] = Requirements.map((req) => {
    const mine = results.filter((r) => r.requirements.includes(req.id));
    let verdict: RequirementSummary['verdict'] = 'none';
    if (mine.length > 0) {
      const order: Verdict[] = ['error', 'failed', 'not-testable', 'flaky', 'passed', 'skipped'];
      verdict = order.find((v) => mine.some((r) => r.verdict === v)) ?? 'none';
    }
    return { id: req.id, level: req.level, text: req.text, checks: mine.map((r) => r.id), verdict };
  });
  const hello = discovery.hello;
  return {
    suite: { name: '@agent-gateway/conformance', version: suiteVersion(), protocolVersion: PROTOCOL_VERSION },
    gateway: {
      name: hello.gateway.name,
      version: hello.gateway.version,
      protocolVersion: hello.protocolVersion,
      supported: hello.supported,
      limits: { ...hello.limits },
      controlEnabled: hello.control.enabled,
      controlCommands: [...discovery.controlCommands].sort(),
      ...(discovery.capabilities ? { capabilities: [...discovery.capabilities].sort() } : {}),
    },
    config: {
      timeoutMs: config.timeoutMs,
      repeat: run.repeat,
      ...(run.grep ? { grep: run.grep } : {}),
      peer: Boolean(config.peerUrl),
      token: Boolean(config.token),
      controlToken: Boolean(config.controlToken),
      forbiddenPrefix: Boolean(config.forbiddenPrefix),
    },
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
    },
    exitCode,
    durationMs: run.durationMs,
  };
}
