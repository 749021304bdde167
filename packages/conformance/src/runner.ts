import { setMaxListeners } from 'node:events';
import { controlNeeds, controlUses, type Check } from './check.js';
import { allChecks } from './checks/index.js';
import { CheckContext, type Discovery, type SuiteConfig } from './context.js';
import { isMatrixRow } from './matrix/axes.js';
import { Connection } from './harness/connection.js';
import { CheckFailure, NotTestable, SkipCheck } from './harness/errors.js';
import { WireLog } from './harness/wire-log.js';
import { checkControlLevel, MAX_LEVEL, type ControlLevel } from './levels.js';
import { buildReport, combineAttempts, type CheckAttempt, type CheckResult, type SuiteReport } from './report.js';
import { findRequirement, type RequirementLevel } from './requirements.js';

export {
  buildReport,
  combineAttempts,
  suiteVersion,
  type Verdict,
  type CheckAttempt,
  type CheckResult,
  type SuiteReport,
  type RequirementSummary,
  type RequirementVerdict,
} from './report.js';

/** A problem of the suite's configuration or its connection to the gateway, not of a check. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
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

const FEATURE_MISSING: Record<string, (config: SuiteConfig) => string | undefined> = {
  'feature:peer': (c) => (c.peerUrl ? undefined : 'no second node was given (--peer-url); multi-node behaviour is not claimed'),
  'feature:forbidden-prefix': (c) =>
    c.forbiddenPrefix ? undefined : 'no forbidden session prefix was given (--forbidden-prefix); per-principal authorisation is not exercised',
  'feature:token': (c) => (c.token ? undefined : 'no token was given (--token); the gateway is assumed to run without authentication'),
  'feature:foreign-origin': (c) =>
    c.foreignOrigin ? undefined : 'no refused browser origin was given (--foreign-origin); the origin allowlist is not exercised',
  'feature:limits-token': (c) =>
    c.limitsToken ? undefined : 'no token of a principal the suite may exhaust was given (--limits-token); per-principal bounds are not exercised',
  'feature:restart': (c) => (c.restartCommand ? undefined : 'no restart command was given (--restart-command); durability across restarts is not claimed'),
};

function unmet(
  check: Check,
  config: SuiteConfig,
  discovery: Discovery,
  claimed: ControlLevel,
): { verdict: 'not-testable' | 'skipped'; message: string } | undefined {
  for (const need of check.requires ?? []) {
    const missing = FEATURE_MISSING[need]?.(config);
    if (missing) return { verdict: 'skipped', message: missing };
  }
  const level = checkControlLevel(check);
  if (level > claimed) {
    const above = controlNeeds(check).filter((c) => !discovery.controlCommands.includes(c));
    return {
      verdict: 'skipped',
      message: `a level-${level} check (needs ${controlNeeds(check).join(', ')}); this run claims level ${claimed} (--level ${claimed})${above.length > 0 ? `; the gateway lacks ${above.join(', ')}` : ''}`,
    };
  }
  for (const command of controlNeeds(check)) {
    if (!config.controlToken) return { verdict: 'not-testable', message: `needs control command ${command} but no control token was given (--control-token)` };
    if (!discovery.controlCommands.includes(command))
      return { verdict: 'not-testable', message: `needs control command ${command}, which the gateway does not advertise` };
  }
  return undefined;
}

/** The matrix rows a check's traffic touched: requests and control commands sent, events received. */
function observedRows(log: WireLog): string[] {
  const rows = new Set<string>();
  for (const entry of log.entries) {
    if (entry.direction === 'out') {
      if (isMatrixRow(`request:${entry.event}`)) rows.add(`request:${entry.event}`);
      const type = (entry.payload as { type?: unknown } | null)?.type;
      if (entry.event === 'control' && typeof type === 'string' && isMatrixRow(`control:${type}`)) rows.add(`control:${type}`);
    } else if (entry.direction === 'in' && isMatrixRow(`event:${entry.event}`)) {
      rows.add(`event:${entry.event}`);
    }
  }
  return [...rows].sort();
}

