// A token source shared by the paced agent in the gateway host and the raw server's paced loop, so
// both sides produce exactly the same timing: one event per turn of the event loop when on schedule
// (the way a model's tokens arrive, each in its own network read), several when behind. Each token
// carries the monotonic clock at the moment it was produced (process.hrtime is CLOCK_MONOTONIC, one
// clock for every process on the machine), so a client can measure produce -> receipt.
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Yield `count` stamped token texts at `ratePerSecond`.
 * @param {number} count
 * @param {number} ratePerSecond
 * @param {AbortSignal} [signal]
 * @returns {AsyncGenerator<string>}
 */
export async function* pacedTokens(count, ratePerSecond, signal) {
  const intervalNs = BigInt(Math.max(1, Math.round(1e9 / ratePerSecond)));
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const due = start + intervalNs * BigInt(i);
    while (process.hrtime.bigint() < due) {
      if (signal?.aborted) return;
      await nextTurn();
    }
    yield `${process.hrtime.bigint()} `;
  }
}
