import { createHmac } from 'node:crypto';
import { requirePrincipal, requireScope, type RequestContext, type TenantScope } from '../../platform/context.ts';
import { DomainError, inputError, notFound } from '../../platform/errors.ts';
import { newId, newSecret } from '../../platform/ids.ts';
import { digestOf } from '../../platform/provenance/canonical.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { Filter } from '../../platform/store/port.ts';
import { clampFirst } from '../../platform/store/transaction.ts';
import { linearForecast, urgentDriftOf } from './domain/forecast.ts';
import { round } from './domain/impact-scoring.ts';
import { checkMinGroupSize, complementarySuppression, DEFAULT_MIN_GROUP_SIZE, effectiveThreshold, publishable } from './domain/privacy.ts';
import { addToTally, checkAnswers, emptyTally, enpsOf, resultOf, type RoundResult } from './domain/safety.ts';
import { alertSeverityOf, analyzeRound, DEFAULT_SAFETY_POLICY, mayHandleAlert, recommendedActionOf, type PublishedRound, type SafetyPolicy, type SafetySignal } from './domain/signals.ts';
import { checkId, checkWindow } from './domain/validation.ts';
import { consentsOf, hasConsent } from './impact-commands.ts';
import { actorOf, connectionOf, provenanceOf, withRetry, type ImpactDeps } from './shared.ts';
import { culturePolicies, pulseRounds, pulseSecrets, pulseTeams, safetyAlerts, type CulturePolicyDoc, type CulturePolicyModel, type PulseRoundModel, type PulseTeamModel, type SafetyAlertModel } from './store.ts';

const POLICY_ID = 'policy';
const SECRET_ID = 'dedupe';
/** Respondents act anonymously: neither the audit record nor the event names them. */
const ANONYMOUS = { id: 'anonymous-respondent', kind: 'system' as const };

// ---------- policy ----------

export const policyOf = async (deps: ImpactDeps, scope: TenantScope): Promise<CulturePolicyModel> => {
  const stored = await deps.store.collection(culturePolicies).get(scope, POLICY_ID);
  if (stored) return stored;
  const at = new Date(0).toISOString();
  return {
    id: POLICY_ID,
    tenantId: scope.tenantId,
    version: 0,
    createdAt: at,
    updatedAt: at,
    minGroupSize: DEFAULT_MIN_GROUP_SIZE,
    ...DEFAULT_SAFETY_POLICY,
    provenance: deps.provenance.build({ method: 'SYSTEM', inputs: { defaults: true }, explanation: 'Default culture policy: minimum group size 5 and default alert thresholds.', computedAt: new Date(0) }, 'defaults'),
  };
};

const savePolicy = async (deps: ImpactDeps, ctx: RequestContext, patch: Partial<CulturePolicyDoc>, action: string): Promise<CulturePolicyModel> => {
  const scope = requireScope(ctx);
  const current = await policyOf(deps, scope);
  const next: CulturePolicyDoc = {
    minGroupSize: patch.minGroupSize ?? current.minGroupSize,
    urgentDrop: patch.urgentDrop ?? current.urgentDrop,
    routineDrop: patch.routineDrop ?? current.routineDrop,
    celebrationRise: patch.celebrationRise ?? current.celebrationRise,
    participationCollapseRatio: patch.participationCollapseRatio ?? current.participationCollapseRatio,
    divergenceSpread: patch.divergenceSpread ?? current.divergenceSpread,
  };
  if (next.routineDrop > next.urgentDrop) throw inputError('input.routineDrop', 'routineDrop cannot exceed urgentDrop', `Keep routineDrop ≤ urgentDrop (${next.urgentDrop}).`);
  const provenance = provenanceOf(deps, ctx, { method: 'HUMAN', inputs: next, explanation: `Culture policy set by an organization admin (${action}).` });
  return deps.store.transaction(scope, { action: `impact.${action}`, actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const doc = current.version === 0 ? tx.insert(culturePolicies, { id: POLICY_ID, ...next }, provenance) : tx.update(culturePolicies, current, next, provenance);
    tx.emit({ type: 'culture.policy.changed', topic: 'culture_events', subject: { typename: 'Organization', id: scope.tenantId }, payload: { ...next } }, provenance);
    return doc;
  });
};

