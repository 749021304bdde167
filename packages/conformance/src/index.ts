export { Requirements, findRequirement, type Requirement, type RequirementId, type RequirementLevel } from './requirements.js';
export { verifies, type Check, type CheckDefinition, type CheckRequirement } from './check.js';
export { allChecks } from './checks/index.js';
export { CheckContext, messageEvent, type SuiteConfig, type Discovery, type AuthOverrides } from './context.js';
export { Connection, FRAME_EVENTS, type FrameSource, type ObservedFrame, type Packet } from './harness/connection.js';
export { judgeSequence, type SequenceVerdict } from './harness/sequence.js';
export { joinSession, joinOk, framesAfter, type JoinOutcome } from './harness/session.js';
export { CheckFailure, NotTestable, SkipCheck, CheckTimeout } from './harness/errors.js';
export { WireLog, type WireEntry, type SchemaViolation } from './harness/wire-log.js';
export {
  runSuite,
  discover,
  selectChecks,
  checkLevel,
  buildReport,
  suiteVersion,
  ConfigError,
  type Verdict,
  type CheckAttempt,
  type CheckResult,
  type SuiteReport,
  type RequirementSummary,
  type RunOptions,
} from './runner.js';
export { parseExpectedFailures } from './expected-failures.js';
export { renderMarkdown } from './reporters/markdown.js';
export { renderJson } from './reporters/json.js';
export { renderJunit } from './reporters/junit.js';
export { renderPrettySummary, progressLine, failureDetails } from './reporters/pretty.js';
