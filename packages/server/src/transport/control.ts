import { ControlCommandNames, ErrorCodes, type ControlCommand, type ControlCommandName, type ControlData, type ResultOf } from '@agent-gateway/schema';
import type { ConnectionContext } from '../core.js';
import { LimitExceededError } from '../sessions/limits.js';

export type ControlCommandOf<T extends ControlCommandName> = Extract<ControlCommand, { type: T }>;
export type ControlHandler<T extends ControlCommandName> = (command: ControlCommandOf<T>, context: ConnectionContext) => Promise<ResultOf<ControlData>>;

/**
 * The control surface dispatcher. Commands are registered one by one, so a feature (pressure,
 * heartbeats, lanes) adds its own; `commands()` is exactly what is registered, and anything else
 * answers CONTROL_UNSUPPORTED.
 */
export class ControlSurface {
  private readonly handlers = new Map<ControlCommandName, ControlHandler<ControlCommandName>>();

  register<T extends ControlCommandName>(type: T, handler: ControlHandler<T>): void {
    this.handlers.set(type, handler as unknown as ControlHandler<ControlCommandName>);
  }

  commands(): ControlCommandName[] {
    return ControlCommandNames.filter((name) => this.handlers.has(name));
  }

  async dispatch(command: ControlCommand, context: ConnectionContext): Promise<ResultOf<ControlData>> {
    if (!context.controlEnabled) {
      return { ok: false, error: { code: ErrorCodes.ControlDisabled, message: 'The control surface is not enabled for this connection.', retryable: false } };
    }
    const handler = this.handlers.get(command.type);
    if (!handler) {
      return {
        ok: false,
        error: {
          code: ErrorCodes.ControlUnsupported,
          message: `This gateway does not implement control command ${command.type}.`,
          details: { command: command.type },
          retryable: false,
        },
      };
    }
    try {
      return await handler(command as ControlCommandOf<ControlCommandName>, context);
    } catch (error) {
      // A command that would create a session past the gateway's limit creates nothing.
      if (error instanceof LimitExceededError) return { ok: false, error: error.wireError };
      throw error;
    }
  }
}
