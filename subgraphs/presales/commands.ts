import DataLoader from 'dataloader';
import { perRequest, requireScope, systemScope, type RequestContext, type TenantScope } from '../../platform/context.ts';
import type { EventEnvelope } from '../../platform/events/envelope.ts';
import { DomainError, inputError, notFound } from '../../platform/errors.ts';
import type { Completion } from '../../platform/ai/port.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import type { CollectionSpec, Filter, Stored, Transaction } from '../../platform/store/port.ts';
import { clampFirst } from '../../platform/store/transaction.ts';
import { applyPaymentAttempt, cancelState, canRestart, changePlanState, effectiveStatus, monthlyAmountCents, startState, type SubscriptionPlan, type SubscriptionState } from './domain/billing.ts';
import { planDemo, type DemoProductType } from './domain/demo.ts';
import { applySignatureEvent, formatUsd, ndaClauses, PLATFORM_FEE_CENTS, signatureExpiry, tieredPrice, type DocumentSection, type SignatureStatus } from './domain/documents.ts';
import { advanceStage, canTransitionStage, checkProspectInput, isClosedStage, transitionStage, type BusinessType, type ProspectInput, type ProspectStage } from './domain/prospect.ts';
import { analyzeText, firstSentence, parseModelFindings, type ResearchIndustry } from './domain/research.ts';
import {
  billingSubscriptions,
  demos,
  prospects,
  researchReports,
  salesDocuments,
  type BillingSubscriptionModel,
  type DemoModel,
  type ProspectModel,
  type ResearchReportModel,
  type SalesDocumentModel,
  type StoredFinding,
} from './store.ts';

export type PresalesDeps = SubgraphDeps;

const MIN_SOURCE = 50;
const MAX_SOURCE = 100_000;
const MAX_VOLUME = 100_000_000;
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

const actorOf = (ctx: RequestContext): { id: string; kind: 'user' | 'app' | 'system' } => (ctx.principal ? { id: ctx.principal.subject, kind: ctx.principal.kind } : { id: 'anonymous', kind: 'system' });
const txOptions = (ctx: RequestContext, action: string) => ({ action: `presales.${action}`, actor: actorOf(ctx), correlationId: ctx.correlationId });
const human = (deps: PresalesDeps, ctx: RequestContext, inputs: unknown, explanation: string): ProvenanceRecord => deps.provenance.build({ method: 'HUMAN', inputs, explanation }, ctx.correlationId);
const rule = (deps: PresalesDeps, ctx: RequestContext, inputs: unknown, explanation: string, confidence?: number): ProvenanceRecord =>
  deps.provenance.build({ method: 'RULE', inputs, explanation, confidence: confidence ?? null }, ctx.correlationId);

/** Provenance of a model completion: the adapter's method (LLM, or RULE for the local model), model, version, and any fallback. */
const fromCompletion = (deps: PresalesDeps, ctx: RequestContext, completion: Completion, explanation: string, confidence = completion.confidence): ProvenanceRecord =>
  deps.provenance.build(
    {
      method: completion.method,
      inputs: { promptDigest: completion.promptDigest },
      explanation: completion.fallbackReason ? `${explanation} (fallback to ${completion.model}: ${completion.fallbackReason})` : explanation,
      confidence: round3(Math.max(0, Math.min(1, confidence))),
      model: completion.model,
      modelVersion: completion.modelVersion,
    },
    ctx.correlationId,
  );

const load = async <T>(deps: PresalesDeps, scope: TenantScope, spec: CollectionSpec<T>, id: string, typename: string): Promise<Stored<T>> => {
  const doc = await deps.store.collection(spec).get(scope, id);
  if (!doc) throw notFound(typename);
  return doc;
};

const openProspect = async (deps: PresalesDeps, scope: TenantScope, id: string, field = 'input.prospectId'): Promise<ProspectModel> => {
  const prospect = await load(deps, scope, prospects, id, 'Prospect');
  if (isClosedStage(prospect.stage)) throw inputError(field, `The prospect is ${prospect.stage}`, 'Closed prospects cannot be changed; create a new prospect instead.');
  return prospect;
};

