import type { SuiteReport } from '../runner.js';

export function renderJson(report: SuiteReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
