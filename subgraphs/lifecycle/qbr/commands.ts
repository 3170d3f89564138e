import { createHash } from 'node:crypto';
import { PLATFORM_TENANT_ID, requirePrincipal, requireScope, systemScope, type RequestContext, type TenantScope } from '../../../platform/context.ts';
import { DomainError, inputError, notFound } from '../../../platform/errors.ts';
import type { EventEnvelope } from '../../../platform/events/envelope.ts';
import { newId } from '../../../platform/ids.ts';
import type { ProvenanceMethod, ProvenanceRecord } from '../../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../../platform/server.ts';
import { clampFirst } from '../../../platform/store/transaction.ts';
import { connectionOf } from '../commands.ts';
import { probabilityBest, seedOf, seededRandom } from '../domain/bandit.ts';
import {
  applyContribution,
  benchmarkOf,
  checkObjectives,
  checkRoiSettings,
  kpisAgainstObjectives,
  parsePeriod,
  recommendationsFor,
  ROI_FORMULA,
  roiOf,
  segmentKeyOf,
  summarizeExperiment,
  type BenchmarkProfile,
  type KpiResult,
  type QbrKpi,
  type QbrObjective,
} from '../domain/qbr.ts';
import {
  benchmarkContributions,
  benchmarkSegments,
  experimentAssignments,
  experiments,
  healthScores,
  incidents,
  qbrDecks,
  qbrSettings,
  supportTickets,
  type QbrDeckModel,
  type QbrSectionDoc,
  type QbrSectionKind,
  type QbrSettingsDoc,
} from '../store.ts';

/** QBR decks: settings (objectives, ROI inputs, benchmark profile), generation, human edits, and the anonymized benchmark aggregate. */

const QBR_SETTINGS_ID = 'qbr';
/** The consumer group that maintains the platform-scoped benchmark aggregate. */
export const BENCHMARK_CONSUMER = 'lifecycle-benchmark';
export const BENCHMARK_SOURCE_TYPES = ['health.score.recorded', 'qbr.settings.updated'] as const;
const SYSTEM_ACTOR = { id: BENCHMARK_CONSUMER, kind: 'system' as const };
const MAX_EXPERIMENTS = 50;

const txOptions = (ctx: RequestContext, action: string) => {
  const principal = requirePrincipal(ctx);
  return { action: `lifecycle.${action}`, actor: { id: principal.subject, kind: principal.kind }, correlationId: ctx.correlationId };
};

const platformScope = (): TenantScope => systemScope(PLATFORM_TENANT_ID, 'QBR benchmark aggregate');
const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 40);
/** Pseudonymous key of a client's contribution: the aggregate never stores the tenant id itself. */
const contributionIdOf = (tenantId: string): string => digest(`lifecycle-benchmark-contribution:${tenantId}`);
const segmentIdOf = (segment: string): string => digest(`lifecycle-benchmark-segment:${segment}`);
const isStoreRace = (error: unknown): boolean => error instanceof DomainError && (error.code === 'CONFLICT' || error.code === 'ALREADY_EXISTS' || error.code === 'NOT_FOUND');

export interface QbrSettingsView extends QbrSettingsDoc {
  provenance: ProvenanceRecord;
}

const loadSettings = (deps: SubgraphDeps, scope: TenantScope) => deps.store.collection(qbrSettings).get(scope, QBR_SETTINGS_ID);

export const getQbrSettings = async (deps: SubgraphDeps, ctx: RequestContext): Promise<QbrSettingsView> => {
  const stored = await loadSettings(deps, requireScope(ctx));
  if (stored) return stored;
  const empty: QbrSettingsDoc = { objectives: [], roi: null, benchmarkProfile: null, segment: null };
  return { ...empty, provenance: deps.provenance.build({ method: 'SYSTEM', inputs: empty, explanation: 'No QBR objectives, ROI inputs or benchmark profile set yet' }, ctx.correlationId) };
};

