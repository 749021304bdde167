import { exec } from 'node:child_process';
import { verifies, walk, type Check } from '../check.js';
import type { CheckContext } from '../context.js';
import { expect } from '../harness/assert.js';
import { CheckFailure } from '../harness/errors.js';
import { describeSeqDifference } from '../harness/sequence.js';
import { joinOk } from '../harness/session.js';
import { seededSession } from './helpers.js';

/** Run the configured restart command; the gateway is expected back at the same URL afterwards. */
function restartGateway(ctx: CheckContext): Promise<void> {
  return new Promise((resolve, reject) => {
    exec(ctx.config.restartCommand!, { signal: ctx.signal, timeout: ctx.budgetMs }, (error, _stdout, stderr) => {
      if (error) reject(new CheckFailure(`the restart command failed: ${error.message}`, ['the restart command exits 0'], stderr.slice(-2000)));
      else resolve();
    });
  });
}

/** Connect until the restarted gateway answers hello (it may need a moment to listen again). */
async function reconnect(ctx: CheckContext) {
  let lastError: unknown;
  for (let attempt = 0; attempt < 20 && !ctx.signal.aborted; attempt++) {
    const conn = ctx.connection(`after-restart-${attempt}`);
    try {
      await conn.open();
      return conn;
    } catch (error) {
      lastError = error;
      conn.close();
    }
  }
  throw lastError instanceof Error ? lastError : new CheckFailure('the gateway did not come back after the restart', ['hello after the restart']);
}

export const durabilityChecks: Check[] = [
  verifies('R7.3', {
    id: 'scale.restart-keeps-epoch',
    title: 'after a restart on a durable store a session keeps its epoch and history: a join with the old cursor replays, it does not resync',
    requires: ['feature:restart', 'control:session.append'],
    timeoutFactor: 6,
    walks: [walk('request:join', 'session:existing', 'conn:plain'), walk('event:replay', 'session:existing', 'conn:plain')],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 6);
      await restartGateway(ctx);
      const conn = await reconnect(ctx);
      const outcome = await joinOk(conn, { sessionId: seeded.sessionId, since: 2, epoch: seeded.epoch });
      expect(
        outcome.joined.epoch === seeded.epoch && outcome.joined.resyncRequired === false && outcome.joined.cursor === seeded.cursor,
        'the restart lost the epoch or the history of the session',
        `epoch ${seeded.epoch}, cursor ${seeded.cursor}, resyncRequired false`,
        outcome.joined,
      );
      const difference = describeSeqDifference(
        [3, 4, 5, 6],
        outcome.replayed.map((f) => f.frame.seq),
      );
      expect(difference.length === 0, 'the replay after the restart is not complete', 'seqs 3..6', difference);
    },
  }),
];
