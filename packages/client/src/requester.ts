import { Requests, type RequestData, type RequestName, type RequestParams, type RequestResult, type WireError } from '@agent-gateway/schema';
import { ClientError, ClientErrorCodes } from './errors.js';
import type { GatewaySocket } from './socket.js';
import { validateInbound } from './validation.js';

export interface RequesterOptions {
  timeoutMs: number;
  validating: boolean;
  /** Called with an acknowledgement that failed validation (it also rejects the request). */
  onInvalid(error: ClientError): void;
  isClosed(): boolean;
}

/**
 * Requests over Socket.IO acknowledgements: one result shape, typed from the registry. Waits for a
 * connection first and fails with DISCONNECTED when the connection drops before the answer (the
 * gateway may or may not have acted: only idempotent requests are safe to retry blindly).
 */
export class Requester {
  private readonly socket: GatewaySocket;
  private readonly options: RequesterOptions;

  constructor(socket: GatewaySocket, options: RequesterOptions) {
    this.socket = socket;
    this.options = options;
  }

  waitConnected(deadline: number): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          off();
          reject(new ClientError(ClientErrorCodes.Timeout, 'Not connected to the gateway in time'));
        },
        Math.max(0, deadline - Date.now()),
      );
      const onConnect = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const off = () => this.socket.off('connect', onConnect);
      this.socket.on('connect', onConnect);
    });
  }

  async request<E extends RequestName>(name: E, params: RequestParams<E>, options: { timeoutMs?: number } = {}): Promise<RequestData<E>> {
    if (this.options.isClosed()) throw new ClientError(ClientErrorCodes.Closed, 'The client is closed', { event: name });
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const deadline = Date.now() + timeoutMs;
    await this.waitConnected(deadline);
    const socket = this.socket;
    const result = await new Promise<RequestResult<E>>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        socket.off('disconnect', onDisconnect);
      };
      const onDisconnect = () => {
        cleanup();
        reject(new ClientError(ClientErrorCodes.Disconnected, `Connection lost before "${name}" was answered`, { event: name }));
      };
      const timer = setTimeout(
        () => {
          cleanup();
          reject(new ClientError(ClientErrorCodes.Timeout, `"${name}" was not answered within ${timeoutMs} ms`, { event: name }));
        },
        Math.max(0, deadline - Date.now()),
      );
      socket.on('disconnect', onDisconnect);
      // The generic name defeats Socket.IO's per-event overloads; the registry types the call instead.
      (socket as unknown as { emit(event: string, params: unknown, ack: (result: unknown) => void): void }).emit(name, params, (answer: unknown) => {
        cleanup();
        if (this.options.validating) {
          const checked = validateInbound(`acknowledgement of "${name}"`, Requests[name].result, answer);
          if (!checked.ok) {
            this.options.onInvalid(checked.error);
            reject(checked.error);
            return;
          }
        }
        resolve(answer as RequestResult<E>);
      });
    });
    if (result.ok) return result.data as RequestData<E>;
    const wireError = (result as { error: WireError }).error;
    throw new ClientError(ClientErrorCodes.RequestFailed, `"${name}" failed: ${wireError.code}: ${wireError.message}`, { wireError, event: name });
  }
}