export const setPrivacyThreshold = (deps: ImpactDeps, ctx: RequestContext, minGroupSize: number) => savePolicy(deps, ctx, { minGroupSize: checkMinGroupSize(minGroupSize) }, 'setPrivacyThreshold');

const checkThreshold = (value: number | null | undefined, field: string, min: number, max: number): number | undefined => {
  if (value === null || value === undefined) return undefined;
  if (!Number.isFinite(value) || value < min || value > max) throw inputError(`input.${field}`, `${field} must be between ${min} and ${max}`, `Give ${field} within ${min}–${max}.`);
  return value;
};

export const setSafetyAlertPolicy = (deps: ImpactDeps, ctx: RequestContext, input: Partial<Record<keyof SafetyPolicy, number | null>>) =>
  savePolicy(deps, ctx, {
    urgentDrop: checkThreshold(input.urgentDrop, 'urgentDrop', 0.05, 6),
    routineDrop: checkThreshold(input.routineDrop, 'routineDrop', 0.05, 6),
    celebrationRise: checkThreshold(input.celebrationRise, 'celebrationRise', 0.05, 6),
    participationCollapseRatio: checkThreshold(input.participationCollapseRatio, 'participationCollapseRatio', 0.05, 1),
    divergenceSpread: checkThreshold(input.divergenceSpread, 'divergenceSpread', 0.1, 6),
  }, 'setSafetyAlertPolicy');

// ---------- teams and rounds ----------

export const registerPulseTeam = async (deps: ImpactDeps, ctx: RequestContext, input: { teamId: string; memberCount: number }): Promise<PulseTeamModel> => {
  const scope = requireScope(ctx);
  const teamId = checkId(input.teamId, 'input.teamId', 'team');
  if (!Number.isInteger(input.memberCount) || input.memberCount < 1 || input.memberCount > 10_000) throw inputError('input.memberCount', 'memberCount must be an integer 1–10000', 'Give the number of people on the team.');
  const existing = await deps.store.collection(pulseTeams).get(scope, teamId);
  const provenance = provenanceOf(deps, ctx, { method: 'HUMAN', inputs: { teamId, memberCount: input.memberCount }, explanation: 'Team registered for pulse surveys.' });
  return deps.store.transaction(scope, { action: 'impact.registerPulseTeam', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const doc = existing ? tx.update(pulseTeams, existing, { memberCount: input.memberCount }, provenance) : tx.insert(pulseTeams, { id: teamId, memberCount: input.memberCount }, provenance);
    tx.emit({ type: 'pulse.team.registered', topic: 'culture_events', subject: { typename: 'PulseTeam', id: teamId }, payload: { memberCount: input.memberCount } }, provenance);
    return doc;
  });
};

export const openPulseRound = async (deps: ImpactDeps, ctx: RequestContext, teamIdInput: string): Promise<PulseRoundModel> => {
  const scope = requireScope(ctx);
  const teamId = checkId(teamIdInput, 'teamId', 'team');
  const team = await deps.store.collection(pulseTeams).get(scope, teamId);
  if (!team) throw inputError('teamId', 'This team is not registered for pulses', 'Call registerPulseTeam with the team id and its size first.');
  if (await deps.store.collection(pulseRounds).findOne(scope, { teamId, status: 'OPEN' })) throw new DomainError('ALREADY_EXISTS', 'This team already has an open pulse round', { field: 'teamId', hint: 'Close the open round with closePulseRound before opening another.' });
  const provenance = provenanceOf(deps, ctx, { method: 'HUMAN', inputs: { teamId }, explanation: 'Pulse round opened.' });
  return deps.store.transaction(scope, { action: 'impact.openPulseRound', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const doc = tx.insert(pulseRounds, { teamId, status: 'OPEN', openedAt: new Date().toISOString(), closedAt: null, tally: emptyTally(), ballots: [], receiptHashes: [], comments: [], memberCount: team.memberCount }, provenance);
    tx.emit({ type: 'pulse.round.opened', topic: 'culture_events', subject: { typename: 'PulseRound', id: doc.id }, payload: { teamId } }, provenance);
    return doc;
  });
};

