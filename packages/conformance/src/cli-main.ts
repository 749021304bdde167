import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { allChecks } from './checks/index.js';
import { parseExpectedFailures } from './expected-failures.js';
import { renderJson } from './reporters/json.js';
import { renderJunit } from './reporters/junit.js';
import { renderMarkdown } from './reporters/markdown.js';
import { checkControlLevel, type ControlLevel } from './levels.js';
import { progressLine, renderPrettySummary } from './reporters/pretty.js';
import { checkLevel, ConfigError, runSuite, selectChecks, type SuiteReport } from './runner.js';

const USAGE = `usage: agent-gateway-conformance --url <url> [options]

  --url <url>                 gateway to test (http://host:port)
  --token <t>                 handshake token for ordinary connections
  --control-token <t>         token that enables the conformance control surface
  --peer-url <url>            a second node of the same cluster (multi-node checks)
  --forbidden-prefix <p>      session ids starting with <p> are not authorised for --token
                              (per-principal authorisation checks)
  --foreign-origin <origin>   a browser origin the gateway's allowlist refuses (origin checks)
  --limits-token <t>          token of a principal the suite may exhaust (per-principal bounds)
  --restart-command <cmd>     shell command that restarts the gateway on its durable store
  --level <0|1|2>             the control level the gateway claims; checks above it are skipped
                              (0: no control surface, 1: logs and scripted runs, 2: load and lanes)
  --grep <id|text>            run only checks whose id, requirement id or title matches
  --reporter <name>           pretty (default) | json | junit | markdown
  --out <file>                write the report to a file instead of stdout
  --expected-failures <file>  YAML list of check ids known to fail (with reasons)
  --repeat <n>                run every check n times; a check failing in most attempts fails,
                              one passing in most is flaky (both report k/n)
  --timeout <ms>              time budget per check (default 10000)
  --list                      list checks and exit

exit codes: 0 every required check passed, 1 a required check failed or an expected
failure passed (stale baseline), 2 harness or configuration error (or no check ran)`;

type Reporter = 'pretty' | 'json' | 'junit' | 'markdown';

/** A bad command line: reported with the usage text, exit code 2. */
class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

/** Where the CLI writes; tests pass their own sinks. */
export interface CliOutput {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) fail(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Run the CLI with `argv` (without node and script) and return its exit code. */
export async function runCli(argv: string[], io: CliOutput = process): Promise<number> {
  try {
    return await runCliUnchecked(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`agent-gateway-conformance: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`agent-gateway-conformance: ${error.message}\n`);
      return 2;
    }
    io.stderr.write(`agent-gateway-conformance: harness error: ${(error as Error)?.stack ?? String(error)}\n`);
    return 2;
  }
}

async function runCliUnchecked(argv: string[], io: CliOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        'control-token': { type: 'string' },
        'peer-url': { type: 'string' },
        'forbidden-prefix': { type: 'string' },
        'foreign-origin': { type: 'string' },
        'limits-token': { type: 'string' },
        'restart-command': { type: 'string' },
        level: { type: 'string' },
        grep: { type: 'string' },
        reporter: { type: 'string', default: 'pretty' },
        out: { type: 'string' },
        'expected-failures': { type: 'string' },
        repeat: { type: 'string' },
        timeout: { type: 'string' },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    fail((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const selected = selectChecks(allChecks, v.grep);
  if (v.list) {
    for (const c of selected) io.stdout.write(`${c.id}\t${c.requirements.join(',')}\t${checkLevel(c)}\tlevel ${checkControlLevel(c)}\t${c.title}\n`);
    if (selected.length === 0) fail(`no check matches --grep ${JSON.stringify(v.grep)}`);
    return 0;
  }
  if (!v.url) fail('--url is required');
  try {
    new URL(v.url);
  } catch {
    fail(`--url is not a URL: ${v.url}`);
  }
  const reporter = v.reporter as Reporter;
  if (!['pretty', 'json', 'junit', 'markdown'].includes(reporter)) fail(`unknown reporter ${JSON.stringify(v.reporter)}`);
  if (selected.length === 0) fail(`no check matches --grep ${JSON.stringify(v.grep)}: zero checks would run`);
  let expectedFailures: Map<string, string> | undefined;
  if (v['expected-failures']) {
    try {
      expectedFailures = parseExpectedFailures(
        readFileSync(v['expected-failures'], 'utf8'),
        allChecks.map((c) => c.id),
      );
    } catch (error) {
      fail(`cannot read --expected-failures: ${(error as Error).message}`);
    }
  }
  const timeoutMs = positiveInt(v.timeout, '--timeout', 10_000);
  let level: ControlLevel | undefined;
  if (v.level !== undefined) {
    if (!/^[0-2]$/.test(v.level)) fail(`--level must be 0, 1 or 2, got ${JSON.stringify(v.level)}`);
    level = Number(v.level) as ControlLevel;
  }
  const repeat = positiveInt(v.repeat, '--repeat', 1);
  // Progress goes to stdout for the pretty reporter, to stderr when stdout carries a machine-readable report.
  const progress = reporter === 'pretty' && !v.out ? io.stdout : io.stderr;
  const report: SuiteReport = await runSuite(
    {
      url: v.url,
      token: v.token,
      controlToken: v['control-token'],
      peerUrl: v['peer-url'],
      forbiddenPrefix: v['forbidden-prefix'],
      foreignOrigin: v['foreign-origin'],
      limitsToken: v['limits-token'],
      restartCommand: v['restart-command'],
      timeoutMs,
    },
    {
      checks: selected,
      repeat,
      expectedFailures,
      ...(level !== undefined ? { level } : {}),
      onResult: (r, i, n) => progress.write(`${progressLine(r, i, n)}\n`),
    },
  );
  const rendered =
    reporter === 'json'
      ? renderJson(report)
      : reporter === 'junit'
        ? renderJunit(report)
        : reporter === 'markdown'
          ? renderMarkdown(report)
          : `${renderPrettySummary(report)}\n`;
  if (v.out) {
    writeFileSync(v.out, rendered);
    progress.write(`${renderPrettySummary(report).split('\n').slice(-3).join('\n')}\nreport written to ${v.out}\n`);
  } else io.stdout.write(rendered);
  if (reporter !== 'pretty' && !v.out) io.stderr.write(`${renderPrettySummary(report)}\n`);
  return report.exitCode;
}
