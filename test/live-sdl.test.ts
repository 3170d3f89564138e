import { readFileSync } from 'node:fs';
import { Kind, parse, type UnionTypeDefinitionNode } from 'graphql';
import { liveSpecsOf } from '../gateway/subscriptions/live.ts';
import { OWN_SUBJECT_TYPES, REFERENCED_SUBJECT_TYPES, TIMELINE_TOPICS } from '../subgraphs/lifecycle/domain/timeline.ts';

/** The composed supergraph's `@live` declarations against the code that feeds them: no drift. */
const supergraph = readFileSync(new URL('../supergraph.graphql', import.meta.url), 'utf8');

describe('live subscription declarations in the supergraph', () => {
  it('feeds Subscription.timeline from exactly the topics the read model records (the SDL cannot drift)', () => {
    const spec = liveSpecsOf(supergraph).get('timeline');
    expect(spec?.topics).toEqual([...TIMELINE_TOPICS]);
    expect(spec?.refetch).toBe('timelineEvent');
    expect(spec?.types).toBeNull();
  });

  it('declares every subject type in the TimelineSubject union of the supergraph', () => {
    const union = parse(supergraph).definitions.find((d): d is UnionTypeDefinitionNode => d.kind === Kind.UNION_TYPE_DEFINITION && d.name.value === 'TimelineSubject');
    const members = (union?.types ?? []).map((m) => m.name.value).sort();
    expect(members).toEqual([...REFERENCED_SUBJECT_TYPES, ...OWN_SUBJECT_TYPES].sort());
  });

  it('declares safetyAlerts and observerInterventions on their owners\' event families', () => {
    const specs = liveSpecsOf(supergraph);
    expect(specs.get('safetyAlerts')).toEqual({ field: 'safetyAlerts', topics: ['safety_alert_events'], types: ['safety.alert.raised'], refetch: 'safetyAlert' });
    expect(specs.get('observerInterventions')).toEqual({ field: 'observerInterventions', topics: ['observer_events'], types: ['observer.intervention'], refetch: 'observerIntervention' });
  });
});