/** The tenant's HMAC key for dedupe tokens, created on first use. */
const dedupeSecret = async (deps: ImpactDeps, scope: TenantScope): Promise<string> => {
  const reader = deps.store.collection(pulseSecrets);
  const existing = await reader.get(scope, SECRET_ID);
  if (existing) return existing.secret;
  const provenance = deps.provenance.build({ method: 'SYSTEM', inputs: { purpose: 'pulse dedupe' }, explanation: 'HMAC key of pulse dedupe tokens' }, newId());
  try {
    await deps.store.transaction(scope, { action: 'impact.pulseSecret', actor: { id: 'impact', kind: 'system' }, correlationId: newId() }, (tx) => tx.insert(pulseSecrets, { id: SECRET_ID, secret: newSecret() }, provenance));
  } catch (error) {
    if (!(error instanceof DomainError && error.code === 'ALREADY_EXISTS')) throw error;
  }
  const created = await reader.get(scope, SECRET_ID);
  if (!created) throw new DomainError('INTERNAL_SERVER_ERROR', 'Pulse key unavailable');
  return created.secret;
};

/** One-way token: HMAC(tenant key, user | team | round). Stored only in the round's sorted ballot list. */
export const ballotToken = (secret: string, userId: string, teamId: string, roundId: string): string => createHmac('sha256', secret).update(`${userId}|${teamId}|${roundId}`).digest('hex');

const insertSorted = (list: readonly string[], value: string): string[] => [...list, value].sort();

export const submitPulseResponse = async (deps: ImpactDeps, ctx: RequestContext, input: { teamId: string; answers: readonly number[]; enps: number; comment?: string | null }) => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  if (principal.kind !== 'user') throw new DomainError('FORBIDDEN', 'Only people answer pulse surveys', { hint: 'Sign in as a user; apps cannot answer on anyone’s behalf.' });
  const teamId = checkId(input.teamId, 'input.teamId', 'team');
  const { answers, enps } = checkAnswers(input.answers, input.enps);
  const comment = input.comment?.trim() ?? '';
  if (comment.length > 1000) throw inputError('input.comment', 'comment is longer than 1000 characters', 'Shorten the comment to at most 1000 characters.');
  // Consent: only people who agreed to take part in pulses are counted; withdrawing stops future answers
  // (answers already in a tally cannot be taken out: nothing links them to the person).
  const consent = (await consentsOf(deps, scope, [principal.subject])).get(principal.subject);
  if (!hasConsent(consent, 'PULSE')) throw new DomainError('FORBIDDEN', 'You have not consented to taking part in pulse surveys', { hint: 'Grant PULSE with setMyConsents(scopes: [..., PULSE]) first; your answer stays anonymous.' });
  const basis = consent!.basis;
  const secret = await dedupeSecret(deps, scope);
  // A fresh correlation id: the stored round carries nothing that links back to this request.
  const correlationId = newId();
  const outcome = await withRetry(async () => {
    const round = await deps.store.collection(pulseRounds).findOne(scope, { teamId, status: 'OPEN' });
    if (!round) throw inputError('input.teamId', 'This team has no open pulse round', 'Ask the team lead to open a round (openPulseRound).');
    const token = ballotToken(secret, principal.subject, teamId, round.id);
    if (round.ballots.includes(token)) throw new DomainError('ALREADY_EXISTS', 'You already answered this round', { hint: 'Each person answers once per round; wait for the next round.' });
    const code = `${round.id}.${newSecret()}`;
    const provenance = deps.provenance.build({ method: 'HUMAN', inputs: { roundId: round.id }, explanation: `An anonymous pulse response was added to the round tally; no person is stored with it; consent basis ${basis} (PULSE).` }, correlationId);
    await deps.store.transaction(scope, { action: 'impact.submitPulseResponse', actor: ANONYMOUS, correlationId }, (tx) => {
      tx.update(pulseRounds, round, {
        tally: addToTally(round.tally, answers, enps),
        ballots: insertSorted(round.ballots, token),
        receiptHashes: insertSorted(round.receiptHashes, digestOf(code)),
        comments: comment ? insertSorted(round.comments, comment) : round.comments,
      }, provenance);
      // No per-response event: every org role reads the timeline, and a count of such events per round
      // would reveal the participation of rounds under the minimum group size.
    });
    return { receiptCode: code, roundId: round.id, teamId, provenance };
  });
  return outcome;
};

