import { ControlCommandNames, type ControlCommandName } from '@agent-gateway/schema';
import { controlNeeds, type Check } from './check.js';

/**
 * Levels of the control surface, so a third-party gateway can adopt it step by step:
 * - 0: no control surface; only what the public protocol can cause is checked.
 * - 1: logs and scripted runs (append, trim, recreate, script, release, capabilities).
 * - 2: load and lanes (pressure and pressure pulses, lane holds, heartbeats, system events, cleanup
 *   delay, the period of the diagnostics event).
 */
export type ControlLevel = 0 | 1 | 2;
export const MAX_LEVEL: ControlLevel = 2;

export const CONTROL_LEVELS: Record<ControlCommandName, 1 | 2> = {
  capabilities: 1,
  'session.append': 1,
  'session.trim': 1,
  'session.recreate': 1,
  'run.script': 1,
  'run.release': 1,
  'pressure.set': 2,
  'lane.hold': 2,
  'lane.release': 2,
  'system.enqueue': 2,
  'heartbeat.trigger': 2,
  'cleanup.delay': 2,
  'pressure.pulse': 2,
  'diagnostics.interval': 2,
};

export function commandsOfLevel(level: ControlLevel): ControlCommandName[] {
  return ControlCommandNames.filter((c) => CONTROL_LEVELS[c] === level);
}

/** The level a check needs: the highest level of the control commands it requires. */
export function checkControlLevel(check: Check): ControlLevel {
  return controlNeeds(check).reduce<ControlLevel>((level, c) => (CONTROL_LEVELS[c] > level ? CONTROL_LEVELS[c] : level), 0);
}

/** The highest level whose commands (and those of every lower level) the gateway all provides. */
export function gatewayLevel(commands: readonly string[]): ControlLevel {
  let level: ControlLevel = 0;
  for (const next of [1, 2] as const) {
    if (!commandsOfLevel(next).every((c) => commands.includes(c))) break;
    level = next;
  }
  return level;
}

export interface Unlock {
  /** The level the missing commands belong to. */
  level: ControlLevel;
  commands: ControlCommandName[];
  /** Checks that become testable once all `commands` are provided. */
  checks: number;
  /** For each missing command, the checks it alone would make testable. */
  byCommand: { command: ControlCommandName; checks: number }[];
}

/**
 * What to implement next: the missing commands of the lowest incomplete level and how many checks
 * they would make testable. Undefined when the gateway provides every command.
 */
export function nextUnlock(checks: readonly Check[], provided: readonly string[]): Unlock | undefined {
  const current = gatewayLevel(provided);
  if (current === MAX_LEVEL) return undefined;
  const level = (current + 1) as ControlLevel;
  const missing = commandsOfLevel(level).filter((c) => !provided.includes(c));
  const blockedOnlyBy = (check: Check, set: readonly string[]) => {
    const lacking = controlNeeds(check).filter((c) => !provided.includes(c));
    return lacking.length > 0 && lacking.every((c) => set.includes(c));
  };
  return {
    level,
    commands: missing,
    checks: checks.filter((c) => blockedOnlyBy(c, missing)).length,
    byCommand: missing
      .map((command) => ({ command, checks: checks.filter((c) => blockedOnlyBy(c, [command])).length }))
      .sort((a, b) => b.checks - a.checks || a.command.localeCompare(b.command)),
  };
}
