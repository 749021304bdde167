/*
 * Runs: one lifecycle for every run (start, lane, play, end in the protocol's order), the session
 * lanes that serialise them, the registry of runs with its idempotency guard.
 */
export { RunLifecycle, type RunBody, type StartRun, type StartedRun, type RefusedRun, type RunLifecycleOptions } from './lifecycle.js';
export { clearProjectionFirst, type RunEndOrder, type RunEndSteps } from './run-end.js';
export { closeToolCalls, playAgentTurn, type RunOutcome } from './agent-turn.js';
export { RunRegistry, newRunId, type RunRecord, type RemoteRun, type CreateRunInput, type CreateRunOutcome } from './registry.js';
export { IdempotencyGuard } from './idempotency.js';
export type { RunCoordinator } from './coordinator.js';
export { Lane, type LaneTurn, type LaneEvents, type LaneGate } from './lane.js';
