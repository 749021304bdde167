import type { SessionsChanged, SessionsResync, SessionsSubscribeData } from '@agent-gateway/schema';
import { verifies, walk, type Check } from '../check.js';
import { expect, expectOk } from '../harness/assert.js';
import type { Connection } from '../harness/connection.js';

/** Above this many individual notices per window a storm takes longer to create than the check's budget. */
const LARGEST_TESTABLE_WINDOW = 500;
/** Creations past the window's allowance: enough to need a resync, few enough to stay quick. */
const OVER_THE_WINDOW = 5;

/** Every session id the connection can list, over all pages. */
async function listedIds(conn: Connection): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < 1_000; page++) {
    const data = expectOk(await conn.request('sessions.list', cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor }), 'sessions.list');
    for (const row of data.sessions) ids.add(row.sessionId);
    if (!data.nextCursor) break;
    cursor = data.nextCursor;
  }
  return ids;
}

export const sessionListChecks: Check[] = [
  verifies(['R4.1', 'R6.4'], {
    id: 'sessions.creation-storm-coalesced',
    title:
      'a list subscriber gets at most maxCreatedPerWindow creation notices, then sessions.resync { reason: "coalesced" } counting exactly the creations it was not told about; listing again shows every session',
    covers: ['R6.4#list-storms'],
    walks: [
      walk('request:sessions.subscribe', 'conn:plain'),
      walk('event:sessions.resync', 'conn:plain'),
      walk('event:sessions.changed', 'session:fresh', 'conn:plain'),
    ],
    timeoutFactor: 3,
    run: async (ctx) => {
      if (ctx.hello.protocolVersion === '1.0') return ctx.skip('the gateway speaks 1.0, which has no sessions.subscribe');
      const prefix = ctx.sessionId('storm');
      const subscriber = await ctx.client('subscriber');
      const window: SessionsSubscribeData = expectOk(await subscriber.request('sessions.subscribe', { enabled: true, prefix }), 'sessions.subscribe');
      expect(window.enabled && window.prefix === prefix, 'sessions.subscribe did not echo the filter it applies', `enabled true, prefix ${prefix}`, window);
      if (window.maxCreatedPerWindow > LARGEST_TESTABLE_WINDOW) {
        return ctx.skip(`maxCreatedPerWindow is ${window.maxCreatedPerWindow}; a storm past it takes longer than this check's budget`);
      }

      // The storm: every join sent at once, so they all fall in one window.
      const total = window.maxCreatedPerWindow + OVER_THE_WINDOW;
      const ids = Array.from({ length: total }, (_, i) => `${prefix}-${i}`);
      const creator = await ctx.client('creator');
      const answers = await Promise.all(ids.map((sessionId) => creator.request('join', { sessionId })));
      answers.forEach((answer, i) => expectOk(answer, `join of new session ${ids[i]}`));

      // Every creation is accounted for: told one by one, or counted in a resync.
      const created = () =>
        subscriber.packets
          .filter((p) => p.event === 'sessions.changed' && (p.payload as SessionsChanged).reason === 'created')
          .map((p) => p.payload as SessionsChanged);
      const resyncs = () => subscriber.packets.filter((p) => p.event === 'sessions.resync').map((p) => p.payload as SessionsResync);
      const accounted = () => created().length + resyncs().reduce((sum, r) => sum + r.skipped, 0);
      await subscriber.waitUntil(`notices for all ${total} creations (sessions.changed or sessions.resync)`, () => (accounted() >= total ? true : undefined));
      // Notices still on their way (a second resync at the end of the window) would count twice.
      await new Promise((resolve) => setTimeout(resolve, Math.min(window.windowMs, 2_000) + 100));
      await subscriber.barrier();

      const individual = created();
      const foreign = individual.filter((c) => !c.sessionId.startsWith(prefix));
      expect(
        foreign.length === 0,
        'the subscriber was told of sessions outside its prefix',
        `only ids starting with ${prefix}`,
        foreign.map((c) => c.sessionId),
      );
      expect(
        new Set(individual.map((c) => c.sessionId)).size === individual.length,
        'a creation was announced twice',
        'one created notice per session',
        individual.map((c) => c.sessionId),
      );
      const notices = resyncs();
      expect(
        notices.length >= 1 && notices.every((r) => r.reason === 'coalesced'),
        `${total} creations in one window (allowance ${window.maxCreatedPerWindow}) came without sessions.resync`,
        'at least one sessions.resync { reason: "coalesced" }',
        { created: individual.length, resyncs: notices },
      );
      expect(
        individual.length <= window.maxCreatedPerWindow,
        `${individual.length} creation notices in one window, over the announced allowance`,
        `at most ${window.maxCreatedPerWindow}`,
        individual.length,
      );
      expect(
        accounted() === total,
        'the creations told one by one plus those counted by sessions.resync do not add up to the sessions created',
        `${total} in all`,
        { created: individual.length, skipped: notices.map((r) => r.skipped) },
      );

      // The resync says "list again": the list has every session of the storm.
      const listed = await listedIds(subscriber);
      const missing = ids.filter((id) => !listed.has(id));
      expect(missing.length === 0, 'after sessions.resync the list lacks sessions of the storm', 'every created session listed', missing);
    },
  }),
];
