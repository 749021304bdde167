/**
 * The retry guard of chat.send (R4.3): an idempotency key maps to its run for `windowMs` after the
 * run was created, whatever the run's status. A key is scoped to its session: the same key in two
 * sessions names two runs.
 */
export class IdempotencyGuard {
  private readonly byKey = new Map<string, { runId: string; expiresAt: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** The run this key names in this session, while the guard window lasts. */
  find(sessionId: string, key: string): string | undefined {
    const entry = this.byKey.get(keyOf(sessionId, key));
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.byKey.delete(keyOf(sessionId, key));
      return undefined;
    }
    return entry.runId;
  }

  claim(sessionId: string, key: string, runId: string, createdAt: number): void {
    this.byKey.set(keyOf(sessionId, key), { runId, expiresAt: createdAt + this.windowMs });
  }

  /** Forget one key, if it still names that run. */
  forget(sessionId: string, key: string, runId: string): void {
    if (this.byKey.get(keyOf(sessionId, key))?.runId === runId) this.byKey.delete(keyOf(sessionId, key));
  }

  /** Forget keys whose window has passed. */
  prune(): void {
    const now = this.now();
    for (const [key, entry] of this.byKey) if (entry.expiresAt <= now) this.byKey.delete(key);
  }
}

function keyOf(sessionId: string, key: string): string {
  return `${sessionId}\u0000${key}`;
}
