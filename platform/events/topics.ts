/**
 * The event families (topics) of the platform: the spec's Kafka topic registry, plus the impact,
 * governance and audit families of the other two products. One Kafka topic each.
 */
export const TOPICS = [
  // Foundation
  'auth_events', 'agent_events', 'org_events', 'client_events',
  // Pre-sales
  'research_events', 'demo_events', 'sales_doc_events', 'billing_events',
  // Implementation
  'prd_events', 'collaboration_events', 'config_events',
  // Runtime
  'conversation_events', 'voice_events', 'cross_product_events', 'rag_events',
  // Monitoring
  'monitoring_incidents', 'analytics_experiments',
  // Customer lifecycle
  'customer_success_events', 'support_events', 'escalation_events',
  // Client operations
  'communication_events', 'agent_action_events',
  // CRM
  'crm_events',
  // Impact & culture
  'impact_events', 'culture_events', 'safety_alert_events',
  // Governance
  'governance_events', 'observer_events',
  // Every mutation's audit record, chained by governance
  'audit_events',
] as const;

export type Topic = (typeof TOPICS)[number];

export const isTopic = (value: string): value is Topic => (TOPICS as readonly string[]).includes(value);