export interface QbrSettingsInput {
  objectives?: ReadonlyArray<QbrObjective> | null;
  roi?: { minutesSavedPerTicket: number; hourlyCost: number; platformCostPerQuarter: number } | null;
  benchmarkProfile?: BenchmarkProfile | null;
}

/** Sets objectives, ROI inputs and/or the benchmark profile (fields left out keep their value). */
export const setQbrSettings = async (deps: SubgraphDeps, ctx: RequestContext, input: QbrSettingsInput): Promise<QbrSettingsView> => {
  const scope = requireScope(ctx);
  const existing = await loadSettings(deps, scope);
  const objectives = input.objectives ? checkObjectives(input.objectives) : (existing?.objectives ?? []);
  const roi = input.roi ? checkRoiSettings({ minutesSavedPerTicket: input.roi.minutesSavedPerTicket, hourlyCost: input.roi.hourlyCost, platformCostPerQuarter: input.roi.platformCostPerQuarter }) : (existing?.roi ?? null);
  const segment = input.benchmarkProfile ? segmentKeyOf(input.benchmarkProfile) : (existing?.segment ?? null);
  const [industry, , plan] = segment ? segment.split('|') : [];
  const benchmarkProfile = input.benchmarkProfile ? { industry, sizeBand: input.benchmarkProfile.sizeBand, plan } : (existing?.benchmarkProfile ?? null);
  const next: QbrSettingsDoc = { objectives, roi, benchmarkProfile, segment };
  const provenance = deps.provenance.build({ method: 'HUMAN', inputs: next, explanation: 'QBR objectives, ROI inputs and benchmark profile set by an organization administrator' }, ctx.correlationId);
  return deps.store.transaction(scope, txOptions(ctx, 'setQbrSettings'), (tx) => {
    const stored = existing ? tx.update(qbrSettings, existing, next, provenance) : tx.insert(qbrSettings, { id: QBR_SETTINGS_ID, ...next }, provenance);
    tx.emit({ type: 'qbr.settings.updated', topic: 'customer_success_events', subject: { typename: 'Organization', id: scope.tenantId }, payload: { objectives: objectives.length, roi: roi !== null, segmentSet: segment !== null } }, provenance);
    return stored;
  });
};

// ---------------------------------------------------------------------------------- benchmark

/**
 * The benchmark consumer (every tenant's health.score.recorded and qbr.settings.updated): moves the
 * client's contribution — its latest health score — into its segment's aggregate in the platform
 * scope. It re-reads the latest score and segment instead of trusting the event, so replays and
 * out-of-order events converge, and a repeat is a no-op (the contribution replaces itself).
 */
