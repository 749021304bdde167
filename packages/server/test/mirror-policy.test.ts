import { describe, expect, it } from 'vitest';
import type { ToolPhase } from '@agent-gateway/schema';
import { decideMirror, type MirrorRuleContext } from '../src/delivery/index.js';
import { mutants } from '../src/testing/index.js';

const base: MirrorRuleContext = { phase: 'start', runScoped: false, backoffActive: false, bufferedBytes: 0, slowConsumerBytes: 1_000 };
const phases: ToolPhase[] = ['start', 'update', 'end', 'error', 'result'];
const terminal = new Set<ToolPhase>(['end', 'error', 'result']);

describe('mirror policy', () => {
  it('delivers everything when there is no pressure and the consumer keeps up', () => {
    for (const phase of phases) expect(decideMirror({ ...base, phase })).toBe('deliver');
  });

  it('suppresses only non-terminal mirrors during back-off', () => {
    for (const phase of phases) expect(decideMirror({ ...base, phase, backoffActive: true })).toBe(terminal.has(phase) ? 'deliver' : 'suppress');
  });

  it('suppresses only non-terminal mirrors for a slow consumer', () => {
    for (const phase of phases) expect(decideMirror({ ...base, phase, bufferedBytes: 1_001 })).toBe(terminal.has(phase) ? 'deliver' : 'suppress');
    expect(decideMirror({ ...base, bufferedBytes: 1_000 })).toBe('deliver');
  });

  it('always delivers to run-scoped recipients', () => {
    for (const phase of phases) expect(decideMirror({ ...base, phase, runScoped: true, backoffActive: true, bufferedBytes: 1e9 })).toBe('deliver');
  });

  it('the dropTerminalMirrorsUnderPressure rule drops terminal mirrors during back-off only', () => {
    const broken = mutants.dropTerminalMirrorsUnderPressure.options.mirrorRule;
    expect(broken({ ...base, phase: 'end', backoffActive: true })).toBe('suppress');
    expect(broken({ ...base, phase: 'end', backoffActive: false })).toBe('deliver');
    expect(broken({ ...base, phase: 'end', backoffActive: true, runScoped: true })).toBe('deliver');
  });
});
