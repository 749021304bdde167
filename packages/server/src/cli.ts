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
  --control-token <s>      Enable the control surface (conformance testing) for connections
                           presenting this token as handshake auth.controlToken
  --conformance-token <s>  Deprecated alias of --control-token (removed in the next minor version)
  --log-level <level>      fatal, error, warn, info, debug, trace or silent (default info)
  --demo                   Answer chats with the deterministic demo agent (the default agent)
  --static <dir>           Serve static files from this folder at /
  --redis <url>            Share sessions with every gateway using this Redis (redis://host:port[/db]):
                           logs, live fan-out, runs and rows; clients may connect to any of them
  --redis-prefix <p>       Prefix of every Redis key and channel (default ag:)
  --node-id <id>           This gateway's name among those sharing the Redis (default host-pid-random)
  --lease-ttl <ms>         How soon a stopped gateway's sessions and runs are taken over (default 10000)
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
      'control-token': { type: 'string' },
      'conformance-token': { type: 'string' },
      'log-level': { type: 'string' },
      demo: { type: 'boolean' },
      static: { type: 'string' },
      redis: { type: 'string' },
      'redis-prefix': { type: 'string' },
      'node-id': { type: 'string' },
      'lease-ttl': { type: 'string' },
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
  if (values['conformance-token'] !== undefined) {
    if (values['control-token'] !== undefined) throw new Error('--conformance-token is an alias of --control-token; give only one');
    process.stderr.write('agent-gateway: --conformance-token is deprecated; use --control-token\n');
  }
  const controlToken = values['control-token'] ?? values['conformance-token'];
  if (port > 65_535) throw new Error('--port must be at most 65535');
  const leaseTtlMs = integer('lease-ttl', values['lease-ttl'], 100);
  if (values.redis === undefined && (values['redis-prefix'] ?? values['node-id'] ?? leaseTtlMs) !== undefined) {
    throw new Error('--redis-prefix, --node-id and --lease-ttl need --redis');
  }
  if (values.redis !== undefined && !/^rediss?:\/\//.test(values.redis))
    throw new Error(`--redis must be a redis:// or rediss:// URL, got ${JSON.stringify(values.redis)}`);
  // Loaded only once the arguments are known good, so usage errors answer at once.
  const [{ createGateway }, { createDemoAgent }] = await Promise.all([import('./gateway.js'), import('./agent/demo-agent.js')]);
  const engine =
    values.redis === undefined
      ? undefined
      : (await import('./redis/index.js')).redisEngine({
          url: values.redis,
          ...(values['redis-prefix'] !== undefined ? { prefix: values['redis-prefix'] } : {}),
          ...(values['node-id'] !== undefined ? { nodeId: values['node-id'] } : {}),
          ...(leaseTtlMs !== undefined ? { leaseTtlMs } : {}),
        });
  const gateway = await createGateway({
    ...(engine ? { engine } : {}),
    port,
    host: values.host ?? '127.0.0.1',
    retention: { ...(maxEvents ? { maxEvents } : {}), ...(maxBytes ? { maxBytes } : {}) },
    ...(values.token ? { token: values.token } : {}),
    ...(controlToken ? { controlToken } : {}),
    ...(values.static ? { staticDir: values.static } : {}),
    agent: createDemoAgent(),
    logger,
  });
  process.stdout.write(`Agent Gateway listening on ${gateway.url}\n`);
  if (controlToken) {
    process.stdout.write('Control surface enabled for connections presenting the --control-token value\n');
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