export const recordBenchmarkContribution = async (deps: SubgraphDeps, event: EventEnvelope): Promise<void> => {
  const scope = systemScope(event.tenantId, 'QBR benchmark consumer');
  const [settingsDoc, [latest]] = await Promise.all([loadSettings(deps, scope), deps.store.collection(healthScores).find(scope, {}, { sort: { field: 'day', direction: -1 }, limit: 1 })]);
  const segment = settingsDoc?.segment ?? null;
  const score = latest ? latest.score : null;
  const platform = platformScope();
  const contributionId = contributionIdOf(event.tenantId);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const current = await deps.store.collection(benchmarkContributions).get(platform, contributionId);
    const target = segment !== null && score !== null ? { segment, score } : null;
    if (current && target && current.segment === target.segment && current.score === target.score) return;
    if (!current && !target) return;
    const segmentIds = [...new Set([current ? segmentIdOf(current.segment) : null, target ? segmentIdOf(target.segment) : null].filter((s): s is string => s !== null))];
    const aggregates = await deps.store.collection(benchmarkSegments).getMany(platform, segmentIds);
    const provenance = deps.provenance.build({ method: 'STATISTICAL', inputs: { segments: segmentIds, eventId: event.id }, explanation: 'Segment aggregate (client count, sum and sum of squares of latest health scores) updated' }, event.correlationId);
    try {
      await deps.store.transaction(platform, { action: 'lifecycle.benchmark', actor: SYSTEM_ACTOR, correlationId: event.correlationId, audit: false }, (tx) => {
        const byId = new Map(segmentIds.map((id, i) => [id, aggregates[i]]));
        const next = new Map(segmentIds.map((id) => [id, { clients: byId.get(id)?.clients ?? 0, sum: byId.get(id)?.sum ?? 0, sumSquares: byId.get(id)?.sumSquares ?? 0 }]));
        if (current) {
          const id = segmentIdOf(current.segment);
          next.set(id, applyContribution(next.get(id) ?? { clients: 0, sum: 0, sumSquares: 0 }, current.score, null));
        }
        if (target) {
          const id = segmentIdOf(target.segment);
          next.set(id, applyContribution(next.get(id) ?? { clients: 0, sum: 0, sumSquares: 0 }, null, target.score));
        }
        for (const [id, aggregate] of next) {
          const stored = byId.get(id);
          if (stored) tx.update(benchmarkSegments, stored, aggregate, provenance);
          else tx.insert(benchmarkSegments, { id, ...aggregate }, provenance);
        }
        if (current && target) tx.update(benchmarkContributions, current, target, provenance);
        else if (target) tx.insert(benchmarkContributions, { id: contributionId, ...target }, provenance);
        else if (current) tx.remove(benchmarkContributions, current);
      });
      return;
    } catch (error) {
      if (!isStoreRace(error)) throw error;
    }
  }
  throw new DomainError('CONFLICT', 'The benchmark aggregate is busy', { hint: 'The event is retried.', retryAfterSeconds: 1 });
};

// ------------------------------------------------------------------------------------- decks

const round = (value: number, digits = 4): number => Math.round(value * 10 ** digits) / 10 ** digits;

interface SectionDraft {
  kind: QbrSectionKind;
  title: string;
  /** The facts the wording is built from (also the LLM prompt). */
  facts: string;
  localBody: string;
  method: ProvenanceMethod;
  inputs: unknown;
  explanation: string;
  data: unknown;
}

const configuredModel = (deps: SubgraphDeps): boolean => Boolean(deps.config.openaiApiKey || deps.config.openaiBaseUrl);

/** Words one section: the configured language model when there is one (provenance LLM), the deterministic local wording otherwise (saying why). */
const wordSection = async (deps: SubgraphDeps, scope: TenantScope, s: SectionDraft, correlationId: string): Promise<QbrSectionDoc> => {
  let fallback = 'no language model configured';
  if (configuredModel(deps)) {
    const completion = await deps.ai.complete(scope, {
      task: 'draft',
      system: 'You write one section of a quarterly business review for a customer success manager. Use only the facts given; keep every number exactly; at most five sentences.',
      prompt: `Section: ${s.title}\n${s.facts}`,
      maxTokens: 300,
      temperature: 0,
    });
    if (completion.method === 'LLM' && completion.text.trim()) {
      const provenance = deps.provenance.build(
        { method: 'LLM', inputs: { section: s.inputs, promptDigest: completion.promptDigest }, explanation: `${s.explanation}. Worded by the configured language model from these facts`, model: completion.model, modelVersion: completion.modelVersion, confidence: completion.confidence },
        correlationId,
      );
      return { kind: s.kind, title: s.title, generatedBody: completion.text.trim(), generatedProvenance: provenance, data: JSON.stringify(s.data), editedBody: null, editedBy: null, editedAt: null, editProvenance: null };
    }
    fallback = completion.fallbackReason ?? 'the model answered with rules';
  }
  const provenance = deps.provenance.build({ method: s.method, inputs: s.inputs, explanation: `${s.explanation}. Worded by the deterministic local method (${fallback})`, model: 'qbr-local', modelVersion: '1', confidence: 1 }, correlationId);
  return { kind: s.kind, title: s.title, generatedBody: s.localBody, generatedProvenance: provenance, data: JSON.stringify(s.data), editedBody: null, editedBy: null, editedAt: null, editProvenance: null };
};

