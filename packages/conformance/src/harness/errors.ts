/**
 * Outcomes a check can end with other than passing. They are thrown from inside a check and
 * classified by the runner: a gateway that behaves wrongly fails, a gateway that lacks a control
 * command is not testable (which counts as failing), a missing optional feature is skipped, and
 * anything else is the harness's own problem.
 */

/** The gateway did something the protocol forbids. */
export class CheckFailure extends Error {
  override readonly name: string = 'CheckFailure';
  constructor(
    message: string,
    readonly expected: readonly string[] = [],
    readonly actual?: unknown,
    /**
     * The requirements this failure falsifies, when narrower than the check's (a check of two
     * requirements whose assertion concerns one of them). Default: the check's requirements.
     */
    readonly blame?: readonly string[],
  ) {
    super(message);
  }
}

/** The check needs a control command the gateway does not implement (or the control surface is off). */
export class NotTestable extends Error {
  override readonly name = 'NotTestable';
}

/** The gateway does not claim an optional feature this check exercises. */
export class SkipCheck extends Error {
  override readonly name = 'SkipCheck';
}

/** The check ran out of its time budget while waiting for something. */
export class CheckTimeout extends CheckFailure {
  override readonly name: string = 'CheckTimeout';
}
