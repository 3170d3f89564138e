import { requirePrincipal, requireScope, type RequestContext, type TenantScope } from '../../platform/context.ts';
import { forbidden, inputError } from '../../platform/errors.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { Filter } from '../../platform/store/port.ts';
import { clampFirst } from '../../platform/store/transaction.ts';
import { previousWindow, round, scoreImpact, trendOf, liftOf, type ImpactComponentName, type ImpactWindow } from './domain/impact-scoring.ts';
import { checkConsentScopes, checkId, checkWindow, normalizeImpactEvent, type ConsentScope, type ImpactEventInput } from './domain/validation.ts';
import { viralityOf, type AdoptionEdge, type ViralityResult } from './domain/virality.ts';
import { actorOf, connectionOf, provenanceOf, type ImpactDeps } from './shared.ts';
import { impactConsents, impactEvents, type ConsentBasis, type ImpactConsentModel, type ImpactEventModel } from './store.ts';

export type ImpactSubjectType = 'PERSON' | 'TEAM' | 'SOLUTION' | 'ORGANIZATION';

export const personNode = (id: string): string => `person:${id}`;
export const solutionNode = (id: string): string => `solution:${id}`;
const ADOPTED = 'ADOPTED';
const LEARNED_FROM = 'LEARNED_FROM';

/** Consent records of the people named, keyed by person id. */
export const consentsOf = async (deps: ImpactDeps, scope: TenantScope, personIds: readonly string[]): Promise<Map<string, ImpactConsentModel>> => {
  const unique = [...new Set(personIds)];
  if (unique.length === 0) return new Map();
  const docs = await deps.store.collection(impactConsents).find(scope, { personId: { $in: unique } });
  return new Map(docs.map((d) => [d.personId, d]));
};

export const hasConsent = (consent: ImpactConsentModel | undefined, scope: ConsentScope): boolean => Boolean(consent?.scopes.includes(scope));

/** Which consent bases applied and how many people were skipped, for provenance explanations. */
const consentSummary = (people: readonly string[], consents: Map<string, ImpactConsentModel>): { allowed: Set<string>; text: string; bases: Record<ConsentBasis | 'NONE', number> } => {
  const bases: Record<ConsentBasis | 'NONE', number> = { IDENTITY: 0, LOCAL: 0, NONE: 0 };
  const allowed = new Set<string>();
  for (const person of new Set(people)) {
    const consent = consents.get(person);
    if (hasConsent(consent, 'IMPACT_TRACKING')) {
      allowed.add(person);
      bases[consent!.basis]++;
    } else bases.NONE++;
  }
  return { allowed, bases, text: `Consent IMPACT_TRACKING: ${bases.IDENTITY} via identity, ${bases.LOCAL} local; ${bases.NONE} without consent skipped.` };
};

export const recordImpactEvent = async (deps: ImpactDeps, ctx: RequestContext, input: ImpactEventInput): Promise<ImpactEventModel> => {
  const scope = requireScope(ctx);
  const event = normalizeImpactEvent(input, new Date());
  const consent = (await consentsOf(deps, scope, [event.personId])).get(event.personId);
  if (!hasConsent(consent, 'IMPACT_TRACKING')) {
    throw inputError('input.personId', 'This person has not consented to impact tracking', 'The person grants IMPACT_TRACKING with setMyConsents (identity) or an admin records it with setImpactConsent.');
  }
  const basis = consent!.basis;
  const provenance = provenanceOf(deps, ctx, { method: 'HUMAN', inputs: event, explanation: `${event.kind} event recorded; consent basis ${basis} (IMPACT_TRACKING).` });
  const stored = await deps.store.transaction(scope, { action: 'impact.recordImpactEvent', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const doc = tx.insert(impactEvents, { ...event, consentBasis: basis }, provenance);
    tx.emit({ type: 'impact.event.recorded', topic: 'impact_events', subject: { typename: 'ImpactEvent', id: doc.id }, payload: { kind: event.kind, personId: event.personId, teamId: event.teamId, solutionId: event.solutionId } }, provenance);
    return doc;
  });
  if (stored.kind === 'SOLUTION_ADOPTION' && stored.solutionId) await recordAdoptionEdge(deps, scope, stored);
  return stored;
};

