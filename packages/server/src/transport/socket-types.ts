import type { ClientToServerEvents, ServerToClientEvents } from '@agent-gateway/schema';
import type { Server, Socket } from 'socket.io';
import type { Principal } from './auth.js';

/** Per-socket data set by the handshake middleware. */
export interface SocketData {
  principal: Principal;
  protocolVersion: string;
  controlEnabled: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type InterServerEvents = {};

export type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
