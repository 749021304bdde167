/* Workload sizes: the full benchmark, and the smoke run that `npm test` uses to keep the tooling honest. */
export interface Sizes {
  /** B1: chunks streamed to one client, and to each of ten (one run.script step takes at most 100,000). */
  streamOne: number;
  streamTen: number;
  warmup: number;
  /** B1b: seconds of paced stream at half of raw's maximum rate. */
  latencySeconds: number;
  /** B2: chunks to 100 clients of one session; sessions x 2 clients with a run each, chunks per run. */
  fanoutClients: number;
  fanoutChunks: number;
  manySessions: number;
  manySessionChunks: number;
  /** B3: events a client is behind; storm clients and the session they rejoin. */
  resumeBehind: number;
  stormClients: number;
  stormLog: number;
  /** B4: events retained for heap per event, idle clients, idle sessions. */
  retainedEvents: number;
  idleClients: number;
  idleSessions: number;
  /** B5: single-event appends profiled. */
  profiledAppends: number;
  /** B6: chunks streamed to B2's one-session fan-out on one and three nodes sharing Redis (longer than B2's: steadier ratios). */
  redisFanoutChunks: number;
  /** B7: run the conformance suite. */
  conformance: boolean;
  /** B1 again with ws using bufferutil (transport on/off in the same run). */
  transports: boolean;
}

export const FULL: Sizes = {
  streamOne: 100_000,
  streamTen: 40_000,
  warmup: 5_000,
  latencySeconds: 3,
  fanoutClients: 100,
  fanoutChunks: 5_000,
  manySessions: 1_000,
  manySessionChunks: 100,
  resumeBehind: 10_000,
  stormClients: 200,
  stormLog: 2_000,
  retainedEvents: 100_000,
  idleClients: 1_000,
  idleSessions: 10_000,
  profiledAppends: 40_000,
  redisFanoutChunks: 20_000,
  conformance: true,
  transports: true,
};

export const SMOKE: Sizes = {
  streamOne: 5_000,
  streamTen: 1_000,
  warmup: 500,
  latencySeconds: 0.3,
  fanoutClients: 20,
  fanoutChunks: 300,
  manySessions: 20,
  manySessionChunks: 20,
  resumeBehind: 1_000,
  stormClients: 20,
  stormLog: 300,
  retainedEvents: 2_000,
  idleClients: 20,
  idleSessions: 100,
  profiledAppends: 1_000,
  redisFanoutChunks: 300,
  conformance: false,
  transports: false,
};