const stageEvent = (prospect: ProspectModel, from: ProspectStage) => ({
  type: 'prospect.stage_changed',
  topic: 'research_events',
  subject: { typename: 'Prospect', id: prospect.id },
  payload: { from, to: prospect.stage },
});

// ------------------------------------------------------------------------------------- prospects

export const createProspect = async (deps: PresalesDeps, ctx: RequestContext, input: ProspectInput): Promise<ProspectModel> => {
  const scope = requireScope(ctx);
  const checked = checkProspectInput(input);
  const provenance = human(deps, ctx, checked, 'Prospect entered by a sales agent');
  return deps.store.transaction(scope, txOptions(ctx, 'createProspect'), (tx) => {
    const prospect = tx.insert(prospects, { ...checked, stage: 'NEW', latestResearchId: null }, provenance);
    tx.emit({ type: 'prospect.created', topic: 'research_events', subject: { typename: 'Prospect', id: prospect.id }, payload: { companyName: checked.companyName, businessType: checked.businessType } }, provenance);
    return prospect;
  });
};

export const updateProspectStage = async (deps: PresalesDeps, ctx: RequestContext, args: { id: string; stage: ProspectStage }): Promise<ProspectModel> => {
  const scope = requireScope(ctx);
  const prospect = await load(deps, scope, prospects, args.id, 'Prospect');
  const stage = transitionStage(prospect.stage, args.stage, 'stage');
  const provenance = human(deps, ctx, { id: args.id, from: prospect.stage, to: stage }, `Stage moved from ${prospect.stage} to ${stage} by a sales agent`);
  return deps.store.transaction(scope, txOptions(ctx, 'updateProspectStage'), (tx) => {
    const updated = tx.update(prospects, prospect, { stage }, provenance);
    tx.emit(stageEvent(updated, prospect.stage), provenance);
    return updated;
  });
};

