export { Requirements, findRequirement, type Requirement, type RequirementClause, type RequirementId, type RequirementLevel } from './requirements.js';
export { verifies, walk, walkAbsent, controlNeeds, type Check, type CheckDefinition, type CheckRequirement, type Walk } from './check.js';
export { MATRIX_ROWS, MATRIX_STATES, STATE_MEANING, type MatrixRow, type MatrixState } from './matrix/axes.js';
export { computeMatrix, type CoverageMatrix, type MatrixCell, type CellStatus } from './matrix/matrix.js';
export { CELL_EXPLANATIONS, type CellExplanation } from './matrix/not-walked.js';
export { CONTROL_LEVELS, checkControlLevel, gatewayLevel, nextUnlock, type ControlLevel, type Unlock } from './levels.js';
export { allChecks } from './checks/index.js';
export { CheckContext, messageEvent, type SuiteConfig, type Discovery, type AuthOverrides } from './context.js';
export { Connection, FRAME_EVENTS, type FrameSource, type ObservedFrame, type Packet } from './harness/connection.js';
export { judgeSequence, describeSeqDifference, type SequenceVerdict, type SequenceOptions, type SkipReason } from './harness/sequence.js';
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
  type RequirementVerdict,
  type RunOptions,
} from './runner.js';
export { parseExpectedFailures } from './expected-failures.js';
export { renderMarkdown } from './reporters/markdown.js';
export { renderJson } from './reporters/json.js';
export { renderJunit } from './reporters/junit.js';
export { renderPrettySummary, progressLine, failureDetails } from './reporters/pretty.js';