const publishedRound = (round: PulseRoundModel): PublishedRound => {
  const result = resultOf(round.tally, round.memberCount);
  return { safetyScore: result.safetyScore, responseCount: result.responseCount, itemMeans: result.itemMeans, enps: result.enps };
};

/** Closed rounds of a team, oldest first. */
const closedRounds = async (deps: ImpactDeps, scope: TenantScope, teamId: string): Promise<PulseRoundModel[]> =>
  deps.store.collection(pulseRounds).find(scope, { teamId, status: 'CLOSED' }, { sort: { field: 'closedAt', direction: 1 } });

export const closePulseRound = async (deps: ImpactDeps, ctx: RequestContext, id: string): Promise<PulseRoundModel> => {
  const scope = requireScope(ctx);
  const round = await deps.store.collection(pulseRounds).get(scope, id);
  if (!round) throw notFound('PulseRound');
  if (round.status === 'CLOSED') return round;
  const policy = await policyOf(deps, scope);
  const k = effectiveThreshold(policy.minGroupSize);
  const published = publishable(round.tally.n, k);
  const previous = published ? (await closedRounds(deps, scope, round.teamId)).filter((r) => publishable(r.tally.n, k)).map(publishedRound) : [];
  const analysis = published ? analyzeRound(publishedRound(round), previous, policy) : null;
  const severity = analysis ? alertSeverityOf(analysis.signals) : null;
  const provenance = provenanceOf(deps, ctx, { method: 'HUMAN', inputs: { roundId: id, responses: round.tally.n, minGroupSize: k }, explanation: published ? 'Pulse round closed; results published.' : `Pulse round closed with fewer than ${k} responses: no results are shown.` });
  return deps.store.transaction(scope, { action: 'impact.closePulseRound', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const closed = tx.update(pulseRounds, round, { status: 'CLOSED', closedAt: new Date().toISOString() }, provenance);
    tx.emit({ type: 'pulse.round.closed', topic: 'culture_events', subject: { typename: 'PulseRound', id }, payload: { teamId: round.teamId, published } }, provenance);
    if (analysis && severity) {
      const recommendedAction = recommendedActionOf(severity, analysis.signals);
      const alertProvenance = provenanceOf(deps, ctx, {
        method: 'RULE',
        inputs: { roundId: id, baseline: analysis.baseline, change: analysis.change, signals: analysis.signals, policy: { urgentDrop: policy.urgentDrop, routineDrop: policy.routineDrop, celebrationRise: policy.celebrationRise, participationCollapseRatio: policy.participationCollapseRatio, divergenceSpread: policy.divergenceSpread } },
        confidence: round2(Math.min(0.95, 0.5 + 0.075 * analysis.baselineRounds)),
        explanation: `${severity}: ${analysis.signals.map((s) => s.kind).join(', ')} against the team's ${analysis.baselineRounds}-round baseline (policy: urgent drop ${policy.urgentDrop}, routine drop ${policy.routineDrop}, celebration rise ${policy.celebrationRise}).`,
      });
      const alert = tx.insert(safetyAlerts, { teamId: round.teamId, roundId: id, responseCount: round.tally.n, severity, signals: analysis.signals, recommendedAction, status: 'RAISED', raisedAt: new Date().toISOString(), acknowledgedAt: null, actions: [] }, alertProvenance);
      tx.emit({ type: 'safety.alert.raised', topic: 'safety_alert_events', subject: { typename: 'SafetyAlert', id: alert.id }, payload: { teamId: round.teamId, severity, roundId: id } }, alertProvenance);
    }
    return closed;
  });
};

