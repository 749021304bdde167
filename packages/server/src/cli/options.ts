import { parseArgs } from 'node:util';
import type { Level } from 'pino';
import type { GatewayOptions } from '../options.js';

export const USAGE = `Usage: agent-gateway serve [options]

Options:
  --port <n>                   Port to listen on (default 8787; 0 picks a free one)
  --host <addr>                Address to bind (default 127.0.0.1)
  --max-events <n>             Events kept per session log
  --max-bytes <n>              Bytes (JSON) kept per session log
  --token <secret>             Require this handshake token (every holder is one principal)
  --token-file <path>          Principals: tokens and the session ids each may join and list
                               (JSON; see the package README). Not with --token
  --forbidden-prefix <p>       Refuse session ids starting with <p> to every client; only the
                               control surface reaches them (repeatable)
  --control-token <s>          Enable the control surface (conformance testing) for connections
                               presenting this token as handshake auth.controlToken
  --conformance-token <s>      Deprecated alias of --control-token (removed in the next minor version)
  --cors-origin <origin>       Also allow browser pages of this origin, e.g. https://app.example.com
                               (repeatable; "*" allows any). Default: the gateway's own origin only
  --metrics-token <t>          GET /metrics requires "Authorization: Bearer <t>". Without it,
                               /metrics is served only when bound to a loopback address
  --max-pending-bytes <n>      Output one connection may owe before it is disconnected with
                               SLOW_CONSUMER (default: the largest join answer the log bounds
                               allow plus 4 MiB, at least 16 MiB; about 22 MiB by default)
  --session-idle-ms <n>        Unload a session unused for this long (default 600000)
  --max-sessions <n>           Sessions loaded at once (default 10000)
  --max-sessions-per-principal <n>
                               Sessions one principal may create and keep loaded (default 1000)
  --max-connections-per-principal <n>
                               Connections one principal may hold (default 1000)
  --max-queued-runs <n>        Runs that may wait in one session lane; past it chat.send answers
                               BUSY (default 16)
  --max-snapshot-bytes <n>     JSON size a snapshot stays within (default 4194304)
  --max-conversation-bytes <n> JSON size of the conversation each session keeps (default 4194304)
  --redis <url>                Share sessions with every gateway using this Redis (redis://host:port[/db]):
                               logs, live fan-out, runs and rows; clients may connect to any of them
  --redis-prefix <p>           Prefix of every Redis key and channel (default ag:)
  --node-id <id>               This gateway's name among those sharing the Redis (default host-pid-random)
  --lease-ttl <ms>             How soon a stopped gateway's sessions and runs are taken over (default 10000)
  --drain-ms <n>               On SIGTERM or SIGINT, finish requests and runs for up to this long,
                               then close every connection with SHUTTING_DOWN (default 10000)
  --log-level <level>          fatal, error, warn, info, debug, trace or silent (default info)
  --demo                       Answer chats with the deterministic demo agent (the default agent)
  --static <dir>               Serve static files from this folder at /
  -h, --help                   Show this help
`;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface CliSettings {
  help: boolean;
  logLevel: Level | 'silent';
  tokenFile: string | undefined;
  forbiddenPrefixes: string[];
  drainMs: number;
  /** Share sessions through this Redis (`--redis` and its companions). */
  redis: { url: string; prefix?: string; nodeId?: string; leaseTtlMs?: number } | undefined;
  /** Everything the gateway is created with, except the logger, the agent, the auth hooks and the engine. */
  gateway: GatewayOptions;
  /** Notices for stderr (deprecated flags, metrics turned off). */
  notices: string[];
}

