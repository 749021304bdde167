import { describe, expect, it } from 'vitest';
import type { ToolPhase } from '@agent-gateway/schema';
import { decideMirror, type MirrorPolicyContext } from '../src/mirror-policy.js';

const base: MirrorPolicyContext = { phase: 'start', runScoped: false, backoffActive: false, bufferedBytes: 0, slowConsumerBytes: 1_000 };
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

  it('drops terminal mirrors under pressure with the fault on', () => {
    const faults = { dropTerminalMirrorsUnderPressure: true };
    expect(decideMirror({ ...base, phase: 'end', backoffActive: true, faults })).toBe('suppress');
    expect(decideMirror({ ...base, phase: 'end', backoffActive: false, faults })).toBe('deliver');
    expect(decideMirror({ ...base, phase: 'end', backoffActive: true, runScoped: true, faults })).toBe('deliver');
  });
});
