import type { Principal } from '../platform/auth/tokens.ts';

/** The gateway's per-request context: the verified principal and the headers forwarded to subgraphs. */
export interface GatewayContext {
  principal: Principal | null;
  correlationId: string;
  forward: Record<string, string>;
}
