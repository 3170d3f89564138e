import { requireScope, type RequestContext } from '../../platform/context.ts';
import { inputError } from '../../platform/errors.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import { summarizeCompliance, type ComplianceSummary } from './domain/compliance.ts';
import { interventions, policyDecisions, trustChanges } from './store.ts';

const MAX_DAYS = 366;
export const MAX_DOCS = 50_000;

const toDate = (value: string | Date, field: string): Date => {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw inputError(field, `${field} is not a valid date-time`, 'Use ISO-8601 in UTC, e.g. 2026-01-01T00:00:00Z.');
  return date;
};

/** A report period [from, to) of at most MAX_DAYS, as a createdAt filter and find options (oldest first, bounded). */
export const periodOf = (args: { from: string | Date; to: string | Date }) => {
  const from = toDate(args.from, 'from');
  const to = toDate(args.to, 'to');
  if (to <= from) throw inputError('to', 'to must be after from', 'Give a period whose end is after its start.');
  if (to.getTime() - from.getTime() > MAX_DAYS * 86_400_000) throw inputError('to', `A report covers at most ${MAX_DAYS} days`, 'Ask for a shorter period, e.g. a quarter.');
  return { from, to, range: { createdAt: { $gte: from.toISOString(), $lt: to.toISOString() } }, options: { sort: { field: 'createdAt', direction: 1 as const }, limit: MAX_DOCS } };
};

/** Compliance report of a period [from, to): decisions, violations by kind, interventions and trust trends. */
export const complianceReport = async (deps: SubgraphDeps, ctx: RequestContext, args: { from: string | Date; to: string | Date }): Promise<ComplianceSummary & { from: string; to: string; truncated: boolean; provenance: ProvenanceRecord }> => {
  const scope = requireScope(ctx);
  const { from, to, range, options } = periodOf(args);
  const [decisions, observed, changes] = await Promise.all([
    deps.store.collection(policyDecisions).find(scope, { ...range, reevaluationOf: { $exists: false } }, options),
    deps.store.collection(interventions).find(scope, range, options),
    deps.store.collection(trustChanges).find(scope, range, options),
  ]);
  const summary = summarizeCompliance({ decisions, interventions: observed, trustChanges: changes });
  const truncated = [decisions, observed, changes].some((list) => list.length >= MAX_DOCS);
  const provenance = deps.provenance.build(
    { method: 'STATISTICAL', inputs: { from: from.toISOString(), to: to.toISOString(), counts: [decisions.length, observed.length, changes.length] }, explanation: `Counts over the period's policy decisions, interventions and trust changes${truncated ? ` (first ${MAX_DOCS} of each)` : ''}`, confidence: truncated ? 0.8 : 1 },
    ctx.correlationId,
  );
  return { ...summary, from: from.toISOString(), to: to.toISOString(), truncated, provenance };
};