const round2 = (v: number): number => round(v, 3);

// ---------- reads (privacy enforced here) ----------

export interface RoundResultView extends RoundResult {
  comments: string[];
  provenance: ProvenanceRecord;
}

/** A round's results, or null while open or when under the current minimum group size. */
export const roundResult = async (deps: ImpactDeps, ctx: RequestContext, round: PulseRoundModel): Promise<RoundResultView | null> => {
  const k = effectiveThreshold((await policyOf(deps, requireScope(ctx))).minGroupSize);
  if (round.status !== 'CLOSED' || !publishable(round.tally.n, k)) return null;
  const result = resultOf(round.tally, round.memberCount);
  return {
    ...result,
    comments: round.comments,
    provenance: provenanceOf(deps, ctx, { method: 'STATISTICAL', inputs: { roundId: round.id, tally: round.tally }, confidence: round2(1 - 1 / Math.sqrt(result.responseCount)), explanation: `Mean of ${result.responseCount} responses (≥ minimum group size ${k}); items 1, 3, 5 reverse-scored (8 − answer); eNPS = % 9–10 − % 0–6.` }),
  };
};

export const roundSuppressed = async (deps: ImpactDeps, ctx: RequestContext, round: PulseRoundModel): Promise<boolean> =>
  round.status === 'CLOSED' && !publishable(round.tally.n, effectiveThreshold((await policyOf(deps, requireScope(ctx))).minGroupSize));

export const pulseRoundsOf = async (deps: ImpactDeps, ctx: RequestContext, teamId: string): Promise<PulseRoundModel[]> =>
  deps.store.collection(pulseRounds).find(requireScope(ctx), { teamId: checkId(teamId, 'teamId', 'team') }, { sort: { field: 'openedAt', direction: -1 }, limit: 50 });

const signalView = (deps: ImpactDeps, ctx: RequestContext, signal: SafetySignal, provenanceInputs: unknown) => ({
  ...signal,
  provenance: provenanceOf(deps, ctx, { method: 'RULE', inputs: { signal, provenanceInputs }, explanation: signal.detail }),
});

