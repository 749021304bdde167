import { ErrorCodes, isSupportedProtocolVersion, isTerminalRunStatus, type Joined, type RequestHandlers, type WireError } from '@agent-gateway/schema';
import { forbiddenError, isAuthorized, unsupportedVersionError } from './auth.js';
import type { ConnectionContext } from './core.js';
import { decideResume } from './resume.js';

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
 * without a handler here is a compile error. Every handler gets validated params.
 */
export const requestHandlers: RequestHandlers<ConnectionContext> = {
  async join(params, context) {
    const { core, socket, outbox } = context;
    if (params.protocolVersion !== undefined && !isSupportedProtocolVersion(params.protocolVersion)) {
      return fail(unsupportedVersionError(params.protocolVersion));
    }
    // Authorise before looking the session up, so a refusal is the same whether it exists or not.
    if (!(await allowed(context, params.sessionId))) return fail(forbiddenError());
    const session = await core.sessions.getOrCreate(params.sessionId);
    // Inside the session's serial section no event can be appended, so the replay below and the
    // membership that receives live frames meet at exactly head.cursor.
    return session.serial.run(async () => {
      const head = await session.log.head();
      const decision = decideResume({ since: params.since, epoch: params.epoch }, head, core.faults);
      const joined: Joined = {
        sessionId: session.id,
        epoch: head.epoch,
        cursor: head.cursor,
        oldestCursor: head.oldestCursor,
        resyncRequired: decision.resyncRequired,
        ...(decision.kind === 'snapshot' ? { reason: decision.reason } : {}),
        protocolVersion: socket.data.protocolVersion,
      };
      core.fanout.removeMember(session.id, socket.id);
      outbox.emit('joined', joined);
      if (decision.kind === 'replay') {
        core.diagnostics.counters.replays += 1;
        const member = core.fanout.addMember(session.id, outbox, decision.fromCursor);
        const entries = await session.log.read(decision.fromCursor, head.cursor);
        for (const entry of entries) {
          // Seqs missing from a read inside the window were compacted: announce them on this frame.
          core.fanout.skip(member, entry.seq - 1, 'compacted');
          core.fanout.send(member, 'replay', { sessionId: session.id, epoch: head.epoch, seq: entry.seq, event: entry.event });
        }
        // Compacted seqs at the very end are announced on the next live frame.
        core.fanout.skip(member, head.cursor, 'compacted');
      } else if (decision.kind === 'snapshot') {
        core.diagnostics.counters.resyncs += 1;
        const queued = core.runs.activeRuns(session.id).find((r) => r.status === 'queued');
        outbox.emit('snapshot', await core.sessions.snapshot(session, queued));
        core.fanout.addMember(session.id, outbox, head.cursor);
      } else {
        core.fanout.addMember(session.id, outbox, head.cursor);
      }
      context.scope.reserveAnswer();
      return { ok: true as const, data: joined };
    });
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
    // Creating the run checks and claims the idempotency key synchronously, so two concurrent
    // retries cannot both start a run.
    const { run, duplicate } = core.runs.create({ sessionId: session.id, trigger: 'chat', idempotencyKey: params.idempotencyKey, scopedSocketId: socket.id });
    if (duplicate) return { ok: true, data: { sessionId: session.id, runId: run.runId, status: run.status, duplicate: true } };
    await core.sessions.append(session, [
      { type: 'message', messageId: `${run.runId}-user`, role: 'user', text: params.text, runId: run.runId, at: Date.now() },
    ]);
    core.executor.queue({ session, run, agent: core.agent, text: params.text });
    return { ok: true, data: { sessionId: session.id, runId: run.runId, status: run.status, duplicate: false } };
  },

  async 'chat.abort'(params, context) {
    const { core } = context;
    if (!(await allowed(context, params.sessionId))) return fail(forbiddenError());
    const session = core.sessions.get(params.sessionId);
    const run = session ? core.runs.getInSession(session.id, params.runId) : undefined;
    if (!session || !run) return fail(runNotFound(params.sessionId, params.runId));
    if (isTerminalRunStatus(run.status)) return { ok: true, data: { sessionId: session.id, runId: run.runId, aborted: false, status: run.status } };
    const aborted = core.executor.abort(session, run);
    return { ok: true, data: { sessionId: session.id, runId: run.runId, aborted, status: aborted ? 'aborted' : run.status } };
  },

  async 'run.subscribe'(params, context) {
    const { core, socket } = context;
    if (!(await allowed(context, params.sessionId))) return fail(forbiddenError());
    const run = core.runs.getInSession(params.sessionId, params.runId);
    if (!run) return fail(runNotFound(params.sessionId, params.runId));
    core.runs.subscribe(run, socket.id);
    return { ok: true, data: { sessionId: params.sessionId, runId: run.runId, status: run.status } };
  },

  async 'sessions.list'(params, context) {
    const { core } = context;
    const limit = params.limit ?? 100;
    let visible: Set<string> | undefined;
    if (core.auth.authorizeSession) {
      visible = new Set();
      for (const session of core.sessions.all()) if (await allowed(context, session.id)) visible.add(session.id);
    }
    return { ok: true, data: { sessions: core.sessions.rows(limit, visible ? (id) => visible.has(id) : undefined) } };
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
