import type { RequestContext } from '../../platform/context.ts';
import type { EventActor } from '../../platform/events/envelope.ts';
import type { ProvenanceInput, ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../platform/server.ts';

export type ImpactDeps = SubgraphDeps;

export const actorOf = (ctx: RequestContext): EventActor => (ctx.principal ? { id: ctx.principal.subject, kind: ctx.principal.kind } : { id: 'anonymous', kind: 'system' });

export const provenanceOf = (deps: ImpactDeps, ctx: { correlationId: string }, input: ProvenanceInput): ProvenanceRecord => deps.provenance.build(input, ctx.correlationId);

export const connectionOf = <T extends { id: string }>(page: { items: T[]; cursors: string[]; hasNextPage: boolean; endCursor: string | null }) => ({
  edges: page.items.map((node, i) => ({ cursor: page.cursors[i], node })),
  pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
});

/** Retries an optimistic write a few times on CONFLICT (concurrent pulse answers to one round). */
export const withRetry = async <R>(work: () => Promise<R>, attempts = 8): Promise<R> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const conflict = error instanceof Error && 'code' in error && (error as { code: string }).code === 'CONFLICT';
      if (!conflict || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 10 * attempt)));
    }
  }
};
