import { ControlCommandNames, type ControlCommand, type ControlData, type Hello, type Joined, type SessionEvent } from '@agent-gateway/schema';
import { Connection } from './harness/connection.js';
import { CheckFailure, NotTestable, SkipCheck } from './harness/errors.js';
import type { WireLog } from './harness/wire-log.js';

export interface SuiteConfig {
  url: string;
  token?: string;
  controlToken?: string;
  peerUrl?: string;
  /** Session ids starting with this are not authorised for the suite's token (per-principal checks). */
  forbiddenPrefix?: string;
  /** A browser origin the gateway's allowlist refuses (origin checks). */
  foreignOrigin?: string;
  /** A token of a principal the suite may exhaust (per-principal bounds). */
  limitsToken?: string;
  /** A shell command that restarts the gateway on its durable store (durability checks). */
  restartCommand?: string;
  timeoutMs: number;
}

/** What the suite learnt from the gateway before running checks. */
export interface Discovery {
  hello: Hello;
  /** Commands advertised to a connection with the control token (empty when the surface is off). */
  controlCommands: string[];
  /** What the `capabilities` command answered, when the gateway has it. */
  capabilities?: string[];
}

export interface AuthOverrides {
  token?: string | null;
  controlToken?: string | null;
  protocolVersion?: string;
  /** Replace the whole handshake auth object (malformed-handshake checks). */
  raw?: Record<string, unknown>;
  url?: string;
  /** HTTP headers of the handshake (an Origin). */
  headers?: Record<string, string>;
}

let sessionCounter = 0;

/** Everything a check uses to talk to the gateway; owns the check's connections and cleanups. */
export class CheckContext {
  private readonly connections: Connection[] = [];
  private readonly cleanupCommands: ControlCommand[] = [];
  private controlConnection: Connection | undefined;
  readonly notes: string[] = [];

  constructor(
    readonly config: SuiteConfig,
    readonly discovery: Discovery,
    readonly log: WireLog,
    readonly signal: AbortSignal,
    readonly checkId: string,
    /** This check's whole time budget (the timeout times the check's factor). */
    readonly budgetMs: number = config.timeoutMs,
    /** The control commands the check declares in `requires`; using another one is a harness bug. */
    private readonly declaredControl?: ReadonlySet<string>,
  ) {}

  get hello(): Hello {
    return this.discovery.hello;
  }

  /** A session id no other check (or run of the suite) uses. */
  sessionId(label = 's'): string {
    sessionCounter += 1;
    const rand = Math.random().toString(36).slice(2, 8);
    return `cf-${this.checkId.replace(/[^A-Za-z0-9]+/g, '-')}-${label}-${sessionCounter}-${rand}`.slice(0, 128);
  }

  /** A connection that is created and recorded but not yet connected. */
  connection(name: string, overrides: AuthOverrides = {}): Connection {
    let auth: Record<string, unknown>;
    if (overrides.raw) auth = overrides.raw;
    else {
      auth = {};
      const token = overrides.token === undefined ? this.config.token : overrides.token;
      if (token !== null && token !== undefined) auth.token = token;
      const controlToken = overrides.controlToken === undefined ? undefined : overrides.controlToken;
      if (controlToken !== null && controlToken !== undefined) auth.controlToken = controlToken;
      if (overrides.protocolVersion !== undefined) auth.protocolVersion = overrides.protocolVersion;
    }
    const conn = new Connection(name, {
      url: overrides.url ?? this.config.url,
      auth,
      log: this.log,
      signal: this.signal,
      ...(overrides.headers ? { extraHeaders: overrides.headers } : {}),
    });
    this.connections.push(conn);
    return conn;
  }

  /** An ordinary client connection (the suite's token, no control token), connected. */
  async client(name = 'client', overrides: AuthOverrides = {}): Promise<Connection> {
    const conn = this.connection(name, overrides);
    await conn.open();
    return conn;
  }

  /** The check's privileged connection (token + control token), connected once and reused. */
  async controller(): Promise<Connection> {
    if (this.controlConnection) return this.controlConnection;
    if (!this.config.controlToken) throw new NotTestable('no control token was given (--control-token), so the control surface cannot be used');
    const conn = this.connection('ctl', { controlToken: this.config.controlToken });
    await conn.open();
    this.controlConnection = conn;
    return conn;
  }

  /** Is a control command advertised to control connections? */
  hasControl(type: string): boolean {
    return this.discovery.controlCommands.includes(type);
  }

