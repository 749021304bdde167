import type { SuiteReport } from '../report.js';

/** "Control level 1 of 2 (…); next: implement X, Y to unlock N more checks (X alone: a, …)". */
export function levelLines(report: SuiteReport): string[] {
  const { gateway, claimed, next } = report.controlLevel;
  const lines = [
    `Control level: the gateway provides level ${gateway} of 2${claimed < 2 ? `; this run claims level ${claimed} (--level ${claimed}), checks above it are skipped` : ''}.`,
  ];
  if (next) {
    const alone = next.byCommand
      .filter((c) => c.checks > 0)
      .map((c) => `${c.command} alone: ${c.checks}`)
      .join(', ');
    lines.push(
      `Next: implement ${next.commands.join(', ')} (level ${next.level}) to unlock ${next.checks} more check${next.checks === 1 ? '' : 's'}${alone ? ` (${alone})` : ''}.`,
    );
  }
  return lines;
}
