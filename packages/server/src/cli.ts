#!/usr/bin/env node
import { pino } from 'pino';
import { ignoreClosedReader, lineWriter, stderrLogDestination } from './cli/output.js';
import { parseServeArgs, USAGE } from './cli/options.js';

// Nothing the gateway writes may crash it once its reader is gone (`serve | head -c 10`).
ignoreClosedReader(process.stdout);
ignoreClosedReader(process.stderr);
const out = lineWriter(process.stdout);
const err = lineWriter(process.stderr);

async function main(argv: string[]): Promise<number> {
  const settings = parseServeArgs(argv);
  if (settings.help) {
    out(USAGE);
    return 0;
  }
  for (const notice of settings.notices) err(`agent-gateway: ${notice}\n`);
  // Logs go to stderr so stdout carries only the URL line that scripts read.
  const logger = pino({ name: 'agent-gateway', level: settings.logLevel }, stderrLogDestination());
  // Loaded only once the arguments are known good, so usage errors answer at once.
  const [{ createGateway }, { createDemoAgent }, { loadTokenFile, principalRulesAuth, reservedPrefixAuth }] = await Promise.all([
    import('./gateway.js'),
    import('./agent/demo-agent.js'),
    import('./transport/principal-rules.js'),
  ]);
  const reserved = settings.forbiddenPrefixes;
  const auth = settings.tokenFile
    ? principalRulesAuth(await loadTokenFile(settings.tokenFile), { reservedPrefixes: reserved })
    : reserved.length > 0
      ? reservedPrefixAuth(reserved)
      : undefined;
  const engine = settings.redis ? (await import('./redis/index.js')).redisEngine(settings.redis) : undefined;
  const gateway = await createGateway({ ...settings.gateway, ...(engine ? { engine } : {}), ...(auth ? { auth } : {}), agent: createDemoAgent(), logger });
  out(`Agent Gateway listening on ${gateway.url}\n`);
  if (settings.gateway.controlToken) out('Control surface enabled for connections presenting the --control-token value\n');

  // The first signal drains (bounded by --drain-ms); a second one, or a drain that overruns, exits at once.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
    stopping = true;
    logger.info({ signal, drainMs: settings.drainMs }, 'draining before shutdown');
    setTimeout(() => process.exit(1), settings.drainMs + 5_000).unref();
    void gateway.close({ drainMs: settings.drainMs }).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'closing the gateway failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    // A usage error is the user's to fix; anything else (an unreadable token file, a port in use) too.
    const message = error instanceof Error ? error.message : String(error);
    err(`agent-gateway: ${message}${message.endsWith('\n') ? '' : '\n'}`);
    process.exitCode = 2;
  },
);