  /** May this check use the command now: declared by it, advertised, and a control token given? */
  canControl(type: string): boolean {
    return Boolean(this.config.controlToken) && this.hasControl(type) && (!this.declaredControl || this.declaredControl.has(type));
  }

  /**
   * Run a control command. A command the gateway does not advertise or answers CONTROL_UNSUPPORTED
   * makes the check not testable; any other refusal fails it.
   */
  async control(command: ControlCommand, via?: Connection): Promise<ControlData> {
    this.assertDeclared(command.type);
    if (!this.hasControl(command.type)) throw new NotTestable(`the gateway does not advertise control command ${command.type}`);
    const conn = via ?? (await this.controller());
    const result = await conn.request('control', command);
    if (result.ok) return result.data;
    if (result.error.code === 'CONTROL_UNSUPPORTED') throw new NotTestable(`the gateway answered CONTROL_UNSUPPORTED to ${command.type}`);
    throw new CheckFailure(
      `control ${command.type} was refused: ${result.error.code} ${result.error.message}`,
      [`control ${command.type} answers ok`],
      result.error,
    );
  }

  /**
   * Send this control command when the check ends, whatever its outcome, to undo global state
   * (pressure, cleanup delay, held lanes). It goes over a fresh connection with its own budget,
   * so a check that timed out still cleans up.
   */
  onCleanup(command: ControlCommand): void {
    this.assertDeclared(command.type);
    this.cleanupCommands.push(command);
  }

  /** Levels and "not testable" are computed from `requires`, so a check must declare every command it uses. */
  private assertDeclared(type: string): void {
    if (this.declaredControl && !this.declaredControl.has(type))
      throw new Error(`harness: check ${this.checkId} uses control command ${type} without declaring control:${type} in requires`);
  }

  note(text: string): void {
    this.notes.push(text);
    this.log.record('suite', 'note', 'note', text);
  }

  skip(reason: string): never {
    throw new SkipCheck(reason);
  }

  /** Append chosen events to a session (creating it) and return the resulting position. */
  async append(sessionId: string, events: SessionEvent[]): Promise<{ epoch: string; cursor: number; firstSeq: number; lastSeq: number }> {
    let data: ControlData | undefined;
    for (let i = 0; i < events.length; i += 10_000) {
      data = await this.control({ type: 'session.append', sessionId, events: events.slice(i, i + 10_000) });
    }
    if (!data || data.epoch === undefined || data.lastSeq === undefined) {
      throw new CheckFailure('control session.append did not report epoch and lastSeq', ['session.append answers epoch, firstSeq, lastSeq, cursor'], data);
    }
    return { epoch: data.epoch, cursor: data.cursor ?? data.lastSeq, firstSeq: data.firstSeq ?? 1, lastSeq: data.lastSeq };
  }

  /** Current head of a session as a fresh joiner sees it (without consuming anything else). */
  async headOf(sessionId: string): Promise<Joined> {
    const probe = await this.client(`probe-${sessionId.slice(-6)}-${this.connections.length}`);
    const result = await probe.request('join', { sessionId });
    if (!result.ok) throw new CheckFailure(`join ${sessionId} to read its head was refused`, ['join answers ok'], result.error);
    probe.close();
    return result.data;
  }

  async dispose(): Promise<void> {
    for (const conn of this.connections) conn.close();
    if (this.cleanupCommands.length === 0 || !this.config.controlToken) return;
    const auth: Record<string, unknown> = { controlToken: this.config.controlToken };
    if (this.config.token) auth.token = this.config.token;
    const conn = new Connection('cleanup', { url: this.config.url, auth, log: this.log, signal: AbortSignal.timeout(Math.max(2_000, this.config.timeoutMs)) });
    try {
      await conn.open();
      for (const command of this.cleanupCommands.reverse()) {
        const result = await conn.request('control', command);
        if (!result.ok) this.log.record('suite', 'note', 'cleanup-refused', result.error);
      }
    } catch (error) {
      this.log.record('suite', 'note', 'cleanup-failed', String(error));
    } finally {
      conn.close();
    }
  }
}

export function isKnownControlCommand(name: string): boolean {
  return (ControlCommandNames as readonly string[]).includes(name);
}

let messageCounter = 0;

/** A user or assistant message event for seeding logs. */
export function messageEvent(text: string, role: 'user' | 'assistant' = 'user'): SessionEvent {
  messageCounter += 1;
  return { type: 'message', messageId: `m-${messageCounter}-${Math.random().toString(36).slice(2, 8)}`, role, text, at: Date.now() };
}