export const listProspects = async (deps: PresalesDeps, ctx: RequestContext, args: { stage?: ProspectStage | null; first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  const filter: Filter = args.stage ? { stage: args.stage } : {};
  const reader = deps.store.collection(prospects);
  const [page, totalCount] = await Promise.all([reader.page(scope, filter, { first: clampFirst(args.first), after: args.after }), reader.count(scope, filter)]);
  return {
    edges: page.items.map((node, i) => ({ cursor: page.cursors[i], node })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    totalCount,
  };
};

/** Per-request loader of a collection's documents by prospect id: one round trip for all prospects of a response. */
export const byProspect = <T extends { prospectId: string }>(ctx: RequestContext, deps: PresalesDeps, spec: CollectionSpec<T>): DataLoader<string, Stored<T>[]> =>
  perRequest(ctx, `presales:byProspect:${spec.name}`, () => {
    const scope = requireScope(ctx);
    return new DataLoader<string, Stored<T>[]>(async (ids) => {
      const docs = await deps.store.collection(spec).find(scope, { prospectId: { $in: [...ids] } }, { sort: { field: 'createdAt', direction: -1 } });
      return ids.map((id) => docs.filter((d) => d.prospectId === id));
    });
  });

// -------------------------------------------------------------------------------------- research

const INDUSTRY_LABEL: Readonly<Record<ResearchIndustry, string>> = {
  HEALTHCARE: 'Healthcare', FINANCE: 'Finance', RETAIL: 'Retail', SOFTWARE: 'Software', HOSPITALITY: 'Hospitality', EDUCATION: 'Education', REAL_ESTATE: 'Real estate', LOGISTICS: 'Logistics', OTHER: 'Other',
};

const EXTRACT_SYSTEM =
  'You analyse a company web page for a sales team. Answer as JSON {"fields": {"pain_points": "...; ...", "automation_opportunities": "...; ..."}}: ' +
  'customer-service pain points the company likely has, and chatbot or voice-agent automations that would address them, each list separated by semicolons.';

export const runResearch = async (deps: PresalesDeps, ctx: RequestContext, input: { prospectId: string; sourceText: string }): Promise<ResearchReportModel> => {
  const scope = requireScope(ctx);
  const text = input.sourceText.trim();
  if (text.length < MIN_SOURCE || text.length > MAX_SOURCE) {
    throw inputError('input.sourceText', `Source text must be ${MIN_SOURCE}–${MAX_SOURCE.toLocaleString('en-US')} characters (got ${text.length})`, 'Paste the text of the company website, about page, posts or reviews.');
  }
  const prospect = await openProspect(deps, scope, input.prospectId);
  const analysis = analyzeText(text);
  const [summary, extraction] = await Promise.all([
    deps.ai.complete(scope, { task: 'summarize', system: 'Summarize what this company does and its business model in at most three sentences.', prompt: text, maxTokens: 160 }),
    deps.ai.complete(scope, { task: 'extract', system: EXTRACT_SYSTEM, prompt: text, labels: ['pain points', 'automation opportunities'] }),
  ]);

  const ruleProvenance = (id: string, signals: string[], confidence: number, kind: string) =>
    rule(deps, ctx, { rule: id, signals }, `Research rule "${id}" matched ${signals.join(', ')} (${kind})`, confidence);
  const findings: StoredFinding[] = analysis.findings.map((f) => ({ kind: f.kind, text: f.text, confidence: f.confidence, signals: f.signals, provenance: ruleProvenance(f.rule, f.signals, f.confidence, f.kind) }));
  const known = new Set(findings.map((f) => `${f.kind}|${f.text.toLowerCase()}`));
  const modelProvenance = fromCompletion(deps, ctx, extraction, 'Pain points and opportunities extracted from the source by the language model');
  for (const item of parseModelFindings(extraction.text)) {
    if (known.has(`${item.kind}|${item.text.toLowerCase()}`)) continue;
    known.add(`${item.kind}|${item.text.toLowerCase()}`);
    findings.push({ kind: item.kind, text: item.text, confidence: round3(extraction.confidence), signals: [], provenance: modelProvenance });
  }

  const description = summary.text.trim() || firstSentence(text);
  const confidence = summary.text.trim() ? summary.confidence : 0.3;
  const provenance = deps.provenance.build(
    {
      method: summary.method,
      inputs: { prospectId: prospect.id, source: text, summaryPrompt: summary.promptDigest, extractPrompt: extraction.promptDigest },
      explanation:
        `Description by ${summary.model} (${summary.method})${summary.fallbackReason ? ` after fallback: ${summary.fallbackReason}` : ''}; ` +
        `industry, size, funding, tech stack and ${analysis.findings.length} findings by keyword rules`,
      confidence: round3(Math.max(0, Math.min(1, confidence))),
      model: summary.model,
      modelVersion: summary.modelVersion,
    },
    ctx.correlationId,
  );
  const doc = {
    prospectId: prospect.id,
    description: description.slice(0, 2000),
    industry: analysis.industry.industry,
    industryConfidence: analysis.industry.confidence,
    employeeCount: analysis.employeeCount,
    sizeBand: analysis.sizeBand,
    fundingUsd: analysis.fundingUsd,
    techStack: analysis.techStack,
    painPoints: findings.filter((f) => f.kind === 'PAIN_POINT'),
    automationOpportunities: findings.filter((f) => f.kind === 'OPPORTUNITY'),
    sourceLength: text.length,
  };
  const stage = advanceStage(prospect.stage, 'RESEARCHED');
  return deps.store.transaction(scope, txOptions(ctx, 'runResearch'), (tx) => {
    const report = tx.insert(researchReports, doc, provenance);
    const updated = tx.update(
      prospects,
      prospect,
      {
        stage,
        latestResearchId: report.id,
        industry: prospect.industry ?? (analysis.industry.industry === 'OTHER' ? null : INDUSTRY_LABEL[analysis.industry.industry]),
        employeeCount: prospect.employeeCount ?? analysis.employeeCount,
      },
      rule(deps, ctx, { reportId: report.id }, 'Prospect updated from research'),
    );
    tx.emit(
      { type: 'research.completed', topic: 'research_events', subject: { typename: 'ResearchReport', id: report.id }, payload: { prospectId: prospect.id, industry: doc.industry, painPoints: doc.painPoints.length, opportunities: doc.automationOpportunities.length } },
      provenance,
    );
    if (stage !== prospect.stage) tx.emit(stageEvent(updated, prospect.stage), updated.provenance);
    return report;
  });
};

// ------------------------------------------------------------------------------------------ demos

export const generateDemo = async (deps: PresalesDeps, ctx: RequestContext, input: { prospectId: string; productType: DemoProductType }): Promise<DemoModel> => {
  const scope = requireScope(ctx);
  const prospect = await openProspect(deps, scope, input.prospectId);
  if (!prospect.latestResearchId) throw inputError('input.prospectId', 'The prospect has not been researched', 'Run research first (runResearch).');
  const report = await load(deps, scope, researchReports, prospect.latestResearchId, 'ResearchReport');
  const plan = planDemo({
    companyName: prospect.companyName,
    industry: report.industry,
    productType: input.productType,
    painPoints: report.painPoints.map((f) => f.text),
    opportunities: report.automationOpportunities.map((f) => f.text),
  });
  const stage = advanceStage(prospect.stage, 'DEMO');
  const provenance = rule(deps, ctx, { reportId: report.id, productType: input.productType, industry: report.industry }, `Demo built from the ${report.industry} kit and ${Math.min(4, report.painPoints.length)} researched pain points`, report.industryConfidence);
  return deps.store.transaction(scope, txOptions(ctx, 'generateDemo'), (tx) => {
    const demo = tx.insert(demos, { prospectId: prospect.id, researchReportId: report.id, productType: input.productType, industry: report.industry, ...plan, status: 'GENERATED', approvedAt: null }, provenance);
    tx.emit({ type: 'demo.generated', topic: 'demo_events', subject: { typename: 'Demo', id: demo.id }, payload: { prospectId: prospect.id, productType: input.productType, industry: report.industry } }, provenance);
    if (stage !== prospect.stage) {
      const updated = tx.update(prospects, prospect, { stage }, provenance);
      tx.emit(stageEvent(updated, prospect.stage), provenance);
    }
    return demo;
  });
};

export const approveDemo = async (deps: PresalesDeps, ctx: RequestContext, id: string): Promise<DemoModel> => {
  const scope = requireScope(ctx);
  const demo = await load(deps, scope, demos, id, 'Demo');
  if (demo.status === 'APPROVED') throw inputError('id', 'The demo is already approved', 'Nothing to do; generate the NDA or proposal next.');
  const provenance = human(deps, ctx, { id }, 'Demo approved on behalf of the client');
  return deps.store.transaction(scope, txOptions(ctx, 'approveDemo'), (tx) => {
    const approved = tx.update(demos, demo, { status: 'APPROVED', approvedAt: new Date().toISOString() }, provenance);
    tx.emit({ type: 'demo.approved', topic: 'demo_events', subject: { typename: 'Demo', id }, payload: { prospectId: demo.prospectId } }, provenance);
    return approved;
  });
};

// ------------------------------------------------------------------------------- sales documents

export const generateNda = async (deps: PresalesDeps, ctx: RequestContext, input: { prospectId: string; businessType?: BusinessType | null }): Promise<SalesDocumentModel> => {
  const scope = requireScope(ctx);
  const prospect = await openProspect(deps, scope, input.prospectId);
  const businessType = input.businessType ?? prospect.businessType;
  const sections = ndaClauses(businessType, prospect.companyName);
  const provenance = rule(deps, ctx, { prospectId: prospect.id, businessType }, `NDA clauses chosen for business type ${businessType}: ${sections.map((s) => s.code).join(', ')}`, 1);
  return deps.store.transaction(scope, txOptions(ctx, 'generateNda'), (tx) => {
    const doc = tx.insert(
      salesDocuments,
      { prospectId: prospect.id, kind: 'NDA', title: `Mutual Non-Disclosure Agreement — ${prospect.companyName}`, businessType, sections, pricing: null, signatureStatus: 'DRAFT', signatureEvents: [], expiresAt: null },
      provenance,
    );
    tx.emit({ type: 'sales_doc.generated', topic: 'sales_doc_events', subject: { typename: 'SalesDocument', id: doc.id }, payload: { prospectId: prospect.id, kind: 'NDA', businessType } }, provenance);
    return doc;
  });
};

export const generateProposal = async (deps: PresalesDeps, ctx: RequestContext, input: { prospectId: string; monthlyVolume: number }): Promise<SalesDocumentModel> => {
  const scope = requireScope(ctx);
  if (!Number.isInteger(input.monthlyVolume) || input.monthlyVolume < 0 || input.monthlyVolume > MAX_VOLUME) {
    throw inputError('input.monthlyVolume', `Monthly volume must be a whole number from 0 to ${MAX_VOLUME.toLocaleString('en-US')}`, 'Give the expected conversations per month, e.g. 5000.');
  }
  const prospect = await openProspect(deps, scope, input.prospectId);
  const [demo] = await deps.store.collection(demos).find(scope, { prospectId: prospect.id }, { sort: { field: 'createdAt', direction: -1 }, limit: 1 });
  if (!demo) throw inputError('input.prospectId', 'The prospect has no demo', 'Generate a demo first (generateDemo).');
  const report = await load(deps, scope, researchReports, demo.researchReportId, 'ResearchReport');
  const stage = advanceStage(prospect.stage, 'PROPOSAL');
  const pricing = tieredPrice(input.monthlyVolume, undefined, PLATFORM_FEE_CENTS[demo.productType]);
  const list = (items: ReadonlyArray<{ text: string }>): string => (items.length ? items.map((i) => `• ${i.text}`).join('\n') : '• None identified yet');
  const sections: DocumentSection[] = [
    { code: 'proposal.summary', heading: `About ${prospect.companyName}`, body: report.description },
    { code: 'proposal.pain_points', heading: 'What we heard', body: list(report.painPoints) },
    { code: 'proposal.solution', heading: 'Proposed automation', body: list(report.automationOpportunities) },
    { code: 'proposal.demo', heading: 'Demo', body: `${demo.productType === 'VOICEBOT' ? 'Voice agent' : 'Chat assistant'} for ${prospect.companyName} with tools ${demo.tools.map((t) => t.name).join(', ')}${demo.status === 'APPROVED' ? ' (approved)' : ''}.` },
    {
      code: 'proposal.pricing',
      heading: 'Pricing (monthly)',
      body: [
        ...pricing.lines.map((l) => `${l.from.toLocaleString('en-US')}–${l.to === null ? '∞' : l.to.toLocaleString('en-US')} conversations: ${l.units.toLocaleString('en-US')} × ${formatUsd(l.unitPriceCents)} = ${formatUsd(l.amountCents)}`),
        `Platform fee: ${formatUsd(pricing.platformFeeCents)}`,
        `Total: ${formatUsd(pricing.totalCents)} per month for ${pricing.volume.toLocaleString('en-US')} conversations`,
      ].join('\n'),
    },
    { code: 'proposal.terms', heading: 'Terms', body: 'Prices exclude taxes. Volume is reviewed quarterly; conversations above the quoted volume are billed at the tier rates.' },
  ];
  const provenance = rule(deps, ctx, { prospectId: prospect.id, reportId: report.id, demoId: demo.id, monthlyVolume: input.monthlyVolume }, `Proposal from research ${report.id}, demo ${demo.id} and graduated tier pricing`, 1);
  return deps.store.transaction(scope, txOptions(ctx, 'generateProposal'), (tx) => {
    const doc = tx.insert(
      salesDocuments,
      { prospectId: prospect.id, kind: 'PROPOSAL', title: `Proposal for ${prospect.companyName}`, businessType: prospect.businessType, sections, pricing, signatureStatus: 'DRAFT', signatureEvents: [], expiresAt: null },
      provenance,
    );
    tx.emit({ type: 'sales_doc.generated', topic: 'sales_doc_events', subject: { typename: 'SalesDocument', id: doc.id }, payload: { prospectId: prospect.id, kind: 'PROPOSAL', totalCents: pricing.totalCents } }, provenance);
    if (stage !== prospect.stage) {
      const updated = tx.update(prospects, prospect, { stage }, provenance);
      tx.emit(stageEvent(updated, prospect.stage), provenance);
    }
    return doc;
  });
};

export const sendSalesDocument = async (deps: PresalesDeps, ctx: RequestContext, input: { documentId: string; expiresInDays?: number | null }): Promise<SalesDocumentModel> => {
  const scope = requireScope(ctx);
  const doc = await load(deps, scope, salesDocuments, input.documentId, 'SalesDocument');
  const now = new Date();
  const status = applySignatureEvent({ status: doc.signatureStatus, expiresAt: doc.expiresAt }, 'SENT', now, 'input.documentId');
  const expiresAt = signatureExpiry(now, input.expiresInDays);
  const provenance = human(deps, ctx, { documentId: doc.id, expiresAt }, 'Sent for e-signature by a sales agent');
  return deps.store.transaction(scope, txOptions(ctx, 'sendSalesDocument'), (tx) => {
    const sent = tx.update(salesDocuments, doc, { signatureStatus: status, expiresAt, signatureEvents: [...doc.signatureEvents, { status, at: now.toISOString(), provenance }] }, provenance);
    tx.emit({ type: 'sales_doc.sent', topic: 'sales_doc_events', subject: { typename: 'SalesDocument', id: doc.id }, payload: { prospectId: doc.prospectId, kind: doc.kind, expiresAt } }, provenance);
    return sent;
  });
};

const toDate = (value: string | Date | null | undefined, field: string): Date => {
  if (value === null || value === undefined) return new Date();
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw inputError(field, 'Not a valid date-time', 'Use ISO-8601 UTC, e.g. 2026-11-23T10:00:00Z.');
  if (date.getTime() > Date.now() + 5 * 60_000) throw inputError(field, 'The event time is in the future', 'Send the time the provider reported the event.');
  return date;
};

export const recordSignatureEvent = async (deps: PresalesDeps, ctx: RequestContext, input: { documentId: string; status: SignatureStatus; occurredAt?: string | Date | null }): Promise<SalesDocumentModel> => {
  const scope = requireScope(ctx);
  if (input.status === 'DRAFT' || input.status === 'SENT') throw inputError('input.status', `${input.status} is not a provider event`, 'Use sendSalesDocument to send; record OPENED, SIGNED, EXPIRED or DECLINED here.');
  const at = toDate(input.occurredAt, 'input.occurredAt');
  const doc = await load(deps, scope, salesDocuments, input.documentId, 'SalesDocument');
  const status = applySignatureEvent({ status: doc.signatureStatus, expiresAt: doc.expiresAt }, input.status, at);
  const prospect = status === 'SIGNED' && doc.kind === 'PROPOSAL' ? await deps.store.collection(prospects).get(scope, doc.prospectId) : null;
  const provenance = deps.provenance.build({ method: 'IMPORT', inputs: { documentId: doc.id, status, at: at.toISOString() }, explanation: `E-signature provider reported ${status}` }, ctx.correlationId);
  return deps.store.transaction(scope, txOptions(ctx, 'recordSignatureEvent'), (tx) => {
    const updated = tx.update(salesDocuments, doc, { signatureStatus: status, signatureEvents: [...doc.signatureEvents, { status, at: at.toISOString(), provenance }] }, provenance);
    tx.emit({ type: `sales_doc.${status.toLowerCase()}`, topic: 'sales_doc_events', subject: { typename: 'SalesDocument', id: doc.id }, payload: { prospectId: doc.prospectId, kind: doc.kind, at: at.toISOString() } }, provenance);
    if (prospect && canTransitionStage(prospect.stage, 'WON')) {
      const won = tx.update(prospects, prospect, { stage: 'WON' }, rule(deps, ctx, { documentId: doc.id }, 'Proposal signed: prospect won'));
      tx.emit(stageEvent(won, prospect.stage), won.provenance);
    }
    return updated;
  });
};

// ---------------------------------------------------------------------------------------- billing

export const subscriptionOf = (deps: PresalesDeps, scope: TenantScope): Promise<BillingSubscriptionModel | null> =>
  deps.store.collection(billingSubscriptions).findOne(scope, { organizationId: scope.tenantId });

const stateOf = (sub: BillingSubscriptionModel, now: Date): SubscriptionState => ({
  plan: sub.plan,
  status: effectiveStatus(sub, now),
  failedAttempts: sub.failedPaymentAttempts,
  currentPeriodEnd: sub.currentPeriodEnd,
  nextRetryAt: sub.nextPaymentRetryAt,
  canceledAt: sub.canceledAt,
});

const patchOf = (state: SubscriptionState) => ({
  plan: state.plan,
  status: state.status,
  failedPaymentAttempts: state.failedAttempts,
  currentPeriodEnd: state.currentPeriodEnd,
  nextPaymentRetryAt: state.nextRetryAt,
  canceledAt: state.canceledAt,
});

const billingEvent = (type: string, sub: BillingSubscriptionModel, payload: Record<string, unknown>) => ({
  type,
  topic: 'billing_events',
  subject: { typename: 'BillingSubscription', id: sub.id },
  payload: { plan: sub.plan, status: sub.status, ...payload },
});

const requireSubscription = async (deps: PresalesDeps, scope: TenantScope): Promise<BillingSubscriptionModel> => {
  const sub = await subscriptionOf(deps, scope);
  if (!sub) throw notFound('BillingSubscription', 'Start a subscription first (startSubscription).');
  return sub;
};

export const startSubscription = async (deps: PresalesDeps, ctx: RequestContext, input: { plan: SubscriptionPlan; seats: number }): Promise<BillingSubscriptionModel> => {
  const scope = requireScope(ctx);
  const amount = monthlyAmountCents(input.plan, input.seats);
  const now = new Date();
  const existing = await subscriptionOf(deps, scope);
  if (existing && !canRestart(existing, now)) {
    throw new DomainError('ALREADY_EXISTS', 'The organization already has an open subscription', { hint: 'Use changeSubscription to change plan or seats, or cancel it first.' });
  }
  const { trialEndsAt, ...state } = startState(input.plan, now);
  const doc = { organizationId: scope.tenantId, seats: input.seats, monthlyAmountCents: amount, trialEndsAt, ...patchOf(state) };
  const provenance = human(deps, ctx, doc, `Subscription started on ${input.plan} by an organization admin`);
  return deps.store.transaction(scope, txOptions(ctx, 'startSubscription'), (tx) => {
    const sub = existing ? tx.update(billingSubscriptions, existing, doc, provenance) : tx.insert(billingSubscriptions, doc, provenance);
    tx.emit(billingEvent('billing.subscription_started', sub, { seats: input.seats, monthlyAmountCents: amount, restarted: Boolean(existing) }), provenance);
    return sub;
  });
};

export const changeSubscription = async (deps: PresalesDeps, ctx: RequestContext, input: { plan?: SubscriptionPlan | null; seats?: number | null }): Promise<BillingSubscriptionModel> => {
  const scope = requireScope(ctx);
  if (!input.plan && (input.seats === null || input.seats === undefined)) throw inputError('input', 'Nothing to change', 'Give a new plan, a new seat count, or both.');
  const sub = await requireSubscription(deps, scope);
  const now = new Date();
  let state = stateOf(sub, now);
  if (state.status === 'CANCELED' || state.status === 'CHURNED') throw inputError('input', `The subscription is ${state.status}`, 'Start a new subscription instead.');
  if (input.plan && input.plan !== sub.plan) state = changePlanState(state, input.plan);
  const seats = input.seats ?? sub.seats;
  const amount = monthlyAmountCents(state.plan, seats);
  const provenance = human(deps, ctx, { plan: state.plan, seats }, `Subscription changed to ${state.plan} × ${seats} seats by an organization admin`);
  return deps.store.transaction(scope, txOptions(ctx, 'changeSubscription'), (tx) => {
    const updated = tx.update(billingSubscriptions, sub, { ...patchOf(state), seats, monthlyAmountCents: amount }, provenance);
    tx.emit(billingEvent('billing.subscription_changed', updated, { fromPlan: sub.plan, seats, monthlyAmountCents: amount }), provenance);
    return updated;
  });
};

const PAYMENT_EVENT = { PAYMENT_SUCCEEDED: 'billing.payment_succeeded', PAYMENT_FAILED: 'billing.payment_failed', CANCELED_FOR_NONPAYMENT: 'billing.subscription_canceled' } as const;

export const recordPaymentAttempt = async (deps: PresalesDeps, ctx: RequestContext, input: { succeeded: boolean; failureReason?: string | null }): Promise<BillingSubscriptionModel> => {
  const scope = requireScope(ctx);
  const reason = input.failureReason?.trim() || null;
  if (reason && reason.length > 200) throw inputError('input.failureReason', 'Failure reason must be at most 200 characters', 'Send the processor\'s decline code or short message.');
  if (input.succeeded && reason) throw inputError('input.failureReason', 'A successful payment has no failure reason', 'Omit failureReason when succeeded is true.');
  const sub = await requireSubscription(deps, scope);
  const now = new Date();
  const { state, outcome } = applyPaymentAttempt(stateOf(sub, now), input.succeeded, now);
  const provenance = deps.provenance.build(
    { method: 'RULE', inputs: { subscriptionId: sub.id, succeeded: input.succeeded, reason, attempt: state.failedAttempts }, explanation: `Dunning: ${outcome.toLowerCase().replace(/_/g, ' ')}${reason ? ` (${reason})` : ''}; ${state.failedAttempts} failed attempt(s) in a row`, confidence: 1 },
    ctx.correlationId,
  );
  return deps.store.transaction(scope, txOptions(ctx, 'recordPaymentAttempt'), (tx) => {
    const updated = tx.update(billingSubscriptions, sub, patchOf(state), provenance);
    tx.emit(billingEvent(PAYMENT_EVENT[outcome], updated, { failedPaymentAttempts: state.failedAttempts, failureReason: reason, nextPaymentRetryAt: state.nextRetryAt, amountCents: sub.monthlyAmountCents }), provenance);
    return updated;
  });
};

export const cancelSubscription = async (deps: PresalesDeps, ctx: RequestContext): Promise<BillingSubscriptionModel> => {
  const scope = requireScope(ctx);
  const sub = await requireSubscription(deps, scope);
  const state = cancelState(stateOf(sub, new Date()), new Date());
  const provenance = human(deps, ctx, { subscriptionId: sub.id }, 'Subscription canceled by an organization admin');
  return deps.store.transaction(scope, txOptions(ctx, 'cancelSubscription'), (tx) => {
    const updated = tx.update(billingSubscriptions, sub, patchOf(state), provenance);
    tx.emit(billingEvent('billing.subscription_canceled', updated, { reason: 'customer' }), provenance);
    return updated;
  });
};

// -------------------------------------------------------------------------------- event consumers

const ORG_PLANS: readonly SubscriptionPlan[] = ['FREE', 'PRO', 'ENTERPRISE'];

/**
 * org.created → the new organization's subscription on the plan identity provisioned it with: FREE
 * starts ACTIVE, paid plans start their trial. One seat (the first owner; ENTERPRISE bills its minimum).
 * Skipped when the organization already has a subscription. Runs inside consumeOnce's transaction.
 */
export const provisionSubscriptionForOrganization = async (deps: PresalesDeps, event: EventEnvelope, tx: Transaction): Promise<void> => {
  const plan = event.payload.plan;
  if (typeof plan !== 'string' || !(ORG_PLANS as readonly string[]).includes(plan)) return;
  const scope = systemScope(event.tenantId, 'org.created consumer');
  if (await subscriptionOf(deps, scope)) return;
  const seats = 1;
  const { trialEndsAt, ...state } = startState(plan as SubscriptionPlan, new Date(event.occurredAt));
  const doc = { organizationId: event.tenantId, seats, monthlyAmountCents: monthlyAmountCents(plan as SubscriptionPlan, seats), trialEndsAt, ...patchOf(state) };
  const provenance = deps.provenance.build({ method: 'SYSTEM', inputs: { eventId: event.id, plan }, explanation: `Subscription provisioned from org.created on plan ${plan}` }, event.correlationId);
  const sub = tx.insert(billingSubscriptions, doc, provenance);
  tx.emit(billingEvent('billing.subscription_started', sub, { seats, monthlyAmountCents: doc.monthlyAmountCents, restarted: false, source: 'org.created' }), provenance);
};