const KPI_LABEL: Readonly<Record<QbrKpi, string>> = {
  AVERAGE_HEALTH: 'Average health score',
  LATEST_HEALTH: 'Latest health score',
  AUTO_RESOLUTION_RATE: 'Autonomous resolution rate',
  ESCALATION_RATE: 'Escalation rate',
  CONVERSION_RATE: 'Message conversion rate',
  INCIDENTS: 'Monitoring incidents',
};

const kpiLine = (k: KpiResult): string =>
  `${KPI_LABEL[k.kpi]}: ${k.value === null ? 'no data' : k.value}${k.target === null ? ' (no objective)' : ` vs objective ${k.direction === 'AT_LEAST' ? '≥' : '≤'} ${k.target}: ${k.met === null ? 'not measurable' : k.met ? 'met' : `missed by ${Math.abs(k.gap ?? 0)}`}`}`;

/** Generates the caller's organization's QBR deck for a quarter (`YYYY-Qn`) and stores it. */
export const generateQbrDeck = async (deps: SubgraphDeps, ctx: RequestContext, args: { period: string }): Promise<QbrDeckModel> => {
  const started = performance.now();
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  const period = parsePeriod(args.period);
  if (period.from > new Date().toISOString()) throw inputError('period', `${period.label} has not started yet`, 'Generate decks for the current or a past quarter.');
  const inPeriod = { $gte: period.from, $lt: period.to };
  const fromDay = period.from.slice(0, 10);
  const toDay = period.to.slice(0, 10);
  const tickets = deps.store.collection(supportTickets);
  const assignments = deps.store.collection(experimentAssignments);
  const [settingsDoc, scores, total, autoResolved, escalated, outcomes, conversions, incidentCount, experimentList] = await Promise.all([
    loadSettings(deps, scope),
    deps.store.collection(healthScores).find(scope, { day: { $gte: fromDay, $lt: toDay } }, { sort: { field: 'day', direction: 1 }, limit: 400 }),
    tickets.count(scope, { openedAt: inPeriod }),
    tickets.count(scope, { openedAt: inPeriod, autoResolved: true }),
    tickets.count(scope, { openedAt: inPeriod, escalated: true }),
    assignments.count(scope, { outcomeAt: inPeriod }),
    assignments.count(scope, { outcomeAt: inPeriod, converted: true }),
    deps.store.collection(incidents).count(scope, { openedAt: inPeriod }),
    deps.store.collection(experiments).find(scope, { updatedAt: { $gte: period.from } }, { sort: { field: 'updatedAt', direction: -1 }, limit: MAX_EXPERIMENTS }),
  ]);
  const objectives = settingsDoc?.objectives ?? [];
  const latest = scores.length ? scores[scores.length - 1] : null;
  const values: Record<QbrKpi, number | null> = {
    AVERAGE_HEALTH: scores.length ? round(scores.reduce((s, x) => s + x.score, 0) / scores.length, 1) : null,
    LATEST_HEALTH: latest ? latest.score : null,
    AUTO_RESOLUTION_RATE: total ? round(autoResolved / total) : null,
    ESCALATION_RATE: total ? round(escalated / total) : null,
    CONVERSION_RATE: outcomes ? round(conversions / outcomes) : null,
    INCIDENTS: incidentCount,
  };
  const kpis = kpisAgainstObjectives(values, objectives);
  const kpiInputs = { period: period.label, values, objectives, counts: { healthDays: scores.length, tickets: total, autoResolved, escalated, outcomes, conversions, incidents: incidentCount } };

  const experimentSummaries = experimentList
    .filter((e) => e.createdAt < period.to && e.updatedAt >= period.from)
    .map((e) => {
      const arms = e.variants.map((v) => ({ impressions: v.outcomes, conversions: v.conversions }));
      return summarizeExperiment({ name: e.name, variants: e.variants, probabilityBest: probabilityBest(arms, 2000, seededRandom(seedOf(`${e.id}:${e.version}`))) });
    });

  const segment = settingsDoc?.segment ?? null;
  const aggregate = segment ? await deps.store.collection(benchmarkSegments).get(platformScope(), segmentIdOf(segment)) : null;
  const benchmark = segment ? benchmarkOf(aggregate, latest?.score ?? null) : null;

  const roiSettings = settingsDoc?.roi ?? null;
  const roi = roiSettings ? roiOf({ autoResolvedTickets: autoResolved, minutesSavedPerTicket: roiSettings.minutesSavedPerTicket, hourlyCost: roiSettings.hourlyCost, platformCost: roiSettings.platformCostPerQuarter }) : null;
  const recommendations = recommendationsFor({ kpis, band: latest?.band ?? null, experiments: experimentSummaries, benchmarkDelta: benchmark?.available ? benchmark.delta : null });

  const kpiText = kpis.map(kpiLine).join('\n');
  const expText = experimentSummaries.length
    ? experimentSummaries.map((e) => (e.leader ? `"${e.name}": ${e.outcomes} outcomes, ${e.conversions} conversions; leader ${e.leader} (conversion ${e.leaderConversionRate}, probability best ${e.leaderProbabilityBest})${e.decided ? ', decided' : ', still learning'}` : `"${e.name}": no outcomes yet`)).join('\n')
    : `No experiment ran in ${period.label}.`;
  const roiText = roi && roiSettings
    ? `${autoResolved} tickets resolved autonomously × ${roiSettings.minutesSavedPerTicket} min saved × ${roiSettings.hourlyCost}/h = savings ${roi.savings} against a platform cost of ${roiSettings.platformCostPerQuarter}: ROI ${round(roi.roi * 100, 2)}%.`
    : 'ROI is not shown: set the ROI inputs (minutes saved per ticket, hourly cost, platform cost per quarter) with setQbrSettings.';
  const benchText = !segment
    ? 'No benchmark: the organization has no benchmark profile (industry, size band, plan); set one with setQbrSettings.'
    : benchmark && benchmark.available
      ? `Against ${benchmark.clients} similar clients (${segment}): segment mean health ${benchmark.mean} (σ ${benchmark.stddev}); this client ${latest?.score ?? 'has no score'}${benchmark.delta === null ? '' : `, ${benchmark.delta >= 0 ? '+' : ''}${benchmark.delta} points`}.`
      : `No benchmark: ${benchmark?.reason ?? 'no segment'}.`;

  const drafts: SectionDraft[] = [
    { kind: 'KPIS', title: 'KPIs against objectives', facts: kpiText, localBody: kpiText, method: 'STATISTICAL', inputs: kpiInputs, explanation: `KPIs of ${period.label} from the organization's own health scores, support tickets, experiment outcomes and incidents, compared with its objectives`, data: kpis },
    { kind: 'EXPERIMENTS', title: 'Experiment results', facts: expText, localBody: expText, method: 'STATISTICAL', inputs: { period: period.label, experiments: experimentSummaries }, explanation: 'Bandit experiments active during the period (created before its end, updated since its start), with their cumulative outcomes: leader by probability of being best (2,000 seeded Monte Carlo draws over Beta posteriors), decided at ≥ 0.95', data: experimentSummaries },
    { kind: 'ROI', title: 'Return on investment', facts: roiText, localBody: roiText, method: roi ? 'STATISTICAL' : 'RULE', inputs: { autoResolved, roi: roiSettings, formula: ROI_FORMULA }, explanation: roi ? `ROI by the formula ${ROI_FORMULA}` : 'ROI inputs not set, so the section says what is missing', data: roi ? { ...roi, autoResolvedTickets: autoResolved, ...roiSettings, formula: ROI_FORMULA } : null },
    { kind: 'RECOMMENDATIONS', title: 'Recommendations', facts: recommendations.map((r) => `- ${r}`).join('\n'), localBody: recommendations.map((r) => `• ${r}`).join('\n'), method: 'RULE', inputs: { kpis, band: latest?.band ?? null, experiments: experimentSummaries, benchmarkDelta: benchmark?.available ? benchmark.delta : null }, explanation: 'Rules: one recommendation per missed objective, then health band, decided experiments and benchmark gap', data: recommendations },
    {
      kind: 'BENCHMARK',
      title: 'Benchmark against similar clients',
      facts: benchText,
      localBody: benchText,
      method: benchmark?.available ? 'STATISTICAL' : 'RULE',
      inputs: { segment, clients: benchmark?.clients ?? 0, ownScore: latest?.score ?? null },
      explanation: 'Anonymized platform aggregate of the latest health score of every client in the same segment (industry, size band, plan); shown only for groups of at least 5 clients',
      data: benchmark,
    },
  ];
  const sections = await Promise.all(drafts.map((d) => wordSection(deps, scope, d, ctx.correlationId)));
  const generationMs = Math.round(performance.now() - started);
  const provenance = deps.provenance.build({ method: 'SYSTEM', inputs: { period: period.label, sections: sections.map((s) => s.generatedProvenance.inputsDigest) }, explanation: `QBR deck of ${period.label} with ${sections.length} sections, generated in ${generationMs} ms; each section carries its own provenance` }, ctx.correlationId);
  return deps.store.transaction(scope, txOptions(ctx, 'generateQbrDeck'), (tx) => {
    const deck = tx.insert(qbrDecks, { id: newId(), period: period.label, from: period.from, to: period.to, generatedAt: new Date().toISOString(), generatedBy: principal.subject, generationMs, sections }, provenance);
    tx.emit({ type: 'qbr.deck.generated', topic: 'customer_success_events', subject: { typename: 'QbrDeck', id: deck.id }, payload: { period: period.label, sections: sections.length, generationMs } }, provenance);
    return deck;
  });
};