async function runOnce(check: Check, config: SuiteConfig, discovery: Discovery): Promise<CheckAttempt> {
  const log = new WireLog();
  const budget = config.timeoutMs * (check.timeoutFactor ?? 1);
  const controller = new AbortController();
  // Every pending wait of every connection listens on the check's one signal.
  setMaxListeners(0, controller.signal);
  const timer = setTimeout(() => controller.abort(), budget);
  const ctx = new CheckContext(config, discovery, log, controller.signal, check.id, budget, new Set(controlUses(check)));
  const started = performance.now();
  let attempt: Omit<CheckAttempt, 'notes' | 'violations' | 'wireLog' | 'durationMs' | 'observedRows'>;
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
    if (error instanceof CheckFailure)
      attempt = {
        verdict: 'failed',
        message: error.message,
        expected: [...error.expected],
        actual: error.actual,
        blame: [...(error.blame ?? check.requirements)],
      };
    else if (error instanceof NotTestable) attempt = { verdict: 'not-testable', message: error.message, blame: check.requirements };
    else if (error instanceof SkipCheck) attempt = { verdict: 'skipped', message: error.message };
    else attempt = { verdict: 'error', message: `harness error: ${(error as Error)?.stack ?? String(error)}` };
  } finally {
    clearTimeout(timer);
    clearTimeout(hardStop);
    await ctx.dispose();
  }
  const gatewayViolations = log.violations.filter((v) => v.direction !== 'out');
  if (gatewayViolations.length > 0 && attempt.verdict !== 'skipped') {
    // A message that violates the schema falsifies R1.1, whatever the check was about; the check's
    // own requirement is blamed only when its own assertion failed too.
    const v = gatewayViolations[0]!;
    const own = attempt.verdict === 'failed' || attempt.verdict === 'not-testable' ? (attempt.blame ?? []) : [];
    attempt = {
      verdict: 'failed',
      message: `the gateway sent ${gatewayViolations.length} message(s) violating the schema (first: ${v.event} against ${v.schema})${attempt.message ? `; then ${attempt.message}` : ''}`,
      expected: [`every ${v.event} payload validates against ${v.schema}`, ...(attempt.expected ?? [])],
      actual: v.issues,
      blame: [...new Set(['R1.1', ...own])],
    };
  }
  const durationMs = Math.round(performance.now() - started);
  return {
    ...attempt,
    notes: ctx.notes,
    violations: log.violations,
    wireLog: attempt.verdict === 'passed' || attempt.verdict === 'skipped' ? [] : log.render(),
    observedRows: observedRows(log),
    durationMs,
  };
}

export interface RunOptions {
  checks?: readonly Check[];
  grep?: string;
  repeat?: number;
  /** The control level the run claims: checks needing a higher level are skipped (not failed). */
  level?: ControlLevel;
  expectedFailures?: Map<string, string>;
  onResult?: (result: CheckResult, index: number, total: number) => void;
  onStart?: (check: Check, index: number, total: number) => void;
}

/** Run the selected checks one after another against one gateway and build the report. */
export async function runSuite(config: SuiteConfig, options: RunOptions = {}): Promise<SuiteReport> {
  const started = performance.now();
  const discovery = await discover(config);
  const all = options.checks ?? allChecks;
  const selected = selectChecks(all, options.grep);
  const repeat = Math.max(1, options.repeat ?? 1);
  const claimed = options.level ?? MAX_LEVEL;
  const results: CheckResult[] = [];
  for (const [index, check] of selected.entries()) {
    options.onStart?.(check, index, selected.length);
    const base = { id: check.id, title: check.title, requirements: check.requirements, level: checkLevel(check), controlLevel: checkControlLevel(check) };
    const missing = unmet(check, config, discovery, claimed);
    let result: CheckResult;
    if (missing) {
      result = {
        ...base,
        verdict: missing.verdict,
        message: missing.message,
        blame: missing.verdict === 'not-testable' ? check.requirements : [],
        notes: [],
        violations: [],
        wireLog: [],
        observedRows: [],
        durationMs: 0,
        attempts: [missing.verdict],
      };
    } else {
      const attempts: CheckAttempt[] = [];
      for (let i = 0; i < repeat; i++) attempts.push(await runOnce(check, config, discovery));
      result = { ...base, ...combineAttempts(attempts) };
    }
    const reason = options.expectedFailures?.get(check.id);
    if (reason !== undefined) {
      result.expectedFailure = reason;
      if (result.verdict === 'passed') result.stale = true;
    }
    results.push(result);
    options.onResult?.(result, index, selected.length);
  }
  return buildReport(config, discovery, results, {
    repeat,
    grep: options.grep,
    durationMs: Math.round(performance.now() - started),
    ...(options.level !== undefined ? { level: options.level } : {}),
    checks: all,
  });
}
