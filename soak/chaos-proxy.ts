/*
 * A TCP proxy on loopback between the soak clients and the gateway that breaks connections the way
 * networks do: it cuts them (a clean close or a reset) and stalls them (one direction stops flowing
 * for a while, then everything held back is delivered in order). Choices come from a seeded source.
 * In front of several gateway nodes it is also the load balancer: each new connection goes to the
 * next node that is up, round-robin (websocket transport: no stickiness needed).
 */
import net from 'node:net';
import type { Rng } from './rng.js';

export interface ChaosOptions {
  /** Mean lifetime of a connection before it is cut. */
  meanLifetimeMs: number;
  /** Probability per tick and connection of a stall starting. */
  stallProbability: number;
  stallMs: [number, number];
  tickMs: number;
}

export interface ChaosCounters {
  connections: number;
  /** Connections sent to each target, by index. */
  perTarget: number[];
  /** Connections accepted while no target was up (closed at once). */
  noTarget: number;
  cuts: number;
  resets: number;
  stalls: number;
}

export interface Target {
  host: string;
  port: number;
}

interface Link {
  /** Index of the target this link goes to. */
  target: number;
  client: net.Socket;
  upstream: net.Socket;
  /** Data held back per direction while stalled. */
  held: { up: Buffer[] | undefined; down: Buffer[] | undefined };
  timers: Set<NodeJS.Timeout>;
}

export class ChaosProxy {
  readonly counters: ChaosCounters;
  private readonly links = new Set<Link>();
  private readonly server: net.Server;
  /** Where connections go; undefined while that node is down. */
  private readonly targets: Array<Target | undefined>;
  private nextTarget = 0;
  private ticker: NodeJS.Timeout | undefined;
  private chaos = true;
  port = 0;

  constructor(
    targets: Target | Target[],
    private readonly rng: Rng,
    private readonly options: ChaosOptions,
  ) {
    this.targets = Array.isArray(targets) ? [...targets] : [targets];
    this.counters = { connections: 0, perTarget: this.targets.map(() => 0), noTarget: 0, cuts: 0, resets: 0, stalls: 0 };
    this.server = net.createServer((client) => this.accept(client));
  }

  /** Connections open to one target now. */
  linksTo(index: number): number {
    let count = 0;
    for (const link of this.links) if (link.target === index) count += 1;
    return count;
  }

  /** A node went down (undefined: no new connection goes there) or came back, maybe on another port. */
  setTarget(index: number, target: Target | undefined): void {
    this.targets[index] = target;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    this.ticker = setInterval(() => this.tick(), this.options.tickMs);
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stop cutting and stalling; everything held back is delivered. Connections stay up. */
  calm(): void {
    this.chaos = false;
    for (const link of this.links) {
      this.release(link, 'up');
      this.release(link, 'down');
    }
  }

  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    for (const link of this.links) this.drop(link, false);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next target that is up, round-robin. */
  private pick(): number | undefined {
    for (let i = 0; i < this.targets.length; i++) {
      const index = (this.nextTarget + i) % this.targets.length;
      if (this.targets[index]) {
        this.nextTarget = index + 1;
        return index;
      }
    }
    return undefined;
  }

  private accept(client: net.Socket): void {
    this.counters.connections += 1;
    const index = this.pick();
    if (index === undefined) {
      this.counters.noTarget += 1;
      client.destroy();
      return;
    }
    this.counters.perTarget[index]! += 1;
    const target = this.targets[index]!;
    const upstream = net.connect(target.port, target.host);
    const link: Link = { target: index, client, upstream, held: { up: undefined, down: undefined }, timers: new Set() };
    this.links.add(link);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (data) => this.forward(link, 'up', data));
    upstream.on('data', (data) => this.forward(link, 'down', data));
    const end = () => this.drop(link, false);
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }

  private forward(link: Link, direction: 'up' | 'down', data: Buffer): void {
    const held = link.held[direction];
    if (held) held.push(data);
    else (direction === 'up' ? link.upstream : link.client).write(data);
  }

  private release(link: Link, direction: 'up' | 'down'): void {
    const held = link.held[direction];
    if (!held) return;
    link.held[direction] = undefined;
    const to = direction === 'up' ? link.upstream : link.client;
    for (const data of held) to.write(data);
  }

  private drop(link: Link, reset: boolean): void {
    if (!this.links.delete(link)) return;
    for (const timer of link.timers) clearTimeout(timer);
    if (reset) {
      link.client.resetAndDestroy();
      link.upstream.resetAndDestroy();
    } else {
      link.client.destroy();
      link.upstream.destroy();
    }
  }

  private tick(): void {
    if (!this.chaos) return;
    const cutProbability = this.options.tickMs / this.options.meanLifetimeMs;
    for (const link of [...this.links]) {
      if (this.rng.chance(cutProbability)) {
        const reset = this.rng.chance(0.3);
        this.counters.cuts += 1;
        if (reset) this.counters.resets += 1;
        this.drop(link, reset);
        continue;
      }
      if (this.rng.chance(this.options.stallProbability)) {
        const direction = this.rng.chance(0.7) ? 'down' : 'up';
        if (link.held[direction]) continue;
        this.counters.stalls += 1;
        link.held[direction] = [];
        const timer = setTimeout(
          () => {
            link.timers.delete(timer);
            this.release(link, direction);
          },
          this.rng.int(this.options.stallMs[0], this.options.stallMs[1]),
        );
        link.timers.add(timer);
      }
    }
  }
}
