/*
 * The failure of the multi-node soak run: at a chosen time one gateway node is SIGKILLed (the proxy,
 * as a load balancer whose health check noticed, stops sending it new connections; its clients lose
 * their connections and reconnect through the proxy to the other nodes), and a few seconds later it
 * starts again under the same node id. Meanwhile it records which of the node's runs were still
 * active (the gateway's run index in Redis, read once the process is gone) and how long until the
 * surviving nodes ended them as failed.
 */
import type { ChaosProxy } from './chaos-proxy.js';
import type { GatewayCluster } from './cluster.js';
import type { ClusterFacts } from './report.js';
import type { RunChecks } from './run-checks.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface NodeFailureOptions {
  cluster: GatewayCluster;
  /** Index of the node to kill (never the operator's and auditor's node 0). */
  index: number;
  proxy: ChaosProxy;
  runs: RunChecks;
  /** Start of the workload (Date.now()). */
  started: number;
  killAfterMs: number;
  restartAfterMs: number;
  /** Called once the node is up again, before the proxy sends it connections. */
  restarted(): Promise<void>;
}

export class NodeFailure {
  killedAt: number | undefined;
  restartedAt: number | undefined;
  restartTookMs = 0;
  /** Run ids of the killed node that were not terminal when it died. */
  orphans: string[] = [];
  indexClearedAt: number | undefined;
  /** Client connections the node held when it died. */
  connectionsLost = 0;
  private watching: Promise<void> = Promise.resolve();

  constructor(private readonly options: NodeFailureOptions) {}

  get nodeName(): string {
    return this.options.cluster.nodes[this.options.index]!.name;
  }

  /** Kill, wait, restart. Resolves once the node serves again. */
  async run(): Promise<void> {
    const { cluster, index, proxy, runs, started } = this.options;
    const node = cluster.nodes[index]!;
    await sleep(Math.max(0, started + this.options.killAfterMs - Date.now()));
    // Kill it while it runs something (within 10 s), so that the takeover of its runs is exercised.
    const waitUntil = Date.now() + 10_000;
    while (Date.now() < waitUntil && (await cluster.activeRuns(node.name)).length === 0) await sleep(50);
    proxy.setTarget(index, undefined);
    this.connectionsLost = proxy.linksTo(index);
    this.killedAt = Date.now();
    runs.nodeKilled(node.name, this.killedAt);
    await node.kill();
    console.log(`soak: node ${node.name} SIGKILLed at ${((this.killedAt - started) / 1000).toFixed(1)} s`);
    this.orphans = (await cluster.activeRuns(node.name)).map((member) => member.split(' ')[1]!);
    this.watching = this.watchIndex(node.name);
    await sleep(Math.max(0, this.killedAt + this.options.restartAfterMs - Date.now()));
    const spawnedAt = Date.now();
    await node.start();
    this.restartTookMs = Date.now() - spawnedAt;
    this.restartedAt = Date.now();
    await this.options.restarted();
    proxy.setTarget(index, { host: '127.0.0.1', port: Number(new URL(node.url).port) });
    console.log(`soak: node ${node.name} restarted at ${((this.restartedAt - started) / 1000).toFixed(1)} s (start took ${this.restartTookMs} ms)`);
  }

  /** Until the run index holds none of the killed node's runs (the surviving nodes claimed them all). */
  private async watchIndex(nodeName: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const left = await this.options.cluster.activeRuns(nodeName).catch(() => ['unknown']);
      if (left.length === 0) {
        this.indexClearedAt = Date.now();
        return;
      }
      await sleep(100);
    }
  }

  async facts(): Promise<ClusterFacts> {
    await this.watching;
    const { cluster, runs, started } = this.options;
    const killedAt = this.killedAt ?? started;
    const seen = this.orphans.map((runId) => runs.takenOver.get(runId)).filter((end) => end !== undefined);
    return {
      nodes: cluster.nodes.length,
      leaseTtlMs: cluster.options.leaseTtlMs,
      killed: this.nodeName,
      killedAtS: (killedAt - started) / 1000,
      restartedAtS: ((this.restartedAt ?? killedAt) - started) / 1000,
      restartTookMs: this.restartTookMs,
      connectionsLost: this.connectionsLost,
      orphansAtKill: this.orphans.length,
      orphansEndedSeen: seen.length,
      orphansEndedAfterMs: seen.length > 0 ? Math.max(...seen.map((end) => end.seenAt)) - killedAt : undefined,
      indexClearedAfterMs: this.indexClearedAt === undefined ? undefined : this.indexClearedAt - killedAt,
    };
  }
}
