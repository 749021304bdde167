import type { Check } from '../check.js';
import { abortChecks } from './abort.js';
import { controlChecks } from './control-surface.js';
import { durabilityChecks } from './durability.js';
import { envelopeChecks } from './envelope.js';
import { heartbeatChecks } from './heartbeats.js';
import { limitChecks } from './limits.js';
import { membershipChecks } from './membership.js';
import { recreateChecks } from './recreate.js';
import { refusalChecks } from './refusals.js';
import { replayChecks } from './replay.js';
import { resumeChecks } from './resume.js';
import { runChecks } from './runs.js';
import { scaleChecks } from './scale.js';
import { scopeChecks } from './scope.js';
import { securityChecks } from './security.js';
import { sessionListChecks } from './session-list.js';
import { slowConsumerChecks } from './slow-consumer.js';
import { snapshotChecks } from './snapshots.js';
import { streamChecks } from './streams.js';
import { toolChecks } from './tools.js';

/**
 * Every check of the suite, in run order. Checks that load the gateway (the slow consumer's large
 * stream) or change gateway-wide state (pressure) run late; the per-principal bounds, which use
 * up a principal's budget, last of all.
 */
export const allChecks: readonly Check[] = [
  ...envelopeChecks,
  ...refusalChecks,
  ...resumeChecks,
  ...replayChecks,
  ...recreateChecks,
  ...streamChecks,
  ...snapshotChecks,
  ...membershipChecks,
  ...runChecks,
  ...sessionListChecks,
  ...scopeChecks,
  ...abortChecks,
  ...heartbeatChecks,
  ...securityChecks,
  ...controlChecks,
  ...scaleChecks,
  ...durabilityChecks,
  ...slowConsumerChecks,
  ...toolChecks,
  ...limitChecks,
];
