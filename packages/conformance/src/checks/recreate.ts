import { verifies, walk, type Check } from '../check.js';
import { messageEvent } from '../context.js';
import { expect } from '../harness/assert.js';
import { describeSeqDifference } from '../harness/sequence.js';
import { joinOk } from '../harness/session.js';
import { chatSend, joinedClient, randomTail, scriptRun, seededSession, waitRunEnd } from './helpers.js';

export const recreateChecks: Check[] = [
  verifies(['R2.4', 'R2.7'], {
    id: 'session.recreate-new-epoch',
    title:
      'a recreated log gets a new epoch each time, numbers from seq 1 again, and its snapshot and replay hold only the new epoch; no later frame carries an old epoch',
    requires: ['control:session.append', 'control:session.recreate', 'control:run.script'],
    walks: [
      walk('control:session.recreate', 'session:existing', 'session:recreated'),
      walk('control:session.append', 'session:recreated'),
      walk('request:control', 'session:recreated'),
      walk('request:chat.send', 'session:recreated', 'conn:run-scoped'),
      walk('control:run.script', 'session:recreated', 'conn:run-scoped'),
      walk('request:join', 'session:recreated', 'conn:plain'),
      walk('event:snapshot', 'session:recreated', 'conn:plain'),
      walk('event:replay', 'session:recreated', 'conn:plain'),
      walk('event:session.event', 'session:recreated', 'conn:plain'),
    ],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 5);
      const member = await joinedClient(ctx, 'member', seeded.sessionId);
      const first = await ctx.control({ type: 'session.recreate', sessionId: seeded.sessionId });
      const second = await ctx.control({ type: 'session.recreate', sessionId: seeded.sessionId });
      const epochs = [seeded.epoch, first.epoch, second.epoch];
      expect(
        first.epoch !== undefined && second.epoch !== undefined && new Set(epochs).size === 3,
        'recreating a log twice did not give two new epochs',
        'three distinct epochs',
        epochs,
        ['R2.4'],
      );
      const epoch = second.epoch!;
      const appended = await ctx.append(seeded.sessionId, [messageEvent('new epoch one'), messageEvent('new epoch two')]);
      expect(
        appended.epoch === epoch && appended.firstSeq === 1 && appended.lastSeq === 2,
        'the recreated log does not number from seq 1 in the new epoch',
        `seqs 1..2 in epoch ${epoch}`,
        appended,
        ['R2.4'],
      );
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId, since: appended.cursor, epoch });
      const runId = await scriptRun(ctx, seeded.sessionId, [{ type: 'chunks', count: 2, text: 'recreated ' }]);
      await waitRunEnd(ctl, seeded.sessionId, runId);
      const sent = await chatSend(ctl, seeded.sessionId, `after-recreate-${randomTail()}`, 'a turn in the new epoch');
      const sentEnd = await waitRunEnd(ctl, seeded.sessionId, sent.runId);
      expect(sentEnd.frame.epoch === epoch, 'a run after the recreation logs into another epoch', `epoch ${epoch}`, sentEnd.frame, ['R2.4']);
      const fresh = await ctx.client('fresh');
      const outcome = await joinOk(fresh, { sessionId: seeded.sessionId });
      const snap = outcome.snapshots[0];
      expect(snap?.epoch === epoch, 'the snapshot after recreation is not of the new epoch', `snapshot.epoch ${epoch}`, snap?.epoch ?? null, ['R2.7']);
      const texts = snap.messages.map((m) => m.text);
      expect(
        texts.includes('new epoch one') && !texts.some((t) => t.startsWith('seed message')),
        'the snapshot after recreation mixes in messages of the old epoch (or lacks the new ones)',
        'only the messages of the new epoch',
        texts,
        ['R2.7'],
      );
      const replay = await joinOk(fresh, { sessionId: seeded.sessionId, since: 0, epoch });
      const difference = describeSeqDifference(
        Array.from({ length: replay.joined.cursor }, (_, i) => i + 1),
        replay.replayed.map((f) => f.frame.seq),
      );
      expect(difference.length === 0, 'a replay of the new epoch from 0 is not complete', `seqs 1..${replay.joined.cursor}`, difference, ['R2.4']);
      await member.conn.barrier();
      const stale = member.conn.frames(seeded.sessionId).filter((f) => f.packetIndex > member.afterAck && f.frame.epoch === seeded.epoch);
      expect(
        stale.length === 0,
        'a connection joined before the recreation received frames of the old epoch afterwards',
        'frames after the recreation carry the new epoch (or none arrive)',
        stale.map((f) => f.frame.seq),
        ['R2.4'],
      );
      if (member.conn.frames(seeded.sessionId).some((f) => f.frame.epoch === epoch))
        ctx.note('the connection joined before the recreation follows the new epoch live');
    },
  }),
];
