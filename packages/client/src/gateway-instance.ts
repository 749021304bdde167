import type { Hello } from '@agent-gateway/schema';

/**
 * How a greeting compares with the one before it:
 * - `first`: the first greeting of this client;
 * - `same`: the same gateway state (same instanceId): rows and runs carry on;
 * - `changed`: another state (another instanceId): what the client knew of runs and rows is void;
 * - `unknown`: one side did not say (an older gateway): rows are no longer comparable, and runs
 *   fall back to the epoch rule (a session whose epoch changed lost its runs).
 */
export type InstanceChange = 'first' | 'same' | 'changed' | 'unknown';

/** The gateway's `hello.gateway.instanceId`, when it announces one (gateways before 1.1 do not). */
export function gatewayInstanceId(hello: Hello): string | undefined {
  const gateway = hello.gateway;
  return 'instanceId' in gateway && typeof gateway.instanceId === 'string' && gateway.instanceId.length > 0 ? gateway.instanceId : undefined;
}

/** The identity of the gateway state a client talks to, across reconnects. */
export class GatewayInstance {
  private greeted = false;
  private current: string | undefined;

  get id(): string | undefined {
    return this.current;
  }

  /** Record a greeting and say how it compares with the previous one. */
  observe(hello: Hello): { change: InstanceChange; previous: string | undefined; next: string | undefined } {
    const previous = this.current;
    const next = gatewayInstanceId(hello);
    const first = !this.greeted;
    this.greeted = true;
    this.current = next;
    let change: InstanceChange;
    if (first) change = 'first';
    else if (previous !== undefined && next !== undefined) change = previous === next ? 'same' : 'changed';
    else change = 'unknown';
    return { change, previous, next };
  }
}