/** The adoption graph: Person -ADOPTED-> Solution (first adoption kept) and Person -LEARNED_FROM-> Person. */
const recordAdoptionEdge = async (deps: ImpactDeps, scope: TenantScope, event: ImpactEventModel): Promise<void> => {
  const adopter = personNode(event.personId);
  const solution = solutionNode(event.solutionId as string);
  await deps.graph.mergeNode(scope, { id: adopter, label: 'Person', props: { personId: event.personId, ...(event.teamId ? { teamId: event.teamId } : {}) } });
  await deps.graph.mergeNode(scope, { id: solution, label: 'Solution', props: { solutionId: event.solutionId } });
  const existing = await deps.graph.edges(scope, adopter, { type: ADOPTED, direction: 'out' });
  if (!existing.some((e) => e.to === solution)) {
    await deps.graph.mergeEdge(scope, { from: adopter, to: solution, type: ADOPTED, props: { adopterId: event.personId, sourceId: event.sourceId, teamId: event.teamId, at: event.occurredAt, eventId: event.id } });
  }
  if (event.sourceId) {
    const source = personNode(event.sourceId);
    if (!(await deps.graph.getNode(scope, source))) await deps.graph.mergeNode(scope, { id: source, label: 'Person', props: { personId: event.sourceId } });
    await deps.graph.mergeEdge(scope, { from: adopter, to: source, type: LEARNED_FROM, props: { solutionId: event.solutionId, at: event.occurredAt } });
  }
};

/** Adoption edges of a solution from the graph, in a window, with non-consenting people removed. */
const adoptionsOf = async (deps: ImpactDeps, scope: TenantScope, solutionId: string, window: ImpactWindow): Promise<{ edges: AdoptionEdge[]; consentText: string }> => {
  const raw = await deps.graph.edges(scope, solutionNode(solutionId), { type: ADOPTED, direction: 'in' });
  const from = window.from.toISOString();
  const to = window.to.toISOString();
  const edges = raw
    .map((e): AdoptionEdge => ({ adopterId: String(e.props.adopterId), sourceId: e.props.sourceId ? String(e.props.sourceId) : null, teamId: e.props.teamId ? String(e.props.teamId) : null, at: String(e.props.at) }))
    .filter((e) => e.at >= from && e.at < to);
  const people = edges.flatMap((e) => (e.sourceId ? [e.adopterId, e.sourceId] : [e.adopterId]));
  const { allowed, text } = consentSummary(people, await consentsOf(deps, scope, people));
  const filtered = edges.filter((e) => allowed.has(e.adopterId)).map((e) => ({ ...e, sourceId: e.sourceId && allowed.has(e.sourceId) ? e.sourceId : null }));
  return { edges: filtered, consentText: text };
};

export interface ViralityView extends ViralityResult {
  solutionId: string;
  provenance: ProvenanceRecord;
}

export const solutionVirality = async (deps: ImpactDeps, ctx: RequestContext, solutionId: string, windowInput: { from: string; to: string }): Promise<ViralityView> => {
  const scope = requireScope(ctx);
  const id = checkId(solutionId, 'solutionId', 'solution');
  return viralityView(deps, ctx, scope, id, checkWindow(windowInput));
};

const viralityView = async (deps: ImpactDeps, ctx: RequestContext, scope: TenantScope, solutionId: string, window: ImpactWindow): Promise<ViralityView> => {
  const { edges, consentText } = await adoptionsOf(deps, scope, solutionId, window);
  const result = viralityOf(edges);
  const confidence = round(1 - Math.exp(-result.adopters / 5), 3);
  return {
    solutionId,
    ...result,
    provenance: provenanceOf(deps, ctx, { method: 'STATISTICAL', inputs: { solutionId, window, edges }, confidence, explanation: `${result.explanation} From ${edges.length} adoption edges in the graph. ${consentText}` }),
  };
};

const SUBJECT_FIELD: Record<Exclude<ImpactSubjectType, 'ORGANIZATION'>, 'personId' | 'teamId' | 'solutionId'> = { PERSON: 'personId', TEAM: 'teamId', SOLUTION: 'solutionId' };

