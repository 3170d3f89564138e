import { requireScope, type RequestContext, type TenantScope } from '../../../platform/context.ts';
import { inputError } from '../../../platform/errors.ts';
import type { ProvenanceRecord } from '../../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../../platform/server.ts';
import { ACTIVITY_WINDOW_DAYS, activityOf, cohortMembers, COHORTS, localDraft, organizationCohorts, POWER_USER_MIN_ACTIONS, type Cohort, type OrganizationFacts } from '../domain/cohorts.ts';
import { healthScores, lifecycleStates, timelineEvents } from '../store.ts';

/** Cohorts (Trial, Power User, At-Risk, Renewal) of the caller's organization and personalized drafts per member. */

/** Timeline rows read for activity (newest first). */
const ACTIVITY_LIMIT = 5000;
/** Organization users read from the timeline's user.created events. */
const USERS_LIMIT = 10_000;

interface CohortContext {
  facts: OrganizationFacts;
  orgCohorts: Cohort[];
  users: ReturnType<typeof activityOf>;
  since: string;
  inputs: unknown;
}

const cohortContext = async (deps: SubgraphDeps, scope: TenantScope): Promise<CohortContext> => {
  const since = new Date(Date.now() - ACTIVITY_WINDOW_DAYS * 86_400_000).toISOString();
  const [state, [latest], events, created] = await Promise.all([
    deps.store.collection(lifecycleStates).get(scope, 'stage'),
    deps.store.collection(healthScores).find(scope, {}, { sort: { field: 'day', direction: -1 }, limit: 1 }),
    deps.store.collection(timelineEvents).find(scope, { actorKind: 'user', occurredAt: { $gt: since } }, { sort: { field: 'occurredAt', direction: -1 }, limit: ACTIVITY_LIMIT }),
    deps.store.collection(timelineEvents).find(scope, { kind: 'user.created' }, { limit: USERS_LIMIT }),
  ]);
  const orgUsers = new Set(created.map((e) => e.subjectId));
  const facts: OrganizationFacts = { stage: state?.stage ?? null, band: latest?.band ?? null, score: latest?.score ?? null, usageFrequency: latest?.signals.usageFrequency ?? null };
  const users = activityOf(events.map((e) => ({ actorId: e.actorId, kind: e.kind, occurredAt: e.occurredAt })), orgUsers);
  return { facts, orgCohorts: organizationCohorts(facts), users, since, inputs: { facts, since, activity: users.map((u) => [u.userId, u.actions]) } };
};

const ruleExplanation = `Organization cohorts from lifecycle stage (TRIAL, RENEWAL, AT_RISK), a RED health band (AT_RISK) and usage (ACTIVE, not red, ≥ 5 active days a week: POWER_USER); members are the organization's users (its user.created events) active on the timeline in the last ${ACTIVITY_WINDOW_DAYS} days (POWER_USER: ≥ ${POWER_USER_MIN_ACTIONS} actions)`;

export interface CohortView {
  cohort: Cohort;
  organizationInCohort: boolean;
  memberCount: number;
  provenance: ProvenanceRecord;
}

/** The four cohorts with the organization's membership and member counts. */
export const listCohorts = async (deps: SubgraphDeps, ctx: RequestContext): Promise<CohortView[]> => {
  const c = await cohortContext(deps, requireScope(ctx));
  const provenance = deps.provenance.build({ method: 'RULE', inputs: c.inputs, explanation: ruleExplanation, confidence: 1 }, ctx.correlationId);
  return COHORTS.map((cohort) => ({ cohort, organizationInCohort: c.orgCohorts.includes(cohort), memberCount: cohortMembers(cohort, c.orgCohorts, c.users).length, provenance }));
};

export interface CohortDraftView {
  cohort: Cohort;
  user: { id: string };
  organization: { id: string };
  actions: number;
  lastActiveAt: string;
  subject: string;
  body: string;
  provenance: ProvenanceRecord;
}

/** One personalized draft per member (busiest first): the configured language model when there is one, the deterministic local template otherwise. */
export const cohortDrafts = async (deps: SubgraphDeps, ctx: RequestContext, args: { cohort: Cohort; first?: number | null }): Promise<CohortDraftView[]> => {
  const scope = requireScope(ctx);
  const first = args.first ?? 20;
  if (!Number.isInteger(first) || first < 1 || first > 50) throw inputError('first', 'first must be between 1 and 50', 'Ask for 1–50 drafts.');
  const c = await cohortContext(deps, scope);
  const members = cohortMembers(args.cohort, c.orgCohorts, c.users).slice(0, first);
  const configured = Boolean(deps.config.openaiApiKey || deps.config.openaiBaseUrl);
  return Promise.all(
    members.map(async (m) => {
      const facts = { cohort: args.cohort, stage: c.facts.stage, score: c.facts.score, band: c.facts.band, actions: m.actions, topKind: m.topKind };
      const local = localDraft(facts);
      let fallback = 'no language model configured';
      if (configured) {
        const completion = await deps.ai.complete(scope, {
          task: 'draft',
          system: 'You write a short, warm customer-success email to one user. Use only the facts given. First line: the subject. Then the body, at most four sentences.',
          prompt: `Cohort: ${args.cohort}\nOrganization stage: ${facts.stage ?? 'unknown'}\nHealth: ${facts.score ?? 'none'} (${facts.band ?? 'none'})\nUser actions in ${ACTIVITY_WINDOW_DAYS} days: ${m.actions}, mostly ${m.topKind}`,
          maxTokens: 220,
          temperature: 0.3,
        });
        const [subjectLine, ...rest] = completion.text.trim().split('\n');
        if (completion.method === 'LLM' && subjectLine && rest.join('\n').trim()) {
          const provenance = deps.provenance.build({ method: 'LLM', inputs: { facts, promptDigest: completion.promptDigest }, explanation: `Draft for a ${args.cohort} member written by the configured language model from the member's facts`, model: completion.model, modelVersion: completion.modelVersion, confidence: completion.confidence }, ctx.correlationId);
          return { cohort: args.cohort, user: { id: m.userId }, organization: { id: scope.tenantId }, actions: m.actions, lastActiveAt: m.lastActiveAt, subject: subjectLine.replace(/^subject:\s*/i, '').trim(), body: rest.join('\n').trim(), provenance };
        }
        fallback = completion.fallbackReason ?? 'the model answered with rules';
      }
      const provenance = deps.provenance.build({ method: 'RULE', inputs: facts, explanation: `Draft for a ${args.cohort} member from the cohort template, personalized with the member's activity and the organization's health; deterministic local method (${fallback})`, model: 'cohort-template', modelVersion: '1', confidence: 1 }, ctx.correlationId);
      return { cohort: args.cohort, user: { id: m.userId }, organization: { id: scope.tenantId }, actions: m.actions, lastActiveAt: m.lastActiveAt, ...local, provenance };
    }),
  );
};
