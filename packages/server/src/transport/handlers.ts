import { ErrorCodes, invalidMessageError, isSupportedProtocolVersion, isTerminalRunStatus, type RequestHandlers, type WireError } from '@agent-gateway/schema';
import type { ConnectionContext } from '../core.js';
import { decodeListCursor, encodeListCursor, LimitExceededError, type Session } from '../sessions/index.js';
import { forbiddenError, isAuthorized, listVisibility, unsupportedVersionError } from './auth.js';

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
 * The session, created on behalf of this connection's principal when the gateway does not hold it.
 * A limit reached is answered LIMIT_EXCEEDED, having created nothing.
 */
async function sessionFor(context: ConnectionContext, sessionId: string): Promise<{ ok: true; session: Session } | { ok: false; error: WireError }> {
  try {
    return { ok: true, session: await context.core.sessions.getOrCreate(sessionId, context.principal.id) };
  } catch (error) {
    if (error instanceof LimitExceededError) return { ok: false, error: error.wireError };
    throw error;
  }
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
    const found = await sessionFor(context, params.sessionId);
    if (!found.ok) return fail(found.error);
    const { session } = found;
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
    context.core.listFeed.unfollow(params.sessionId, context.socket.id);
    return { ok: true, data: { sessionId: params.sessionId, left } };
  },

  async 'chat.send'(params, context) {
    const { core, socket, outbox } = context;
    if (!(await allowed(context, params.sessionId))) return fail(forbiddenError());
    const found = await sessionFor(context, params.sessionId);
    if (!found.ok) return fail(found.error);
    const { session } = found;
    const started = await core.lifecycle.start({
      session,
      trigger: 'chat',
      idempotencyKey: params.idempotencyKey,
      scopedSocketId: socket.id,
      body: { kind: 'agent', agent: core.agent, text: params.text, userMessage: params.text },
    });
    if ('refused' in started) return fail(started.refused);
    const { run, duplicate } = started;
    // The sender hears how its run shows in the session list, joined or not.
    core.listFeed.follow(session.id, outbox);
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
    core.listFeed.follow(params.sessionId, context.outbox);
    return { ok: true, data: { sessionId: params.sessionId, runId: run.runId, status: run.status } };
  },

  async 'sessions.list'(params, context) {
    const { core } = context;
    const limit = params.limit ?? 100;
    const after = params.cursor === undefined ? undefined : decodeListCursor(params.cursor);
    if (params.cursor !== undefined && !after) {
      return fail(
        invalidMessageError('sessions.list', [
          { path: '/cursor', message: 'is not a cursor this gateway issued (pass nextCursor back unchanged)', keyword: 'format' },
        ]),
      );
    }
    const page = await core.sessions.list(limit, after, (sessionId) => allowed(context, sessionId));
    return { ok: true, data: { sessions: page.rows, ...(page.next ? { nextCursor: encodeListCursor(page.next) } : {}) } };
  },

  async 'sessions.subscribe'(params, context) {
    const { core, principal } = context;
    core.listFeed.subscribe(context.outbox, params.enabled, params.prefix, listVisibility(core.auth, principal));
    return {
      ok: true,
      data: {
        enabled: params.enabled,
        ...(params.enabled && params.prefix !== undefined ? { prefix: params.prefix } : {}),
        maxCreatedPerWindow: core.listFeed.maxCreatedPerWindow,
        windowMs: core.listFeed.windowMs,
      },
    };
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
