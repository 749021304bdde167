import { ErrorCodes, isSupportedProtocolVersion, isTerminalRunStatus, type RequestHandlers, type WireError } from '@agent-gateway/schema';
import type { ConnectionContext } from '../core.js';
import { forbiddenError, isAuthorized, unsupportedVersionError } from './auth.js';

function fail(error: WireError) {
  return { ok: false as const, error };
}

function runNotFound(sessionId: string, runId: string): WireError {
  return { code: ErrorCodes.RunNotFound, message: 'No such run in this session.', details: { sessionId, runId }, retryable: false };
}

async function allowed(context: ConnectionContext, sessionId: string): Promise<boolean> {
  return isAuthorized(context.core.auth, context.principal, sessionId);
}

/**
 * The request table of the gateway. Typed as RequestHandlers so that a request added to the schema
 * without a handler here is a compile error. Every handler gets validated params, checks the
 * principal, and hands the work to the service that owns it.
 */
export const requestHandlers: RequestHandlers<ConnectionContext> = {
  async join(params, context) {
    const { core, socket, outbox, scope } = context;
    if (params.protocolVersion !== undefined && !isSupportedProtocolVersion(params.protocolVersion)) {
      return fail(unsupportedVersionError(params.protocolVersion));
    }
    // Authorise before looking the session up, so a refusal is the same whether it exists or not.
    if (!(await allowed(context, params.sessionId))) return fail(forbiddenError());
    const session = await core.sessions.getOrCreate(params.sessionId);
    const request = { ...(params.since !== undefined ? { since: params.since } : {}), ...(params.epoch !== undefined ? { epoch: params.epoch } : {}) };
    const joined = await core.joiner.join(
      session,
      { outbox, protocolVersion: socket.data.protocolVersion, reserveAnswer: () => scope.reserveAnswer() },
      request,
    );
    return { ok: true, data: joined };
  },

  async leave(params, context) {
    if (!(await allowed(context, params.sessionId))) return fail(forbiddenError());
    const left = context.core.fanout.removeMember(params.sessionId, context.socket.id);
    return { ok: true, data: { sessionId: params.sessionId, left } };
  },

  async 'chat.send'(params, context) {
    const { core, socket } = context;
    if (!(await allowed(context, params.sessionId))) return fail(forbiddenError());
    const session = await core.sessions.getOrCreate(params.sessionId);
    const started = await core.lifecycle.start({
      session,
      trigger: 'chat',
      idempotencyKey: params.idempotencyKey,
      scopedSocketId: socket.id,
      body: { kind: 'agent', agent: core.agent, text: params.text, userMessage: params.text },
    });
    if ('refused' in started) return fail(started.refused);
    const { run, duplicate } = started;
    return { ok: true, data: { sessionId: session.id, runId: run.runId, status: run.status, duplicate } };
  },

  async 'chat.abort'(params, context) {
    const { core } = context;
    if (!(await allowed(context, params.sessionId))) return fail(forbiddenError());
    const session = await core.sessions.find(params.sessionId);
    const run = session ? await core.lifecycle.find(session, params.runId) : undefined;
    if (!session || !run) return fail(runNotFound(params.sessionId, params.runId));
    if (isTerminalRunStatus(run.status)) return { ok: true, data: { sessionId: session.id, runId: run.runId, aborted: false, status: run.status } };
    const aborted = await core.lifecycle.abort(session, run);
    return { ok: true, data: { sessionId: session.id, runId: run.runId, aborted, status: aborted ? 'aborted' : run.status } };
  },

  async 'run.subscribe'(params, context) {
    const { core, socket } = context;
    if (!(await allowed(context, params.sessionId))) return fail(forbiddenError());
    const session = await core.sessions.find(params.sessionId);
    const run = session ? await core.lifecycle.find(session, params.runId) : undefined;
    if (!run) return fail(runNotFound(params.sessionId, params.runId));
    core.runs.subscribe(run, socket.id);
    return { ok: true, data: { sessionId: params.sessionId, runId: run.runId, status: run.status } };
  },

  async 'sessions.list'(params, context) {
    const { core } = context;
    const limit = params.limit ?? 100;
    return { ok: true, data: { sessions: await core.sessions.list(limit, (sessionId) => allowed(context, sessionId)) } };
  },

  async 'diagnostics.get'(_params, context) {
    return { ok: true, data: context.core.diagnostics.build() };
  },

  async 'diagnostics.subscribe'(params, context) {
    context.core.diagnostics.subscribe(context.outbox, params.enabled);
    return { ok: true, data: { enabled: params.enabled, intervalMs: context.core.diagnostics.intervalMs } };
  },

  async control(params, context) {
    return context.core.control.dispatch(params, context);
  },
};
