import type { Check } from '../check.js';
import { envelopeChecks } from './envelope.js';
import { heartbeatChecks } from './heartbeats.js';
import { resumeChecks } from './resume.js';
import { runChecks } from './runs.js';
import { securityChecks } from './security.js';
import { streamChecks } from './streams.js';
import { toolChecks } from './tools.js';

/** Every check of the suite, in run order. Checks that change gateway-wide state (pressure) run late. */
export const allChecks: readonly Check[] = [
  ...envelopeChecks,
  ...resumeChecks,
  ...streamChecks,
  ...runChecks,
  ...heartbeatChecks,
  ...securityChecks,
  ...toolChecks,
];
