import { TOPICS } from '../../../platform/events/topics.ts';
import { TIMELINE_TOPICS, isVisible, severityOf, subjectTypenameOf, summarizeEvent, topicsVisibleTo } from './timeline.ts';

describe('timeline views', () => {
  it('records every topic but the audit trail', () => {
    expect(TIMELINE_TOPICS).toHaveLength(TOPICS.length - 1);
    expect(TIMELINE_TOPICS).not.toContain('audit_events');
  });

  it('names the TimelineSubject member of a resolved subject, and nothing for non-entities', () => {
    expect(subjectTypenameOf({ __typename: 'Prospect', id: '1' })).toBe('Prospect');
    expect(subjectTypenameOf({ __typename: 'SupportTicket', id: '1' })).toBe('SupportTicket');
    expect(subjectTypenameOf({ __typename: 'Thing', id: '1' })).toBeNull();
    expect(subjectTypenameOf({ id: '1' })).toBeNull();
  });

  it('shows each staff role its own topics and org users everything', () => {
    expect(topicsVisibleTo(['SALES_AGENT'])).toEqual(['org_events', 'client_events', 'research_events', 'demo_events', 'sales_doc_events', 'billing_events', 'crm_events']);
    expect(topicsVisibleTo(['SUPPORT_SPECIALIST'])).toEqual(['conversation_events', 'support_events', 'escalation_events']);
    expect(topicsVisibleTo(['SUCCESS_MANAGER'])).toEqual(['analytics_experiments', 'customer_success_events', 'communication_events', 'agent_action_events']);
    expect(topicsVisibleTo(['SUPPORT_SPECIALIST', 'SUCCESS_MANAGER'])).toHaveLength(7);
    expect(topicsVisibleTo(['VIEWER'])).toEqual(TIMELINE_TOPICS);
    expect(topicsVisibleTo([])).toEqual([]);
    expect(isVisible(['SALES_AGENT'], 'support_events')).toBe(false);
    expect(isVisible(['SUPPORT_SPECIALIST'], 'support_events')).toBe(true);
  });
});

describe('timeline summaries and severity', () => {
  it('summarizes known and unknown event types', () => {
    expect(summarizeEvent('org.created', { name: 'Acme' })).toBe('Org created: Acme');
    expect(summarizeEvent('config.deployment_rolled_back', {})).toBe('Config deployment rolled back');
    expect(summarizeEvent('health.score.recorded', { score: 72, band: 'YELLOW' })).toBe('Health score 72 (YELLOW)');
    expect(summarizeEvent('support.ticket.escalated', { subject: 'Login broken' })).toBe('Ticket escalated to a Support Specialist: Login broken');
    expect(summarizeEvent('support.ticket.resolved', { subject: 'Reset', autoResolved: true })).toBe('Ticket resolved autonomously: Reset');
    expect(summarizeEvent('demo.approved', { title: 'x'.repeat(100) })).toBe(`Demo approved: ${'x'.repeat(79)}…`);
  });

  it('grades severity by topic, type and payload', () => {
    expect(severityOf('monitoring_incidents', 'monitoring.incident.opened', {})).toBe('CRITICAL');
    expect(severityOf('auth_events', 'auth.refresh_token_reused', {})).toBe('CRITICAL');
    expect(severityOf('support_events', 'support.ticket.opened', { urgency: 'HIGH' })).toBe('CRITICAL');
    expect(severityOf('customer_success_events', 'health.alert.raised', { band: 'RED' })).toBe('CRITICAL');
    expect(severityOf('escalation_events', 'x.y', {})).toBe('WARNING');
    expect(severityOf('customer_success_events', 'health.score.recorded', { band: 'YELLOW' })).toBe('WARNING');
    expect(severityOf('crm_events', 'crm.sync.failed', {})).toBe('WARNING');
    expect(severityOf('org_events', 'org.created', {})).toBe('INFO');
    expect(severityOf('customer_success_events', 'health.score.recorded', { band: 'GREEN' })).toBe('INFO');
  });
});
