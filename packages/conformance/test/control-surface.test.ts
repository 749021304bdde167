import { ControlError, type ControlHandlers } from '../src/control/index.js';
import type { Socket as ServerSocket } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { allChecks } from '../src/checks/index.js';
import { runSuite } from '../src/runner.js';
import { startMinimalGateway, type MinimalGateway } from './helpers/minimal-gateway.js';

const TOKEN = 'minimal-control-token';

/** The commands the minimal gateway implements: a real append, a refusing trim, a release with a bad answer. */
const handlers: Parameters<typeof startMinimalGateway>[0]['handlers'] = ({ append }): ControlHandlers<ServerSocket> => ({
  'session.append': (command) => {
    const log = append(command.sessionId, command.events);
    return { sessionId: command.sessionId, epoch: log.epoch, firstSeq: log.firstSeq, lastSeq: log.events.length, cursor: log.events.length, oldestCursor: 1 };
  },
  'session.trim': (command) => {
    throw new ControlError('RUN_NOT_FOUND', `nothing to trim in ${command.sessionId}`, { sessionId: command.sessionId });
  },
  'run.release': () => ({ lastSeq: -1 }),
});

let gateway: MinimalGateway | undefined;
const clients: Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await gateway?.close();
  gateway = undefined;
});

/** A client with every packet buffered from creation; resolves once hello arrived. */
async function connect(
  url: string,
  auth: Record<string, unknown>,
): Promise<{ socket: Socket; hello: { control: { enabled: boolean; commands: string[] } }; errors: unknown[] }> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  clients.push(socket);
  const errors: unknown[] = [];
  socket.on('protocol.error', (e: unknown) => errors.push(e));
  const hello = await new Promise<{ control: { enabled: boolean; commands: string[] } }>((resolve) => socket.once('hello', resolve));
  return { socket, hello, errors };
}

function control(
  socket: Socket,
  command: unknown,
): Promise<{ ok: boolean; data?: Record<string, unknown>; error?: { code: string; details?: Record<string, unknown> } }> {
  return new Promise((resolve) => socket.emit('control', command, resolve));
}

describe('@agent-gateway/conformance/control in a minimal Socket.IO gateway', () => {
  it('passes the suite’s control checks and reports level 0 with what is missing for level 1', async () => {
    gateway = await startMinimalGateway({ controlToken: TOKEN, handlers });
    const ids = [
      'control.disabled-without-token',
      'control.disabled-with-wrong-token',
      'control.advertises-commands',
      'control.unadvertised-command-unsupported',
      'ingress.invalid-control-command',
      'control.over-the-wire',
    ];
    const report = await runSuite({ url: gateway.url, controlToken: TOKEN, timeoutMs: 5_000 }, { checks: allChecks.filter((c) => ids.includes(c.id)) });
    expect(report.results.map((r) => [r.id, r.verdict, r.message]).sort()).toEqual(ids.map((id) => [id, 'passed', undefined]).sort());
    expect(report.gateway.controlCommands).toEqual(['capabilities', 'run.release', 'session.append', 'session.trim']);
    expect(report.controlLevel).toMatchObject({ gateway: 0, next: { level: 1, commands: ['session.recreate', 'run.script'] } });
  });

  it('guards with the control token, validates, answers capabilities and CONTROL_UNSUPPORTED, and checks what handlers answer', async () => {
    gateway = await startMinimalGateway({ controlToken: TOKEN, handlers });
    const plain = await connect(gateway.url, {});
    expect(plain.hello.control).toEqual({ enabled: false, commands: ['capabilities', 'session.append', 'session.trim', 'run.release'] });
    expect((await control(plain.socket, { type: 'capabilities' })).error?.code).toBe('CONTROL_DISABLED');
    const sameLength = await connect(gateway.url, { controlToken: TOKEN.replace(/.$/, 'X') });
    expect(sameLength.hello.control.enabled).toBe(false);
    expect((await control(sameLength.socket, { type: 'session.append', sessionId: 's', events: [] })).error?.code).toBe('INVALID_MESSAGE');
    expect((await control(sameLength.socket, { type: 'lane.hold', sessionId: 's' })).error?.code).toBe('CONTROL_DISABLED');

    const ctl = await connect(gateway.url, { controlToken: TOKEN });
    expect(ctl.hello.control.enabled).toBe(true);
    expect(await control(ctl.socket, { type: 'capabilities' })).toEqual({
      ok: true,
      data: { type: 'capabilities', commands: ['capabilities', 'session.append', 'session.trim', 'run.release'] },
    });
    const unsupported = await control(ctl.socket, { type: 'lane.hold', sessionId: 's' });
    expect(unsupported.error).toMatchObject({ code: 'CONTROL_UNSUPPORTED', details: { command: 'lane.hold' } });
    const invalid = await control(ctl.socket, { type: 'session.trim', sessionId: 's', oldestCursor: 0 });
    expect(invalid.error).toMatchObject({ code: 'INVALID_MESSAGE', details: { issues: [expect.objectContaining({ path: '/oldestCursor' })] } });
    expect((await control(ctl.socket, { type: 'session.trim', sessionId: 's', oldestCursor: 2 })).error).toEqual({
      code: 'RUN_NOT_FOUND',
      message: 'nothing to trim in s',
      details: { sessionId: 's' },
    });
    const bad = await control(ctl.socket, { type: 'run.release', sessionId: 's', gate: 'g' });
    expect(bad.error).toMatchObject({ code: 'INTERNAL', details: { command: 'run.release', issues: [expect.objectContaining({ path: '/lastSeq' })] } });
    const appended = await control(ctl.socket, {
      type: 'session.append',
      sessionId: 's',
      events: [{ type: 'message', messageId: 'm1', role: 'user', text: 'hi', at: 1 }],
    });
    expect(appended).toMatchObject({ ok: true, data: { type: 'session.append', firstSeq: 1, lastSeq: 1 } });

    ctl.socket.emit('control', { type: 'no.such.command' });
    await new Promise<void>((resolve) => ctl.socket.once('protocol.error', () => resolve()));
    expect(ctl.errors).toEqual([{ error: expect.objectContaining({ code: 'INVALID_MESSAGE' }), event: 'control' }]);
  });

  it('is off for everybody when the gateway has no control token', async () => {
    gateway = await startMinimalGateway({ handlers });
    const client = await connect(gateway.url, { controlToken: '' });
    expect(client.hello.control).toEqual({ enabled: false, commands: [] });
    expect((await control(client.socket, { type: 'capabilities' })).error?.code).toBe('CONTROL_DISABLED');
  });
});
