/*
 * The soak run: hundreds of clients (the typed client and raw socket.io-client) against the gateway
 * through a chaos proxy that cuts and stalls their connections, while an operator floods, trims,
 * recreates, presses and wakes sessions. Every frame every client receives goes through the invariant
 * checker; the run ends with a quiet phase and a final audit, and writes docs/reliability.md.
 *
 *   npm run soak                          3 minutes, 200 clients, random seed; writes docs/reliability.md
 *   npm run soak -- --duration 600 --seed 42 --clients 300
 *   npm run soak -- --smoke               20 s, 60 clients, nothing written (part of npm test)
 *   npm run soak -- --mutant partialReplayWhenTooOld   a deliberately broken gateway (a mutant of
 *                                         @agent-gateway/server/testing): the checker must report violations
 *   npm run soak -- --nodes 3             three gateway processes sharing one Redis (REDIS_URL, default
 *                                         127.0.0.1:6379) under a fresh key prefix; node b is SIGKILLed at
 *                                         30 % of the run and restarted (same node id) --restart-after 5 s
 *                                         later; --lease-ttl 4000 ms. Writes its own block of docs/reliability.md
 *
 * Exit code 1 when the checker found a violation that is not listed in soak/expected.ts.
 */
import { parseArgs } from 'node:util';
import type { MutantName } from '@agent-gateway/server/testing';
import { loadLine, machineLine } from '../bench/lib/machine.js';
import { ROOT } from '../bench/lib/processes.js';
import { ChaosProxy } from './chaos-proxy.js';
import { Checker } from './checker.js';
import { connectRedis, GatewayCluster, REDIS_URL, startSingleGateway, type GatewayConfig, type GatewayNode } from './cluster.js';
import { EXPECTED_VIOLATIONS } from './expected.js';
import { auditNodes } from './node-audit.js';
import { NodeFailure } from './node-failure.js';
import { ask, directSocket, Operator } from './operator.js';
import { RawActor } from './raw-actor.js';
import { renderSoak, writeSoakReport } from './report.js';
import { Rng } from './rng.js';
import { RunChecks } from './run-checks.js';
import { settle } from './settle.js';
import { TypedActor, type ActorContext } from './typed-actor.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    seed: { type: 'string' },
    clients: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    nodes: { type: 'string', default: '1' },
    'lease-ttl': { type: 'string', default: '4000' },
    'restart-after': { type: 'string', default: '5' },
    mutant: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<number> {
  const nodeCount = Number(values.nodes);
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 26) throw new Error(`--nodes must be an integer from 1 to 26, got ${values.nodes}`);
  const multi = nodeCount > 1;
  if (multi && values.mutant) throw new Error('--mutant runs against one gateway process; leave out --nodes');
  const smoke = values.smoke;
  const durationSeconds = Number(values.duration ?? (smoke ? 20 : 180));
  const clients = Number(values.clients ?? (smoke ? 60 : 200));
  const seed = Number(values.seed ?? Math.floor(Math.random() * 2 ** 31));
  const leaseTtlMs = Number(values['lease-ttl']);
  const restartAfterMs = Number(values['restart-after']) * 1000;
  if (!(durationSeconds > 0) || !(clients >= 2) || !Number.isInteger(seed)) throw new Error('--duration, --clients and --seed must be positive numbers');
  if (!Number.isInteger(leaseTtlMs) || leaseTtlMs < 100 || !(restartAfterMs >= 0))
    throw new Error('--lease-ttl must be an integer >= 100 (ms), --restart-after >= 0 (s)');
  const mutant = values.mutant ? ` --mutant ${values.mutant}` : '';
  const nodeArgs = multi ? ` --nodes ${nodeCount} --lease-ttl ${leaseTtlMs} --restart-after ${restartAfterMs / 1000}` : '';
  const command = `npm run soak -- --duration ${durationSeconds} --clients ${clients} --seed ${seed}${nodeArgs}${smoke ? ' --smoke' : ''}${mutant}`;
  console.log(`soak: ${command}`);
  if (multi && smoke) {
    // A smoke run is a quick check on any machine: without a Redis it says so and passes.
    const probe = await connectRedis().catch((error: unknown) => error as Error);
    if (probe instanceof Error) {
      console.log(`soak: multi-node smoke skipped: ${probe.message}`);
      return 0;
    }
    probe.disconnect();
  }
  const rng = new Rng(seed);
  const chatSessions = Array.from({ length: smoke ? 8 : 24 }, (_, i) => `soak-chat-${i}`);
  const streamSessions = Array.from({ length: smoke ? 3 : 6 }, (_, i) => `soak-stream-${i}`);

  const config: GatewayConfig = {
    demo: { chunkDelayMs: 5, toolDelayMs: 15 },
    heartbeat: { intervalMs: 3_000, retryBaseMs: 200, retryMaxMs: 2_000 },
    logLevel: 'fatal',
  };
  let cluster: GatewayCluster | undefined;
  let single: Awaited<ReturnType<typeof startSingleGateway>> | undefined;
  // Ctrl-C or a kill of the run: no node and no Redis key of the run may outlive it.
  const interrupted = (signal: NodeJS.Signals) => {
    console.error(`\nsoak: ${signal}: stopping the gateway processes${cluster ? ` and deleting the Redis keys ${cluster.prefix}*` : ''}`);
    void (cluster?.close({ kill: true }) ?? Promise.resolve(0)).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    let nodes: GatewayNode[];
    if (multi) {
      cluster = await GatewayCluster.start({ nodes: nodeCount, leaseTtlMs, config });
      nodes = cluster.nodes;
      console.log(`soak: ${nodeCount} gateway nodes sharing ${REDIS_URL} under the key prefix ${cluster.prefix}`);
    } else {
      single = await startSingleGateway(config, values.mutant as MutantName | undefined);
      nodes = [single.node];
    }
    const killedIndex = 1;
    const runs = new RunChecks();
    const checker = new Checker(runs);
    runs.attach(checker);
    // A direct connection with the control token per node: the operator works on node 0, the others
    // get the same cleanup delay and are asked for their diagnostics at the end.
    const controls = await Promise.all(nodes.map((node) => directSocket(node.url, { controlToken: 'bench-control' })));
    const operatorSocket = controls[0]!;
    const auditor = await directSocket(nodes[0]!.url, {});
    for (const control of controls.slice(1)) await ask(control, 'control', { type: 'cleanup.delay', ms: 150 });
    for (const sessionId of [...chatSessions, ...streamSessions]) {
      await ask(operatorSocket, 'control', {
        type: 'session.append',
        sessionId,
        events: [{ type: 'message', messageId: `${sessionId}-hello`, role: 'system', text: 'soak', at: Date.now() }],
      });
    }
    const baseline = await Promise.all(nodes.map((node) => node.memory()));

    const proxy = new ChaosProxy(
      nodes.map((node) => ({ host: '127.0.0.1', port: Number(new URL(node.url).port) })),
      rng.fork(),
      { meanLifetimeMs: smoke ? 6_000 : 15_000, stallProbability: 0.01, stallMs: [100, 2_500], tickMs: 250 },
    );
    const proxyUrl = await proxy.listen();
    let stopped = false;
    const ctx: ActorContext = { url: proxyUrl, checker, runs, chatSessions, streamSessions, stopped: () => stopped };
    const rawCount = Math.round(clients * 0.4);
    const typed = Array.from({ length: clients - rawCount }, (_, i) => new TypedActor(`typed-${i}`, rng.fork(), ctx));
    const raw = Array.from({ length: rawCount }, (_, i) => new RawActor(`raw-${i}`, rng.fork(), ctx));
    const headOf = (sessionId: string) => Math.max(0, ...[...typed, ...raw].map((a) => a.observer.position(sessionId)?.seq ?? 0));
    const operator = new Operator(operatorSocket, rng.fork(), checker, { chatSessions, streamSessions, headOf, stopped: () => stopped });

    const peakRss = nodes.map(() => 0);
    const sampler = setInterval(() => {
      nodes.forEach(
        (node, i) =>
          void node.rss().then(
            (rss) => (peakRss[i] = Math.max(peakRss[i]!, rss)),
            () => undefined,
          ),
      );
    }, 1_000);
    const started = Date.now();
    // Mid-run one node dies and comes back: its clients reconnect through the proxy to any node.
    const failure = cluster
      ? new NodeFailure({
          cluster,
          index: killedIndex,
          proxy,
          runs,
          started,
          killAfterMs: durationSeconds * 300,
          restartAfterMs,
          restarted: async () => {
            const node = nodes[killedIndex]!;
            controls[killedIndex] = await directSocket(node.url, { controlToken: 'bench-control' });
            await ask(controls[killedIndex], 'control', { type: 'cleanup.delay', ms: 150 });
            baseline[killedIndex] = await node.memory();
            peakRss[killedIndex] = 0;
          },
        })
      : undefined;
    const failed = failure?.run() ?? Promise.resolve();
    const loops: Array<Promise<void>> = [operator.run()];
    // Clients arrive over the first seconds, in small groups.
    for (const [i, actor] of [...typed, ...raw].entries()) {
      loops.push(actor.run().catch((error: unknown) => checker.violation('client-crashed', `${actor.name}: ${String(error)}`)));
      if (i % 20 === 19) await sleep(200);
    }
    // The plateau under load: with several nodes, after the killed one is back.
    await sleep(durationSeconds * (multi ? 600 : 400) - (Date.now() - started));
    await failed;
    const plateau = await Promise.all(nodes.map((node) => node.memory()));
    await sleep(Math.max(0, durationSeconds * 1000 - (Date.now() - started)));
    stopped = true;
    console.log(`soak: workload over after ${((Date.now() - started) / 1000).toFixed(0)} s; calming the network`);
    proxy.calm();
    // Requests in flight finish or time out (the typed client retries a send across disconnects).
    await Promise.all(loops);
    await operator.calm();
    console.log(`soak: clients stopped after ${((Date.now() - started) / 1000).toFixed(0)} s; settling`);

    const audit = await settle({ auditor, checker, typed, raw, sessions: [...chatSessions, ...streamSessions] });
    runs.finish(audit.snapshots, audit.converged);
    console.log(`soak: settled after ${((Date.now() - started) / 1000).toFixed(0)} s; closing clients`);
    for (const actor of typed) await actor.close();
    for (const actor of raw) actor.close();
    await proxy.close();
    const sessionCount = chatSessions.length + streamSessions.length;
    const nodeFacts = await auditNodes({ checker, nodes, controls, snapshots: audit.snapshots, sessionCount, baseline, plateau, peakRss });
    clearInterval(sampler);
    auditor.close();
    for (const control of controls) control.close();
    const clusterFacts = await failure?.facts();
    if (cluster) console.log(`soak: deleted ${await cluster.close()} Redis keys of ${cluster.prefix}`);
    else await single?.stop();

    const expected = new Map(EXPECTED_VIOLATIONS.map((e) => [e.kind, e.short] as const));
    const block = renderSoak(
      {
        command,
        seed,
        durationSeconds,
        mode: multi
          ? `${smoke ? 'smoke, ' : ''}${nodeCount} gateway processes sharing one Redis, one SIGKILLed mid-run and restarted`
          : smoke
            ? 'smoke'
            : 'one gateway process (in-memory store)',
        machine: `${machineLine()}; load average ${loadLine()}`,
        clients: { typed: typed.length, raw: raw.length },
        sessions: { chat: chatSessions.length, stream: streamSessions.length },
        proxy: proxy.counters,
        nodes: nodeFacts,
        ...(clusterFacts ? { cluster: clusterFacts } : {}),
        expected,
      },
      checker,
      runs,
    );
    console.log(`\n${block}`);
    if (!smoke && !values['no-write']) {
      writeSoakReport(`${ROOT}docs/reliability.md`, block, multi ? 'nodes' : 'single');
      console.log('\nwritten to docs/reliability.md');
    }
    const unexpected = checker.violations.entries().filter(([kind]) => !expected.has(kind));
    if (unexpected.length > 0) {
      console.error(`\nsoak: ${unexpected.map(([k, n]) => `${n} x ${k}`).join(', ')}; reproduce with: ${command}`);
      return 1;
    }
    return 0;
  } finally {
    // Whatever happened above: no gateway process and no Redis key of this run is left behind.
    if (cluster) await cluster.close({ kill: true });
    await single?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
