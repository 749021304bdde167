/** A per-check record of every packet in both directions, for failure reports. */
export type WireDirection = 'out' | 'in' | 'ack' | 'note';

export interface WireEntry {
  /** Milliseconds since the check started. */
  atMs: number;
  connection: string;
  direction: WireDirection;
  event: string;
  payload: unknown;
}

export interface SchemaViolation {
  connection: string;
  direction: 'in' | 'ack' | 'out';
  event: string;
  schema: string;
  issues: { path: string; message: string; keyword: string }[];
  payload: unknown;
}

/** Keep failure reports readable: long strings and arrays are shortened in the log, never in the checks. */
function abbreviate(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > 80 ? `${value.slice(0, 60)}…(${value.length} chars)` : value;
  if (Array.isArray(value)) {
    if (depth > 4) return `[array of ${value.length}]`;
    const head = value.slice(0, 3).map((v) => abbreviate(v, depth + 1));
    return value.length > 3 ? [...head, `…(${value.length - 3} more)`] : head;
  }
  if (value && typeof value === 'object') {
    if (depth > 4) return '{…}';
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = abbreviate(v, depth + 1);
    return out;
  }
  return value;
}

export class WireLog {
  readonly entries: WireEntry[] = [];
  readonly violations: SchemaViolation[] = [];
  private readonly startedAt = performance.now();

  record(connection: string, direction: WireDirection, event: string, payload: unknown): void {
    this.entries.push({ atMs: Math.round(performance.now() - this.startedAt), connection, direction, event, payload: abbreviate(payload) });
  }

  violation(v: SchemaViolation): void {
    this.violations.push({ ...v, payload: abbreviate(v.payload) });
  }

  /** The last `limit` entries rendered one per line. */
  render(limit = 60): string[] {
    const shown = this.entries.slice(-limit);
    const lines = shown.map((e) => {
      const arrow = e.direction === 'out' ? '->' : e.direction === 'in' ? '<-' : e.direction === 'ack' ? '<=' : '##';
      const line = `${String(e.atMs).padStart(6)}ms ${e.connection} ${arrow} ${e.event} ${JSON.stringify(e.payload)}`;
      return line.length > 600 ? `${line.slice(0, 600)}…` : line;
    });
    if (this.entries.length > limit) lines.unshift(`… ${this.entries.length - limit} earlier packets not shown`);
    return lines;
  }
}