export const teamSafety = async (deps: ImpactDeps, ctx: RequestContext, teamIdInput: string, periods: number | null | undefined) => {
  const scope = requireScope(ctx);
  const teamId = checkId(teamIdInput, 'teamId', 'team');
  const count = periods ?? 12;
  if (!Number.isInteger(count) || count < 1 || count > 52) throw inputError('periods', 'periods must be an integer 1–52', 'Ask for up to 52 closed rounds.');
  const policy = await policyOf(deps, scope);
  const k = effectiveThreshold(policy.minGroupSize);
  const rounds = (await closedRounds(deps, scope, teamId)).slice(-count);
  const points = rounds.map((r) => {
    const shown = publishable(r.tally.n, k);
    const result = shown ? resultOf(r.tally, r.memberCount) : null;
    return {
      roundId: r.id,
      closedAt: r.closedAt as string,
      suppressed: !shown,
      safetyScore: result?.safetyScore ?? null,
      enps: result?.enps ?? null,
      responseCount: result?.responseCount ?? null,
      provenance: provenanceOf(deps, ctx, { method: shown ? 'STATISTICAL' : 'RULE', inputs: { roundId: r.id, shown }, explanation: shown ? `Round mean of ${result?.responseCount} responses.` : `Hidden: fewer than ${k} responses (minimum group size).` }),
    };
  });
  // Suppressed rounds are excluded from every aggregate, so no shown number contains them.
  const indexed = rounds.map((r, i) => ({ r, i })).filter(({ r }) => publishable(r.tally.n, k));
  const published = indexed.map(({ r }) => publishedRound(r));
  const latest = published.at(-1);
  const analysis = latest ? analyzeRound(latest, published.slice(0, -1), policy) : null;
  const forecastRaw = linearForecast(indexed.map(({ r, i }) => ({ x: i, y: publishedRound(r).safetyScore })), rounds.length, [1, 7]);
  const inputs = { teamId, rounds: indexed.map(({ r }) => ({ id: r.id, n: r.tally.n })), k };
  const drift = forecastRaw ? urgentDriftOf(forecastRaw, published.map((p) => p.safetyScore), policy.urgentDrop) : null;
  const opportunities: string[] = [];
  if (latest) {
    const low = Math.min(...latest.itemMeans);
    const item = latest.itemMeans.indexOf(low) + 1;
    opportunities.push(`Learning: item ${item} is the team's lowest (${round(low, 2)} of 7); discuss it openly in the next retrospective.`);
    if (analysis?.signals.some((s) => s.severity === 'CELEBRATION')) opportunities.push('Celebration: psychological safety is rising or sustained high; recognize the practices behind it.');
    if (latest.enps >= 30) opportunities.push(`Celebration: eNPS ${latest.enps} — people would recommend this team.`);
  }
  return {
    teamId,
    team: { id: teamId },
    points,
    baseline: analysis?.baseline ?? null,
    change: analysis?.change ?? null,
    signals: (analysis?.signals ?? []).map((s) => signalView(deps, ctx, s, inputs)),
    forecast: forecastRaw
      ? {
          nextScore: forecastRaw.prediction,
          standardError: forecastRaw.standardError,
          lower: forecastRaw.lower,
          upper: forecastRaw.upper,
          slope: forecastRaw.slope,
          pointsUsed: forecastRaw.pointsUsed,
          urgentThreshold: drift?.threshold ?? null,
          urgentDropProbability: drift?.probability ?? null,
          provenance: provenanceOf(deps, ctx, { method: 'STATISTICAL', inputs: { ...inputs, urgentDrop: policy.urgentDrop }, confidence: round2(Math.max(0, Math.min(0.95, 1 - forecastRaw.standardError / 3))), explanation: `OLS of score on round index over ${forecastRaw.pointsUsed} published rounds: slope ${forecastRaw.slope}/round; 95% prediction interval ±t(n−2)·se, clamped to 1–7${drift ? `; P(next < ${drift.threshold} = baseline of the last ${drift.rounds} rounds − urgent drop ${policy.urgentDrop}) = ${drift.probability} from the t(n−2) predictive distribution` : ''}.` }),
        }
      : null,
    opportunities,
    provenance: provenanceOf(deps, ctx, { method: 'STATISTICAL', inputs, confidence: round2(Math.min(0.95, published.length / 7)), explanation: `${rounds.length} closed rounds, ${published.length} published (≥ ${k} responses); baseline = mean of up to 6 published rounds before the latest.` }),
  };
};

/** An alert the caller may see: it exists in their tenant and its round still meets the minimum group size. */
export const visibleAlert = async (deps: ImpactDeps, ctx: RequestContext, alert: SafetyAlertModel | null): Promise<SafetyAlertModel | null> => {
  if (!alert) return null;
  const k = effectiveThreshold((await policyOf(deps, requireScope(ctx))).minGroupSize);
  return publishable(alert.responseCount, k) ? alert : null;
};