/** Records a human edit of one section; the generated version and its provenance are kept. */
export const updateQbrSection = async (deps: SubgraphDeps, ctx: RequestContext, input: { deckId: string; kind: QbrSectionKind; body: string }): Promise<QbrDeckModel> => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  const body = input.body.trim();
  if (body.length < 1 || body.length > 20_000) throw inputError('input.body', 'body must be 1–20,000 characters', 'Give the section text as it should read in the deck.');
  const deck = await deps.store.collection(qbrDecks).get(scope, input.deckId);
  if (!deck) throw notFound('QbrDeck');
  const index = deck.sections.findIndex((s) => s.kind === input.kind);
  if (index < 0) throw inputError('input.kind', `the deck has no ${input.kind} section`, 'Pick one of the deck\'s section kinds.');
  const provenance = deps.provenance.build({ method: 'HUMAN', inputs: { deckId: deck.id, kind: input.kind, body, generatedDigest: deck.sections[index].generatedProvenance.inputsDigest }, explanation: `Section ${input.kind} edited by a person; the generated version is kept` }, ctx.correlationId);
  const at = new Date().toISOString();
  return deps.store.transaction(scope, txOptions(ctx, 'updateQbrSection'), (tx) => {
    const sections = deck.sections.map((s, i) => (i === index ? { ...s, editedBody: body, editedBy: principal.subject, editedAt: at, editProvenance: provenance } : s));
    const updated = tx.update(qbrDecks, deck, { sections }, provenance);
    tx.emit({ type: 'qbr.section.edited', topic: 'customer_success_events', subject: { typename: 'QbrDeck', id: deck.id }, payload: { kind: input.kind, period: deck.period } }, provenance);
    return updated;
  });
};

export const listQbrDecks = async (deps: SubgraphDeps, ctx: RequestContext, args: { first?: number | null; after?: string | null }) => {
  return connectionOf(await deps.store.collection(qbrDecks).page(requireScope(ctx), {}, { first: clampFirst(args.first), after: args.after }));
};
