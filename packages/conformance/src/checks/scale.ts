import { verifies, walk, type Check } from '../check.js';
import { messageEvent } from '../context.js';
import { expect } from '../harness/assert.js';
import { joinOk } from '../harness/session.js';
import { chatSend, randomTail, seededSession, waitRunEnd } from './helpers.js';

export const scaleChecks: Check[] = [
  verifies('R7.1', {
    id: 'scale.single-process-log',
    walks: [walk('event:session.event', 'session:existing', 'conn:plain')],
    title: 'one gateway keeps one log per session shared by all its connections',
    prefers: ['control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 3);
      const a = await ctx.client('a');
      const b = await ctx.client('b');
      const ja = await joinOk(a, { sessionId: seeded.sessionId, since: 0, epoch: seeded.epoch });
      const jb = await joinOk(b, { sessionId: seeded.sessionId, since: 0, epoch: seeded.epoch });
      expect(
        ja.joined.epoch === jb.joined.epoch && ja.joined.cursor === seeded.cursor && jb.joined.cursor === seeded.cursor,
        'two connections see different logs',
        `same epoch and cursor ${seeded.cursor} for both`,
        [ja.joined, jb.joined],
      );
      // One new event, through the control surface when there is one, else a chat turn from a.
      let lastSeq: number;
      if (ctx.canControl('session.append')) lastSeq = (await ctx.append(seeded.sessionId, [messageEvent('shared')])).lastSeq;
      else lastSeq = (await waitRunEnd(a, seeded.sessionId, (await chatSend(a, seeded.sessionId, `shared-${randomTail()}`)).runId)).frame.seq;
      await a.waitForFrame(seeded.sessionId, 'the shared live event', (f) => f.frame.seq === lastSeq);
      await b.waitForFrame(seeded.sessionId, 'the shared live event', (f) => f.frame.seq === lastSeq);
    },
  }),
  verifies('R7.2', {
    id: 'scale.peer-resume',
    walks: [walk('request:join', 'session:existing', 'conn:plain'), walk('event:replay', 'session:existing', 'conn:plain')],
    title: 'a client resumes on another node with the same epoch, cursor and replay',
    requires: ['feature:peer', 'control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 5);
      const peer = ctx.connection('peer', { url: ctx.config.peerUrl });
      await peer.open();
      const outcome = await joinOk(peer, { sessionId: seeded.sessionId, since: 2, epoch: seeded.epoch });
      expect(
        outcome.joined.resyncRequired === false && outcome.joined.epoch === seeded.epoch && outcome.joined.cursor === seeded.cursor,
        'the peer node does not share the log',
        `same epoch, cursor ${seeded.cursor}, replay`,
        outcome.joined,
      );
      expect(
        JSON.stringify(outcome.replayed.map((f) => f.frame.seq)) === JSON.stringify([3, 4, 5]),
        'the peer replay is incomplete',
        'seqs 3, 4, 5',
        outcome.replayed.map((f) => f.frame.seq),
      );
    },
  }),
  verifies('R7.2', {
    id: 'scale.peer-live-fanout',
    walks: [walk('event:session.event', 'session:existing', 'conn:plain')],
    title: 'events appended through one node reach clients of the other node, in order',
    requires: ['feature:peer', 'control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const peer = ctx.connection('peer', { url: ctx.config.peerUrl });
      await peer.open();
      await joinOk(peer, { sessionId: seeded.sessionId, since: seeded.cursor, epoch: seeded.epoch });
      const appended = await ctx.append(seeded.sessionId, [messageEvent('one'), messageEvent('two')]);
      await peer.waitForFrame(seeded.sessionId, 'the fanned-out events', (f) => f.frame.seq === appended.lastSeq);
    },
  }),
];
