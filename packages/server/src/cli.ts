#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { destination, pino, type Level } from 'pino';

const USAGE = `Usage: agent-gateway serve [options]

Options:
  --port <n>               Port to listen on (default 8787; 0 picks a free one)
  --host <addr>            Address to bind (default 127.0.0.1)
  --max-events <n>         Events kept per session log
  --max-bytes <n>          Bytes (JSON) kept per session log
  --token <secret>         Require this handshake token
  --conformance-token <s>  Enable the control surface for connections presenting this token
  --log-level <level>      fatal, error, warn, info, debug, trace or silent (default info)
  --demo                   Answer chats with the deterministic demo agent (the default agent)
  --static <dir>           Serve static files from this folder at /
  -h, --help               Show this help
`;

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
    throw new Error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/**
 * stdout carries the URL line and stderr the logs; neither is why the gateway runs. When the reader
 * of either goes away (`agent-gateway serve | head -c 10`, a log shipper restarting), writes fail
 * with EPIPE, and Node turns an unhandled stream error into a crash. The gateway keeps serving its
 * clients instead: what could not be written is dropped.
 */
function keepServingWhenOutputCloses(stream: NodeJS.WriteStream): void {
  stream.on('error', () => undefined);
}

async function main(argv: string[]): Promise<number> {
  keepServingWhenOutputCloses(process.stdout);
  keepServingWhenOutputCloses(process.stderr);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'max-events': { type: 'string' },
      'max-bytes': { type: 'string' },
      token: { type: 'string' },
      'conformance-token': { type: 'string' },
      'log-level': { type: 'string' },
      demo: { type: 'boolean' },
      static: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals[0] !== 'serve' || positionals.length > 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  const level = values['log-level'] ?? 'info';
  if (!levels.includes(level)) throw new Error(`--log-level must be one of ${levels.join(', ')}`);
  // Logs go to stderr so stdout carries only the URL line that scripts read.
  const logger = pino({ name: 'agent-gateway', level: level as Level | 'silent' }, destination(2));
  const maxEvents = integer('max-events', values['max-events'], 1);
  const maxBytes = integer('max-bytes', values['max-bytes'], 1);
  const port = integer('port', values.port, 0) ?? 8787;
  if (port > 65_535) throw new Error('--port must be at most 65535');
  // Loaded only once the arguments are known good, so usage errors answer at once.
  const [{ createGateway }, { createDemoAgent }] = await Promise.all([import('./gateway.js'), import('./demo-agent.js')]);
  const gateway = await createGateway({
    port,
    host: values.host ?? '127.0.0.1',
    retention: { ...(maxEvents ? { maxEvents } : {}), ...(maxBytes ? { maxBytes } : {}) },
    ...(values.token ? { token: values.token } : {}),
    ...(values['conformance-token'] ? { controlToken: values['conformance-token'] } : {}),
    ...(values.static ? { staticDir: values.static } : {}),
    agent: createDemoAgent(),
    logger,
  });
  process.stdout.write(`Agent Gateway listening on ${gateway.url}\n`);
  if (values['conformance-token']) {
    process.stdout.write('Conformance control surface enabled for connections presenting the --conformance-token value\n');
  }
  const stop = () => {
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`agent-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
