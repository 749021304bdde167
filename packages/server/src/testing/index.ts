/*
 * `@agent-gateway/server/testing`: for tests of the gateway and of conformance suites, never for a
 * production gateway. Build a gateway with some of its rules swapped (the deliberately broken
 * "mutants" among them) and reach the services behind a gateway to inspect them.
 */
import type { GatewayCore } from '../core.js';
import { composeGateway, coreOf, type Gateway, type GatewayPieces } from '../gateway.js';
import type { GatewayOptions } from '../options.js';
import { mutants, type Mutant, type MutantName } from './mutants.js';

export { mutants, type Mutant, type MutantName };
export type { GatewayPieces, GatewayCore };

/** A gateway built from `options` with the given pieces in place of the protocol's own. */
export function createGatewayWith(options: GatewayOptions, pieces: Partial<GatewayPieces>): Promise<Gateway> {
  return composeGateway(options, pieces);
}

/** A gateway with one deliberate mistake. */
export function createMutantGateway(name: MutantName, options: GatewayOptions = {}): Promise<Gateway> {
  const mutant: Mutant = mutants[name];
  return composeGateway({ ...options, ...mutant.options }, mutant.pieces ?? {});
}

/** The services behind a gateway (sessions, runs, fan-out ...), to inspect in tests. */
export function internalsOf(gateway: Gateway): GatewayCore {
  return coreOf(gateway);
}
