import type { Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@agent-gateway/schema';

/** The Socket.IO client socket, typed with the protocol's event maps. */
export type GatewaySocket = Socket<ServerToClientEvents, ClientToServerEvents>;
