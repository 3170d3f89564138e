import DataLoader from 'dataloader';
import { perRequest, requireScope, type RequestContext } from '../context.ts';
import type { CollectionSpec, DocumentStore, Stored } from './port.ts';

/**
 * The per-request DataLoader of a collection: every `load(id)` in one tick becomes one `getMany`
 * round trip, scoped to the caller's tenant. `__resolveReference` and field resolvers use this.
 */
export const loaderOf = <T>(ctx: RequestContext, store: DocumentStore, spec: CollectionSpec<T>): DataLoader<string, Stored<T> | null> =>
  perRequest(ctx, `loader:${spec.name}`, () => {
    const scope = requireScope(ctx);
    const reader = store.collection(spec);
    return new DataLoader<string, Stored<T> | null>((ids) => reader.getMany(scope, ids), { maxBatchSize: 500 });
  });
