import type { ControlCommandName } from '@agent-gateway/schema';
import type { CheckContext } from './context.js';
import type { MatrixRow, MatrixState } from './matrix/axes.js';

/**
 * What a check needs from the gateway under test:
 * - `control:<command>`: a control command; missing means the check is not testable (a failure).
 * - `feature:peer`: a second node of the same cluster (`--peer-url`); missing means skipped.
 * - `feature:token`: the gateway authenticates with a token the suite was given (`--token`); missing means skipped.
 * - `feature:forbidden-prefix`: session ids with this prefix are refused to the suite's principal (`--forbidden-prefix`); missing means skipped.
 * - `feature:foreign-origin`: a browser origin the gateway's allowlist refuses (`--foreign-origin`); missing means skipped.
 * - `feature:limits-token`: a token of a principal the suite may exhaust (`--limits-token`); missing means skipped.
 * - `feature:restart`: a command that restarts the gateway on its durable store (`--restart-command`); missing means skipped.
 */
export type CheckRequirement =
  | `control:${ControlCommandName}`
  | 'feature:peer'
  | 'feature:token'
  | 'feature:forbidden-prefix'
  | 'feature:foreign-origin'
  | 'feature:limits-token'
  | 'feature:restart';

/**
 * One row of the coverage matrix and the states in which a check exercises it. `absent` marks a
 * walk that verifies the message does NOT arrive in those states (no hello after a refused
 * handshake), so it is not expected on the wire.
 */
export interface Walk {
  row: MatrixRow;
  states: readonly MatrixState[];
  absent?: boolean;
}

export function walk(row: MatrixRow, ...states: MatrixState[]): Walk {
  return { row, states };
}

/** A walk that verifies the message does not arrive in these states. */
export function walkAbsent(row: MatrixRow, ...states: MatrixState[]): Walk {
  return { row, states, absent: true };
}

export interface CheckDefinition {
  /** Stable identifier, `area.what-it-verifies`; reports and expected-failure files refer to it. */
  id: string;
  title: string;
  requires?: CheckRequirement[];
  /**
   * Control commands the check uses when the gateway has them and replaces by the public protocol
   * when not (seeding a session by chat.send instead of session.append). They do not raise the
   * check's level, so a gateway without a control surface still gets the check.
   */
  prefers?: `control:${ControlCommandName}`[];
  /**
   * Clauses of requirements that have them (`R6.1#authentication`): a requirement with clauses is
   * verified only when every clause has a passing check.
   */
  covers?: string[];
  /** The cells of the coverage matrix this check walks. */
  walks?: Walk[];
  /** Extra time budget over the configured per-check timeout (floods, large streams). */
  timeoutFactor?: number;
  run: (ctx: CheckContext) => Promise<void>;
}

export interface Check extends CheckDefinition {
  /** The requirement IDs this check verifies (first one is the primary). */
  requirements: string[];
}

/** Declare a check and the requirement(s) it verifies. */
export function verifies(requirement: string | string[], definition: CheckDefinition): Check {
  return { ...definition, requirements: Array.isArray(requirement) ? requirement : [requirement] };
}

/** The control commands a check declares it needs. */
export function controlNeeds(check: Pick<CheckDefinition, 'requires'>): ControlCommandName[] {
  return (check.requires ?? []).filter((r) => r.startsWith('control:')).map((r) => r.slice('control:'.length) as ControlCommandName);
}

/** Every control command a check may send: the ones it needs and the ones it prefers. */
export function controlUses(check: Pick<CheckDefinition, 'requires' | 'prefers'>): ControlCommandName[] {
  return [...controlNeeds(check), ...(check.prefers ?? []).map((r) => r.slice('control:'.length) as ControlCommandName)];
}
