import type { ControlCommandName } from '@agent-gateway/schema';
import type { CheckContext } from './context.js';

/**
 * What a check needs from the gateway under test:
 * - `control:<command>`: a control command; missing means the check is not testable (a failure).
 * - `feature:peer`: a second node of the same cluster (`--peer-url`); missing means skipped.
 * - `feature:token`: the gateway authenticates with a token the suite was given (`--token`); missing means skipped.
 * - `feature:forbidden-prefix`: session ids with this prefix are refused to the suite's principal (`--forbidden-prefix`); missing means skipped.
 */
export type CheckRequirement = `control:${ControlCommandName}` | 'feature:peer' | 'feature:token' | 'feature:forbidden-prefix';

export interface CheckDefinition {
  /** Stable identifier, `area.what-it-verifies`; reports and expected-failure files refer to it. */
  id: string;
  title: string;
  requires?: CheckRequirement[];
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
