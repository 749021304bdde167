import { isTerminalToolPhase, type ToolPhase } from '@agent-gateway/schema';
import type { MirrorDecision } from './fanout.js';

/** Everything the rule needs to decide about one tool event for one recipient socket. */
export interface MirrorPolicyContext {
  phase: ToolPhase;
  /** The recipient started the run or subscribed to it: it gets every phase as session.event. */
  runScoped: boolean;
  /** The gateway is inside a pressure back-off window. */
  backoffActive: boolean;
  /** Bytes waiting in the recipient's outgoing buffer. */
  bufferedBytes: number;
  /** Above this many buffered bytes the recipient is a slow consumer. */
  slowConsumerBytes: number;
  faults?: { dropTerminalMirrorsUnderPressure?: boolean };
}

/** Default bound of a socket's outgoing buffer before non-terminal mirrors are dropped for it. */
export const DEFAULT_SLOW_CONSUMER_BYTES = 1 << 20;

/**
 * Which tool events may be withheld: only non-terminal mirrors, and only while the gateway backs
 * off or the recipient cannot keep up. Terminal phases close a client's tool card, so dropping one
 * leaves the card spinning forever; run-scoped recipients are driving the run and need every phase.
 */
export function decideMirror(ctx: MirrorPolicyContext): MirrorDecision {
  if (ctx.runScoped) return 'deliver';
  if (isTerminalToolPhase(ctx.phase)) {
    // Deliberately broken variant for conformance mutant tests.
    if (ctx.faults?.dropTerminalMirrorsUnderPressure && ctx.backoffActive) return 'suppress';
    return 'deliver';
  }
  if (ctx.backoffActive) return 'suppress';
  if (ctx.bufferedBytes > ctx.slowConsumerBytes) return 'suppress';
  return 'deliver';
}
