import { isTerminalToolPhase, type ToolPhase } from '@agent-gateway/schema';
import type { MirrorDecision, MirrorPolicy } from './fanout.js';

/** Everything a mirror rule needs to decide about one tool event for one recipient socket. */
export interface MirrorRuleContext {
  phase: ToolPhase;
  /** The recipient started the run or subscribed to it: it gets every phase as session.event. */
  runScoped: boolean;
  /** The gateway is inside a pressure back-off window. */
  backoffActive: boolean;
  /** Output the recipient still owes: bytes queued in its outbox plus its transport buffers. */
  bufferedBytes: number;
  /** Above this many buffered bytes the recipient is a slow consumer. */
  slowConsumerBytes: number;
}

/** Decides whether one session.tool mirror goes out. A gateway option, so embedders may choose theirs. */
export type MirrorRule = (context: MirrorRuleContext) => MirrorDecision;

/** Default bound of a socket's outgoing buffer before non-terminal mirrors are dropped for it. */
export const DEFAULT_SLOW_CONSUMER_BYTES = 1 << 20;

/**
 * The protocol's rule (R3.4): only non-terminal mirrors may be withheld, and only while the
 * gateway backs off or the recipient cannot keep up. Terminal phases close a client's tool card, so
 * dropping one leaves the card spinning forever; run-scoped recipients are driving the run and need
 * every phase.
 */
export const decideMirror: MirrorRule = (ctx) => {
  if (ctx.runScoped) return 'deliver';
  if (isTerminalToolPhase(ctx.phase)) return 'deliver';
  if (ctx.backoffActive) return 'suppress';
  if (ctx.bufferedBytes > ctx.slowConsumerBytes) return 'suppress';
  return 'deliver';
};

/** The part of the pressure monitor a mirror policy reads and reports to. */
export interface BackoffSource {
  isBackoffActive(): boolean;
  recordMirror(decision: MirrorDecision): void;
}

/**
 * The fan-out's mirror policy: the rule fed with the gateway's back-off state and the recipient's
 * buffer. The fan-out asks only about mirrors (sockets not run-scoped for the run).
 */
export function pressureAwareMirrorPolicy(pressure: BackoffSource, slowConsumerBytes: number, rule: MirrorRule = decideMirror): MirrorPolicy {
  return (ctx) => {
    const backoffActive = pressure.isBackoffActive();
    const decision = rule({
      phase: ctx.event.phase,
      runScoped: false,
      backoffActive,
      // Only read when it can matter.
      bufferedBytes: ctx.terminal || backoffActive ? 0 : ctx.pendingBytes(),
      slowConsumerBytes,
    });
    pressure.recordMirror(decision);
    return decision;
  };
}