/** Events of the current and previous windows in one read. */
const loadEvents = async (deps: ImpactDeps, scope: TenantScope, window: ImpactWindow, filter: Filter = {}): Promise<{ current: ImpactEventModel[]; previous: ImpactEventModel[] }> => {
  const prev = previousWindow(window);
  const docs = await deps.store.collection(impactEvents).find(scope, { ...filter, occurredAt: { $gte: prev.from.toISOString(), $lt: window.to.toISOString() } });
  const start = window.from.toISOString();
  return { current: docs.filter((d) => d.occurredAt >= start), previous: docs.filter((d) => d.occurredAt < start) };
};

export interface ImpactScoreView {
  subjectType: ImpactSubjectType;
  subjectId: string;
  from: Date;
  to: Date;
  score: number | null;
  previousScore: number | null;
  trend: number | null;
  confidence: number;
  eventCount: number;
  components: Array<{ name: ImpactComponentName; weight: number; effectiveWeight: number; value: number; contribution: number; eventCount: number; provenance: ProvenanceRecord }>;
  provenance: ProvenanceRecord;
}

/** Scores events already loaded (consent applied here), with the previous window for the trend. */
const scoreView = async (
  deps: ImpactDeps,
  ctx: RequestContext,
  subjectType: ImpactSubjectType,
  subjectId: string,
  window: ImpactWindow,
  events: { current: ImpactEventModel[]; previous: ImpactEventModel[] },
  consents: Map<string, ImpactConsentModel>,
  virality: { current: number | null; previous: number | null } = { current: null, previous: null },
): Promise<ImpactScoreView> => {
  const { allowed, text } = consentSummary([...events.current, ...events.previous].map((e) => e.personId), consents);
  const current = events.current.filter((e) => allowed.has(e.personId));
  const previous = events.previous.filter((e) => allowed.has(e.personId));
  const now = scoreImpact(current, virality.current);
  const before = scoreImpact(previous, virality.previous);
  const inputs = { subjectType, subjectId, window, eventIds: current.map((e) => e.id), previousEventIds: previous.map((e) => e.id), virality };
  const provenance = provenanceOf(deps, ctx, {
    method: 'STATISTICAL',
    inputs,
    confidence: now.confidence,
    explanation: `${now.explanation}${virality.current !== null ? ' Adoption component = solution virality.' : ''} Trend against the previous window of equal length. ${text}`,
  });
  return {
    subjectType,
    subjectId,
    from: window.from,
    to: window.to,
    score: now.score,
    previousScore: before.score,
    trend: trendOf(now.score, before.score),
    confidence: now.confidence,
    eventCount: now.eventCount,
    components: now.components.map((c) => ({
      ...c,
      provenance: provenanceOf(deps, ctx, { method: 'STATISTICAL', inputs: { ...inputs, component: c.name }, confidence: now.confidence, explanation: `${c.name} component: value ${c.value} × effective weight ${c.effectiveWeight} (nominal ${c.weight}) = ${c.contribution}, from ${c.eventCount} events.` }),
    })),
    provenance,
  };
};

export const impactScore = async (deps: ImpactDeps, ctx: RequestContext, args: { subjectType: ImpactSubjectType; subjectId: string; window: { from: string; to: string } }): Promise<ImpactScoreView> => {
  const scope = requireScope(ctx);
  const window = checkWindow(args.window);
  const subjectId = args.subjectType === 'ORGANIZATION' ? scope.tenantId : checkId(args.subjectId, 'subjectId', args.subjectType.toLowerCase());
  const filter: Filter = args.subjectType === 'ORGANIZATION' ? {} : { [SUBJECT_FIELD[args.subjectType]]: subjectId };
  const events = await loadEvents(deps, scope, window, filter);
  const consents = await consentsOf(deps, scope, [...events.current, ...events.previous].map((e) => e.personId));
  let virality = { current: null as number | null, previous: null as number | null };
  if (args.subjectType === 'SOLUTION') {
    const [now, before] = await Promise.all([viralityView(deps, ctx, scope, subjectId, window), viralityView(deps, ctx, scope, subjectId, previousWindow(window))]);
    virality = { current: now.score, previous: before.score };
  }
  return scoreView(deps, ctx, args.subjectType, subjectId, window, events, consents, virality);
};

