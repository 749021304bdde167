import { ControlCommandNames, ErrorCodes, type ControlCommand, type ControlCommandName, type ControlData, type ResultOf } from '@agent-gateway/schema';
import type { ConnectionContext, GatewayCore } from './core.js';
import { createScriptedAgent } from './scripted-agent.js';

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
    return handler(command as ControlCommandOf<ControlCommandName>, context);
  }
}

/** The commands of the gateway core: logs, epochs, scripted runs and run cleanup. */
export function registerCoreControlCommands(surface: ControlSurface, core: GatewayCore): void {
  surface.register('capabilities', async () => ({ ok: true, data: { type: 'capabilities', commands: surface.commands() } }));

  surface.register('session.append', async (command) => {
    const session = await core.sessions.getOrCreate(command.sessionId);
    return session.serial.run(async () => {
      const entries = await core.sessions.appendNow(session, command.events);
      const head = await session.log.head();
      return {
        ok: true as const,
        data: {
          type: 'session.append' as const,
          sessionId: session.id,
          epoch: head.epoch,
          firstSeq: entries[0]?.seq ?? head.cursor,
          lastSeq: entries[entries.length - 1]?.seq ?? head.cursor,
          cursor: head.cursor,
          oldestCursor: head.oldestCursor,
        },
      };
    });
  });

  surface.register('session.trim', async (command) => {
    const session = await core.sessions.getOrCreate(command.sessionId);
    const head = await session.serial.run(() => session.log.trim(command.oldestCursor));
    return { ok: true, data: { type: 'session.trim', sessionId: session.id, epoch: head.epoch, cursor: head.cursor, oldestCursor: head.oldestCursor } };
  });

  surface.register('session.recreate', async (command) => {
    const session = await core.sessions.getOrCreate(command.sessionId);
    const head = await core.sessions.recreate(session);
    return { ok: true, data: { type: 'session.recreate', sessionId: session.id, epoch: head.epoch, cursor: head.cursor, oldestCursor: head.oldestCursor } };
  });

  surface.register('run.script', async (command, context) => {
    const session = await core.sessions.getOrCreate(command.sessionId);
    const { run, duplicate } = core.runs.create({
      sessionId: session.id,
      trigger: 'chat',
      scopedSocketId: context.socket.id,
      ...(command.idempotencyKey ? { idempotencyKey: command.idempotencyKey } : {}),
    });
    if (!duplicate) core.executor.queue({ session, run, agent: createScriptedAgent(command.steps, core.gates), text: '' });
    return { ok: true, data: { type: 'run.script', sessionId: session.id, runId: run.runId } };
  });

  surface.register('run.release', async (command) => {
    core.gates.open(command.sessionId, command.gate);
    return { ok: true, data: { type: 'run.release', sessionId: command.sessionId } };
  });

  surface.register('cleanup.delay', async (command) => {
    core.runs.cleanupDelayMs = command.ms;
    return { ok: true, data: { type: 'cleanup.delay' } };
  });
}
