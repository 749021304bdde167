import type { Logger } from 'pino';
import type { Agent } from './agent.js';
import type { AuthOptions, Principal } from './auth.js';
import type { ControlSurface } from './control.js';
import type { DiagnosticsHub } from './diagnostics.js';
import type { Fanout } from './fanout.js';
import type { RequestScope } from './ingress.js';
import type { GatewayFaults, ResolvedRetention } from './options.js';
import type { Outbox } from './outbox.js';
import type { RunExecutor } from './run-executor.js';
import type { RunRegistry } from './runs.js';
import type { Gates } from './scripted-agent.js';
import type { SessionRegistry } from './sessions.js';
import type { GatewayServer, GatewaySocket } from './socket-types.js';

/** The services of one gateway, shared by every connection's handlers. */
export interface GatewayCore {
  io: GatewayServer;
  logger: Logger;
  faults: GatewayFaults;
  auth: AuthOptions;
  retention: ResolvedRetention;
  maxPayloadBytes: number;
  sessions: SessionRegistry;
  runs: RunRegistry;
  executor: RunExecutor;
  fanout: Fanout;
  agent: Agent;
  gates: Gates;
  control: ControlSurface;
  diagnostics: DiagnosticsHub;
  /** Outboxes of connected sockets, by socket id. */
  outboxes: Map<string, Outbox>;
}

/** What a request handler knows about the connection it serves. */
export interface ConnectionContext {
  core: GatewayCore;
  socket: GatewaySocket;
  outbox: Outbox;
  principal: Principal;
  controlEnabled: boolean;
  scope: RequestScope;
}
