import { defineCollection, type Stored } from '../../platform/store/port.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { SubscriptionPlan, SubscriptionStatus } from './domain/billing.ts';
import type { DemoProductType, DemoTool, MockRecord } from './domain/demo.ts';
import type { DocumentSection, PriceQuote, SignatureStatus } from './domain/documents.ts';
import type { BusinessType, ProspectStage } from './domain/prospect.ts';
import type { CompanySizeBand, FindingKind, ResearchIndustry } from './domain/research.ts';

export interface ProspectDoc {
  companyName: string;
  website: string | null;
  industry: string | null;
  employeeCount: number | null;
  businessType: BusinessType;
  contactName: string | null;
  contactEmail: string | null;
  stage: ProspectStage;
  latestResearchId: string | null;
}

/** A finding with its own provenance (RULE with the rule id, or the model's LLM/RULE method). */
export interface StoredFinding {
  kind: FindingKind;
  text: string;
  confidence: number;
  signals: string[];
  provenance: ProvenanceRecord;
}

export interface ResearchReportDoc {
  prospectId: string;
  description: string;
  industry: ResearchIndustry;
  industryConfidence: number;
  employeeCount: number | null;
  sizeBand: CompanySizeBand;
  fundingUsd: number | null;
  techStack: string[];
  painPoints: StoredFinding[];
  automationOpportunities: StoredFinding[];
  sourceLength: number;
}

export interface DemoDoc {
  prospectId: string;
  researchReportId: string;
  productType: DemoProductType;
  industry: ResearchIndustry;
  tools: DemoTool[];
  mockData: MockRecord[];
  script: string[];
  status: 'GENERATED' | 'APPROVED';
  approvedAt: string | null;
}

export interface StoredSignatureEvent {
  status: SignatureStatus;
  at: string;
  provenance: ProvenanceRecord;
}

export interface SalesDocumentDoc {
  prospectId: string;
  kind: 'NDA' | 'PROPOSAL';
  title: string;
  businessType: BusinessType;
  sections: DocumentSection[];
  pricing: PriceQuote | null;
  signatureStatus: SignatureStatus;
  signatureEvents: StoredSignatureEvent[];
  expiresAt: string | null;
}

export interface BillingSubscriptionDoc {
  /** Always the tenant's id: the unique index keeps one subscription per organization. */
  organizationId: string;
  plan: SubscriptionPlan;
  /** Stored status; the API reports `effectiveStatus` (CANCELED → CHURNED after the grace period). */
  status: SubscriptionStatus;
  seats: number;
  monthlyAmountCents: number;
  failedPaymentAttempts: number;
  nextPaymentRetryAt: string | null;
  trialEndsAt: string | null;
  currentPeriodEnd: string | null;
  canceledAt: string | null;
}

export const prospects = defineCollection<ProspectDoc>('presales_prospects', [{ fields: ['stage'] }]);
export const researchReports = defineCollection<ResearchReportDoc>('presales_research_reports', [{ fields: ['prospectId'] }]);
export const demos = defineCollection<DemoDoc>('presales_demos', [{ fields: ['prospectId'] }]);
export const salesDocuments = defineCollection<SalesDocumentDoc>('presales_sales_documents', [{ fields: ['prospectId'] }]);
export const billingSubscriptions = defineCollection<BillingSubscriptionDoc>('presales_subscriptions', [{ fields: ['organizationId'], unique: true }]);

export type ProspectModel = Stored<ProspectDoc>;
export type ResearchReportModel = Stored<ResearchReportDoc>;
export type DemoModel = Stored<DemoDoc>;
export type SalesDocumentModel = Stored<SalesDocumentDoc>;
export type BillingSubscriptionModel = Stored<BillingSubscriptionDoc>;
