import { applyFilters, type RefetchPlan } from './refetch.ts';

/**
 * Pre-serialized graphql-transport-ws `next` frames. The engine serializes each shared resolution's
 * payload ONCE per delivery group and sends every subscriber `prefix + payload + "}"`, which is
 * byte-identical to what graphql-ws itself sends for the same result
 * (`JSON.stringify({ id, type: "next", payload })`, see frames.test.ts), without a per-subscriber
 * `JSON.stringify` of the payload.
 */

/** One refetch's outcome, as the gateway returned it (errors already formatted, plain JSON). */
export interface Resolved {
  value: Record<string, unknown>;
  errors?: ReadonlyArray<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> }>;
}

/** `{"id":<id>,"type":"next","payload":` for one subscription (built once, at subscribe time). */
export const nextFramePrefix = (id: string): string => `{"id":${JSON.stringify(id)},"type":"next","payload":`;

/** The frame for one subscription: its prefix, a serialized payload, and the closing brace. */
export const nextFrame = (prefix: string, payloadJson: string): string => `${prefix}${payloadJson}}`;

/**
 * The `next` payload `{ data: { <responseKey>: value }, errors? }` for `plan`, serialized, or null
 * when the plan's result filters drop the value. Error paths name the subscriber's root response key
 * instead of the refetch field.
 */
export const nextPayloadJson = (plan: RefetchPlan, resolved: Resolved): string | null => {
  const value = applyFilters(plan, resolved.value);
  if (!value) return null;
  const data = { [plan.responseKey]: value };
  if (!resolved.errors) return JSON.stringify({ data });
  const refetch = plan.spec.refetch;
  const errors = resolved.errors.map((e) => (e.path ? { ...e, path: e.path.map((p) => (p === refetch ? plan.responseKey : p)) } : e));
  return JSON.stringify({ data, errors });
};