/** The dashboard's team scope: 1–50 valid, distinct team ids (sorted), or [] for the whole organization. */
export const checkDashboardScope = (input: { teamIds: readonly string[] } | null | undefined): string[] => {
  if (!input) return [];
  const teamIds = [...new Set(input.teamIds.map((id) => checkId(id, 'scope.teamIds', 'team')))].sort();
  if (teamIds.length < 1 || teamIds.length > 50) throw inputError('scope.teamIds', 'Give 1–50 team ids', 'Omit scope for the whole organization.');
  return teamIds;
};

export const impactDashboard = async (deps: ImpactDeps, ctx: RequestContext, windowInput: { from: string; to: string }, scopeInput?: { teamIds: readonly string[] } | null) => {
  const scope = requireScope(ctx);
  const window = checkWindow(windowInput);
  const scopeTeamIds = checkDashboardScope(scopeInput);
  const events = await loadEvents(deps, scope, window, scopeTeamIds.length ? { teamId: { $in: scopeTeamIds } } : {});
  const consents = await consentsOf(deps, scope, [...events.current, ...events.previous].map((e) => e.personId));
  const organization = await scoreView(deps, ctx, 'ORGANIZATION', scope.tenantId, window, events, consents);
  const { allowed } = consentSummary(events.current.map((e) => e.personId), consents);
  const subset = (field: 'teamId' | 'solutionId', id: string) => ({ current: events.current.filter((e) => e[field] === id), previous: events.previous.filter((e) => e[field] === id) });

  const solutionIds = [...new Set(events.current.filter((e) => e.solutionId && allowed.has(e.personId)).map((e) => e.solutionId as string))].sort();
  const solutions = await Promise.all(
    solutionIds.map(async (solutionId) => {
      const [virality, before] = await Promise.all([viralityView(deps, ctx, scope, solutionId, window), viralityView(deps, ctx, scope, solutionId, previousWindow(window))]);
      const impact = await scoreView(deps, ctx, 'SOLUTION', solutionId, window, subset('solutionId', solutionId), consents, { current: virality.score, previous: before.score });
      return { solutionId, impact, virality };
    }),
  );
  const topSolutions = solutions
    .sort((a, b) => (b.impact.score ?? -1) - (a.impact.score ?? -1) || a.solutionId.localeCompare(b.solutionId))
    .slice(0, 10)
    .map((s, i) => ({ ...s, provenance: provenanceOf(deps, ctx, { method: 'RULE', inputs: { solutionId: s.solutionId, score: s.impact.score, rank: i + 1 }, confidence: s.impact.confidence, explanation: `Rank ${i + 1} of ${solutions.length} solutions by impact score.` }) }));

  const teamIds = [...new Set(events.current.filter((e) => e.teamId && allowed.has(e.personId)).map((e) => e.teamId as string))].sort();
  const teams = await Promise.all(teamIds.map((teamId) => scoreView(deps, ctx, 'TEAM', teamId, window, subset('teamId', teamId), consents)));
  const teamsByLift = teams.sort((a, b) => (b.trend ?? -Infinity) - (a.trend ?? -Infinity) || (b.score ?? -1) - (a.score ?? -1) || a.subjectId.localeCompare(b.subjectId));

  const outcomes = events.current.filter((e) => e.kind === 'BUSINESS_OUTCOME' && allowed.has(e.personId));
  const metrics = [...new Set(outcomes.map((e) => e.metric as string))].sort();
  const outcomeDeltas = metrics.map((metric) => {
    const list = outcomes.filter((e) => e.metric === metric);
    const meanBaseline = round(list.reduce((s, e) => s + (e.baseline ?? 0), 0) / list.length, 3);
    const meanValue = round(list.reduce((s, e) => s + (e.value ?? 0), 0) / list.length, 3);
    const meanLift = round(list.reduce((s, e) => s + liftOf(e.baseline ?? 0, e.value ?? 0, e.higherIsBetter ?? true), 0) / list.length, 3);
    return {
      metric,
      events: list.length,
      meanBaseline,
      meanValue,
      meanLift,
      provenance: provenanceOf(deps, ctx, { method: 'STATISTICAL', inputs: { metric, eventIds: list.map((e) => e.id) }, confidence: round(1 - Math.exp(-list.length / 5), 3), explanation: `Mean of ${list.length} outcome events; lift = (value − baseline)/|baseline|, sign flipped when lower is better, clamped to ±1.` }),
    };
  });
  return {
    from: window.from,
    to: window.to,
    organization,
    scopeTeamIds,
    topSolutions,
    teamsByLift,
    outcomeDeltas,
    confidence: organization.confidence,
    provenance: provenanceOf(deps, ctx, { method: 'STATISTICAL', inputs: { window, scopeTeamIds, eventIds: events.current.map((e) => e.id) }, confidence: organization.confidence, explanation: `Dashboard of ${events.current.length} events${scopeTeamIds.length ? ` of ${scopeTeamIds.length} scoped teams (solution virality organization-wide)` : ''}: ${topSolutions.length} solutions by impact, ${teamsByLift.length} teams by lift, ${outcomeDeltas.length} metrics.` }),
  };
};