export const listSafetyAlerts = async (deps: ImpactDeps, ctx: RequestContext, args: { teamId?: string | null; severities?: readonly string[] | null; first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  const k = effectiveThreshold((await policyOf(deps, scope)).minGroupSize);
  const filter: Filter = { responseCount: { $gte: k } };
  if (args.teamId) filter.teamId = checkId(args.teamId, 'teamId', 'team');
  if (args.severities?.length) filter.severity = { $in: [...args.severities] };
  const page = await deps.store.collection(safetyAlerts).page(scope, filter, { first: clampFirst(args.first), after: args.after, sort: { field: 'raisedAt', direction: -1 } });
  return connectionOf(page);
};

/** An alert the caller may see AND handle (Owner/Admin or the team's manager); FORBIDDEN otherwise. */
const requireHandleableAlert = async (deps: ImpactDeps, ctx: RequestContext, id: string): Promise<SafetyAlertModel> => {
  const scope = requireScope(ctx);
  const alert = await visibleAlert(deps, ctx, await deps.store.collection(safetyAlerts).get(scope, id));
  if (!alert) throw notFound('SafetyAlert');
  const team = await deps.store.collection(pulseTeams).get(scope, alert.teamId);
  if (!mayHandleAlert(requirePrincipal(ctx), team)) throw new DomainError('FORBIDDEN', "Only the team's manager or an organization admin can acknowledge or act on this alert", { hint: "Ask the team's manager or an Owner/Admin; you can follow the alert with safetyAlert(id) or your receipt code." });
  return alert;
};

export const acknowledgeSafetyAlert = async (deps: ImpactDeps, ctx: RequestContext, id: string): Promise<SafetyAlertModel> => {
  const scope = requireScope(ctx);
  const alert = await requireHandleableAlert(deps, ctx, id);
  if (alert.status !== 'RAISED') return alert;
  const provenance = provenanceOf(deps, ctx, { method: 'HUMAN', inputs: { alertId: id }, explanation: 'Alert acknowledged: heard.' });
  return deps.store.transaction(scope, { action: 'impact.acknowledgeSafetyAlert', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const updated = tx.update(safetyAlerts, alert, { status: 'ACKNOWLEDGED', acknowledgedAt: new Date().toISOString() });
    tx.emit({ type: 'safety.alert.acknowledged', topic: 'safety_alert_events', subject: { typename: 'SafetyAlert', id }, payload: { teamId: alert.teamId, severity: alert.severity } }, provenance);
    return updated;
  });
};

export const recordAlertAction = async (deps: ImpactDeps, ctx: RequestContext, input: { alertId: string; note: string }): Promise<SafetyAlertModel> => {
  const scope = requireScope(ctx);
  const note = input.note.trim();
  if (note.length < 3 || note.length > 1000) throw inputError('input.note', 'note must be 3–1000 characters', 'Describe what was done, e.g. "Held a blameless retro on 12 Nov".');
  const alert = await requireHandleableAlert(deps, ctx, input.alertId);
  const at = new Date().toISOString();
  const provenance = provenanceOf(deps, ctx, { method: 'HUMAN', inputs: { alertId: alert.id, note }, explanation: 'Action recorded on the alert: acted upon.' });
  return deps.store.transaction(scope, { action: 'impact.recordAlertAction', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const updated = tx.update(safetyAlerts, alert, { status: 'ACTED', acknowledgedAt: alert.acknowledgedAt ?? at, actions: [...alert.actions, { note, at, actorId: requirePrincipal(ctx).subject, provenance }] });
    tx.emit({ type: 'safety.alert.actioned', topic: 'safety_alert_events', subject: { typename: 'SafetyAlert', id: alert.id }, payload: { teamId: alert.teamId, severity: alert.severity, actions: updated.actions.length } }, provenance);
    return updated;
  });
};

export const alertSignals = (deps: ImpactDeps, ctx: RequestContext, alert: SafetyAlertModel) => alert.signals.map((s) => signalView(deps, ctx, s, { alertId: alert.id }));

export const concernStatus = async (deps: ImpactDeps, ctx: RequestContext, receiptCode: string) => {
  const scope = requireScope(ctx);
  const roundId = receiptCode.split('.')[0] ?? '';
  const round = roundId && receiptCode.length < 200 ? await deps.store.collection(pulseRounds).get(scope, roundId) : null;
  if (!round || !round.receiptHashes.includes(digestOf(receiptCode))) throw notFound('Receipt', 'Check the receipt code returned by submitPulseResponse.');
  const k = effectiveThreshold((await policyOf(deps, scope)).minGroupSize);
  const published = round.status === 'CLOSED' && publishable(round.tally.n, k);
  const alert = published ? await deps.store.collection(safetyAlerts).findOne(scope, { roundId: round.id }) : null;
  return {
    received: true,
    roundStatus: round.status,
    published,
    alertSeverity: alert?.severity ?? null,
    alertStatus: alert?.status ?? null,
    actions: alert?.actions.map((a) => a.note) ?? [],
    acknowledgedAt: alert?.acknowledgedAt ?? null,
    lastActionAt: alert?.actions.at(-1)?.at ?? null,
    provenance: provenanceOf(deps, ctx, { method: 'RULE', inputs: { roundId: round.id, published, alertId: alert?.id ?? null }, explanation: 'Status of the round the receipt belongs to; the receipt is not linked to any person or answer.' }),
  };
};

export const cultureSummary = async (deps: ImpactDeps, ctx: RequestContext, windowInput: { from: string; to: string }) => {
  const scope = requireScope(ctx);
  const window = checkWindow(windowInput);
  const k = effectiveThreshold((await policyOf(deps, scope)).minGroupSize);
  const rounds = await deps.store.collection(pulseRounds).find(scope, { status: 'CLOSED', closedAt: { $gte: window.from.toISOString(), $lt: window.to.toISOString() } });
  // Rounds under k are never pooled: a pooled number minus a shown round would reveal them.
  const published = rounds.filter((r) => publishable(r.tally.n, k));
  const teamIds = [...new Set(rounds.map((r) => r.teamId))].sort();
  const pools = new Map(teamIds.map((teamId) => [teamId, published.filter((r) => r.teamId === teamId)]));
  const { shown, parentShown } = complementarySuppression(teamIds.map((id) => ({ id, n: (pools.get(id) ?? []).reduce((s, r) => s + r.tally.n, 0) })).filter((g) => g.n > 0), k);
  const pool = (list: readonly PulseRoundModel[]) => {
    const n = list.reduce((s, r) => s + r.tally.n, 0);
    return { n, score: n ? round2(list.reduce((s, r) => s + r.tally.scoreSum, 0) / n) : null, enps: enpsOf(...([0, 1, 2].map((i) => list.reduce((s, r) => s + [r.tally.promoters, r.tally.passives, r.tally.detractors][i], 0))) as [number, number, number]) };
  };
  const shownRounds = published.filter((r) => shown.has(r.teamId));
  const total = parentShown ? pool(published) : null;
  const rule = `minimum group size ${k}; rounds under it never pooled; next-smallest-group suppression across teams`;
  return {
    from: window.from,
    to: window.to,
    suppressed: !total || total.n === 0,
    safetyScore: total && total.n ? total.score : null,
    enps: total && total.n ? total.enps : null,
    responseCount: total && total.n ? total.n : null,
    teams: teamIds.map((teamId) => {
      const visible = shown.has(teamId);
      const p = visible ? pool(shownRounds.filter((r) => r.teamId === teamId)) : null;
      return { teamId, suppressed: !visible, safetyScore: p?.score ?? null, responseCount: p?.n ?? null, provenance: provenanceOf(deps, ctx, { method: visible ? 'STATISTICAL' : 'RULE', inputs: { teamId, visible, k }, explanation: visible ? `Pooled mean of the team's published rounds (${rule}).` : `Hidden (${rule}).` }) };
    }),
    provenance: provenanceOf(deps, ctx, { method: 'STATISTICAL', inputs: { window, rounds: published.map((r) => r.id), k }, explanation: `Pooled over ${published.length} published rounds of ${teamIds.length} teams (${rule}).` }),
  };
};
