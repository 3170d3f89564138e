import { consumeOnce } from '../../platform/events/consume.ts';
import { systemScope } from '../../platform/context.ts';
import type { BusSubscription } from '../../platform/events/port.ts';
import { CONSENT_SCOPES, type ConsentScope } from './domain/validation.ts';
import type { ImpactDeps } from './shared.ts';
import { impactConsents, pulseTeams } from './store.ts';

/**
 * Mirrors identity's facts the engines need:
 * - `user.consent_changed` (client_events) → the person's ImpactConsent with basis IDENTITY;
 * - `team.created` / `team.updated` (org_events) → the team is registered for pulses with its member
 *   count and manager (the manager may acknowledge and act on the team's safety alerts); an update
 *   moves both, so a new manager takes over and rounds opened later use the new size.
 */
export const startConsumers = async (deps: ImpactDeps): Promise<BusSubscription[]> => {
  const consent = await consumeOnce(deps.bus, deps.store, { logger: deps.logger, consumer: 'impact.consent-mirror', topics: ['client_events'], types: ['user.consent_changed'] }, async (event, tx) => {
    const personId = event.subject.id;
    const raw = Array.isArray(event.payload.consents) ? (event.payload.consents as unknown[]) : [];
    const scopes = [...new Set(raw.filter((s): s is ConsentScope => typeof s === 'string' && (CONSENT_SCOPES as readonly string[]).includes(s)))].sort();
    const scope = systemScope(event.tenantId, 'mirror identity consent');
    const provenance = deps.provenance.build({ method: 'IMPORT', inputs: { eventId: event.id, personId, scopes }, explanation: `Consent mirrored from identity (${event.type}).` }, event.correlationId);
    const existing = await deps.store.collection(impactConsents).findOne(scope, { personId });
    if (existing) tx.update(impactConsents, existing, { scopes, basis: 'IDENTITY' }, provenance);
    else tx.insert(impactConsents, { personId, scopes, basis: 'IDENTITY' }, provenance);
  });
  const teams = await consumeOnce(deps.bus, deps.store, { logger: deps.logger, consumer: 'impact.team-mirror', topics: ['org_events'], types: ['team.created', 'team.updated'] }, async (event, tx) => {
    const memberCount = typeof event.payload.memberCount === 'number' ? event.payload.memberCount : Array.isArray(event.payload.memberIds) ? event.payload.memberIds.length : 0;
    const managerId = typeof event.payload.managerId === 'string' && event.payload.managerId ? event.payload.managerId : null;
    const scope = systemScope(event.tenantId, 'mirror identity team');
    const existing = await deps.store.collection(pulseTeams).get(scope, event.subject.id);
    // A team without members is not registered; one already registered keeps its record and follows.
    if (memberCount < 1 && !existing) return;
    const provenance = deps.provenance.build({ method: 'IMPORT', inputs: { eventId: event.id, teamId: event.subject.id, memberCount, managerId }, explanation: `Team registered for pulses from identity (${event.type}), with its manager.` }, event.correlationId);
    if (existing) tx.update(pulseTeams, existing, { memberCount, managerId }, provenance);
    else tx.insert(pulseTeams, { id: event.subject.id, memberCount, managerId }, provenance);
  });
  return [consent, teams];
};