/** Organization.impactSummary: the last 30 days; null for any organization but the caller's. */
export const impactSummary = async (deps: ImpactDeps, ctx: RequestContext, organizationId: string) => {
  const scope = requireScope(ctx);
  if (organizationId !== scope.tenantId) return null;
  const to = new Date();
  const window = { from: new Date(to.getTime() - 30 * 86_400_000), to };
  const events = await loadEvents(deps, scope, window);
  const consents = await consentsOf(deps, scope, [...events.current, ...events.previous].map((e) => e.personId));
  const view = await scoreView(deps, ctx, 'ORGANIZATION', scope.tenantId, window, events, consents);
  return { score: view.score, trend: view.trend, from: view.from, to: view.to, eventCount: view.eventCount, confidence: view.confidence, provenance: view.provenance };
};

export const listImpactEvents = async (deps: ImpactDeps, ctx: RequestContext, args: { filter?: { kind?: string | null; personId?: string | null; teamId?: string | null; solutionId?: string | null } | null; first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  const filter: Filter = {};
  for (const key of ['kind', 'personId', 'teamId', 'solutionId'] as const) {
    const value = args.filter?.[key];
    if (value) filter[key] = value;
  }
  const reader = deps.store.collection(impactEvents);
  const [page, totalCount] = await Promise.all([reader.page(scope, filter, { first: clampFirst(args.first), after: args.after, sort: { field: 'occurredAt', direction: -1 } }), reader.count(scope, filter)]);
  return { ...connectionOf(page), totalCount };
};

export const setImpactConsent = async (deps: ImpactDeps, ctx: RequestContext, input: { personId: string; scopes: readonly string[] }): Promise<ImpactConsentModel> => {
  const scope = requireScope(ctx);
  const personId = checkId(input.personId, 'input.personId', 'person');
  const principal = requirePrincipal(ctx);
  // Consent is the person's own: they set it (or identity mirrors it); an organization admin may record it for them.
  if (principal.subject !== personId && !principal.scopes.includes('org:admin')) {
    throw forbidden('Only the person or an organization admin can set their consent', 'Ask the person to grant it with setMyConsents (identity), or an Owner/Admin to record it.');
  }
  const scopes = checkConsentScopes(input.scopes);
  const existing = await deps.store.collection(impactConsents).findOne(scope, { personId });
  const provenance = provenanceOf(deps, ctx, { method: 'HUMAN', inputs: { personId, scopes }, explanation: `Consent set locally in the impact subgraph: ${scopes.length ? scopes.join(', ') : 'withdrawn'}.` });
  return deps.store.transaction(scope, { action: 'impact.setImpactConsent', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const doc = existing ? tx.update(impactConsents, existing, { scopes, basis: 'LOCAL' }, provenance) : tx.insert(impactConsents, { personId, scopes, basis: 'LOCAL' }, provenance);
    tx.emit({ type: 'impact.consent.changed', topic: 'impact_events', subject: { typename: 'ImpactConsent', id: doc.id }, payload: { personId, scopes, basis: 'LOCAL' } }, provenance);
    return doc;
  });
};

export const impactConsentOf = async (deps: ImpactDeps, ctx: RequestContext, personId: string): Promise<ImpactConsentModel | null> =>
  deps.store.collection(impactConsents).findOne(requireScope(ctx), { personId: checkId(personId, 'personId', 'person') });