export class UsageError extends Error {}

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Read `serve` arguments; a UsageError names what is wrong. */
export function parseServeArgs(argv: string[]): CliSettings {
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
      'token-file': { type: 'string' },
      'forbidden-prefix': { type: 'string', multiple: true },
      'control-token': { type: 'string' },
      'conformance-token': { type: 'string' },
      'cors-origin': { type: 'string', multiple: true },
      'metrics-token': { type: 'string' },
      'max-pending-bytes': { type: 'string' },
      'session-idle-ms': { type: 'string' },
      'max-sessions': { type: 'string' },
      'max-sessions-per-principal': { type: 'string' },
      'max-connections-per-principal': { type: 'string' },
      'max-queued-runs': { type: 'string' },
      'max-snapshot-bytes': { type: 'string' },
      'max-conversation-bytes': { type: 'string' },
      redis: { type: 'string' },
      'redis-prefix': { type: 'string' },
      'node-id': { type: 'string' },
      'lease-ttl': { type: 'string' },
      'drain-ms': { type: 'string' },
      'log-level': { type: 'string' },
      demo: { type: 'boolean' },
      static: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const notices: string[] = [];
  if (values.help) return { help: true, logLevel: 'info', tokenFile: undefined, forbiddenPrefixes: [], drainMs: 0, redis: undefined, gateway: {}, notices };
  if (positionals[0] !== 'serve' || positionals.length > 1) throw new UsageError(USAGE);

  const level = values['log-level'] ?? 'info';
  if (!(LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);
  const port = integer('port', values.port, 0) ?? 8787;
  if (port > 65_535) throw new UsageError('--port must be at most 65535');
  const host = values.host ?? '127.0.0.1';
  if (values['conformance-token'] !== undefined) {
    if (values['control-token'] !== undefined) throw new UsageError('--conformance-token is an alias of --control-token; give only one');
    notices.push('--conformance-token is deprecated; use --control-token');
  }
  const controlToken = values['control-token'] ?? values['conformance-token'];
  if (values.token !== undefined && values['token-file'] !== undefined) {
    throw new UsageError('--token and --token-file both say who may connect; give one (a token file can hold a single principal)');
  }
  const forbiddenPrefixes = values['forbidden-prefix'] ?? [];
  for (const prefix of forbiddenPrefixes) {
    if (prefix.length === 0 || prefix.length > 128) throw new UsageError('--forbidden-prefix must be 1 to 128 characters');
  }
  const origins = values['cors-origin'];
  const corsOrigins = origins === undefined ? undefined : origins.includes('*') ? ('*' as const) : origins;
  const metricsToken = values['metrics-token'];
  // Metrics tell how busy the gateway is and how many clients it has: on an address others can
  // reach, only with a token.
  const metrics = metricsToken !== undefined || isLoopback(host);
  if (!metrics) notices.push(`GET /metrics is off: ${host} is not a loopback address and no --metrics-token was given`);

  const maxEvents = integer('max-events', values['max-events'], 1);
  const maxBytes = integer('max-bytes', values['max-bytes'], 1);
  const maxPendingBytes = integer('max-pending-bytes', values['max-pending-bytes'], 1024);
  const idleMs = integer('session-idle-ms', values['session-idle-ms'], 1);
  const maxSessions = integer('max-sessions', values['max-sessions'], 1);
  const maxSessionsPerPrincipal = integer('max-sessions-per-principal', values['max-sessions-per-principal'], 1);
  const maxConnectionsPerPrincipal = integer('max-connections-per-principal', values['max-connections-per-principal'], 1);
  const drainMs = integer('drain-ms', values['drain-ms'], 0) ?? 10_000;
  const maxQueuedRuns = integer('max-queued-runs', values['max-queued-runs'], 1);
  const maxSnapshotBytes = integer('max-snapshot-bytes', values['max-snapshot-bytes'], 65_536);
  const maxConversationBytes = integer('max-conversation-bytes', values['max-conversation-bytes'], 1);
  const leaseTtlMs = integer('lease-ttl', values['lease-ttl'], 100);
  if (values.redis === undefined && (values['redis-prefix'] ?? values['node-id'] ?? leaseTtlMs) !== undefined) {
    throw new UsageError('--redis-prefix, --node-id and --lease-ttl need --redis');
  }
  if (values.redis !== undefined && !/^rediss?:\/\//.test(values.redis)) {
    throw new UsageError(`--redis must be a redis:// or rediss:// URL, got ${JSON.stringify(values.redis)}`);
  }
  const redis =
    values.redis === undefined
      ? undefined
      : {
          url: values.redis,
          ...(values['redis-prefix'] !== undefined ? { prefix: values['redis-prefix'] } : {}),
          ...(values['node-id'] !== undefined ? { nodeId: values['node-id'] } : {}),
          ...(leaseTtlMs !== undefined ? { leaseTtlMs } : {}),
        };

  const gateway: GatewayOptions = {
    port,
    host,
    retention: { ...(maxEvents ? { maxEvents } : {}), ...(maxBytes ? { maxBytes } : {}) },
    ...(values.token ? { token: values.token } : {}),
    ...(controlToken ? { controlToken } : {}),
    ...(values.static ? { staticDir: values.static } : {}),
    ...(corsOrigins ? { corsOrigins } : {}),
    ...(metricsToken ? { metricsToken } : {}),
    metrics,
    ...(maxPendingBytes ? { delivery: { maxPendingBytes } } : {}),
    sessions: {
      ...(idleMs ? { idleMs } : {}),
      ...(maxSessions ? { maxSessions } : {}),
      ...(maxSessionsPerPrincipal ? { maxSessionsPerPrincipal } : {}),
    },
    ...(maxConnectionsPerPrincipal ? { maxConnectionsPerPrincipal } : {}),
    ...(maxQueuedRuns ? { maxQueuedRuns } : {}),
    ...(maxSnapshotBytes ? { maxSnapshotBytes } : {}),
    ...(maxConversationBytes ? { maxConversationBytes } : {}),
  };
  return { help: false, logLevel: level as Level | 'silent', tokenFile: values['token-file'], forbiddenPrefixes, drainMs, redis, gateway, notices };
}
