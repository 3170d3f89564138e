import { defineCollection, type Stored } from '../../platform/store/port.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { PrdAssessment, PrdQuestionSpec, PrdSection, PrdSectionState, ProductType } from './domain/prd-engine.ts';
import type { ApprovalStatus, DiffEntry, Environment, RiskAssessment } from './domain/config-versioning.ts';

export interface ActorRef {
  id: string;
  kind: 'user' | 'app' | 'system';
}

export interface PrdAnswerDoc {
  questionId: string;
  section: PrdSection;
  answer: string;
  vague: boolean;
  issues: string[];
  author: ActorRef;
  answeredAt: string;
  provenance: ProvenanceRecord;
}

export interface PrdHelpRequestDoc {
  code: string;
  expiresAt: string;
  requestedBy: ActorRef;
  provenance: ProvenanceRecord;
}

export interface PrdDoc {
  title: string;
  productType: ProductType;
  status: 'IN_PROGRESS' | 'READY_FOR_REVIEW' | 'APPROVED';
  answers: PrdAnswerDoc[];
  /** The engine's latest assessment of `answers`, and its provenance (RULE). */
  assessment: PrdAssessment;
  assessmentProvenance: ProvenanceRecord;
  startedBy: ActorRef;
  approvedBy: ActorRef | null;
  approvedAt: string | null;
  helpRequest: PrdHelpRequestDoc | null;
  configId: string | null;
}

export interface ConfigDoc {
  name: string;
  productType: ProductType;
  prdId: string | null;
  headVersion: number;
  headVersionId: string;
  /** Version number deployed per environment. */
  deployed: Partial<Record<Environment, number>>;
}

export interface ConfigVersionDoc {
  configId: string;
  number: number;
  parentNumber: number | null;
  parentId: string | null;
  message: string;
  author: ActorRef;
  /** Canonical JSON of the document (stored as a string: keys of a JSON document are arbitrary). */
  document: string;
  digest: string;
  rollbackOf: number | null;
  risk: RiskAssessment;
  riskProvenance: ProvenanceRecord;
  approvalStatus: ApprovalStatus;
  approvedBy: ActorRef | null;
  approvedAt: string | null;
}

export interface DeploymentDoc {
  configId: string;
  versionId: string;
  versionNumber: number;
  environment: Environment;
  digest: string;
  previousVersion: number | null;
  deployedBy: ActorRef;
  deployedAt: string;
}

export const prds = defineCollection<PrdDoc>('prds', [{ fields: ['status'] }]);
export const configs = defineCollection<ConfigDoc>('configs', [{ fields: ['prdId'] }]);
/** (configId, number) is unique: two concurrent commits on the same head cannot both win. */
export const configVersions = defineCollection<ConfigVersionDoc>('config_versions', [{ fields: ['configId', 'number'], unique: true }]);
export const deployments = defineCollection<DeploymentDoc>('config_deployments', [{ fields: ['configId'] }, { fields: ['environment'] }]);

export type PrdModel = Stored<PrdDoc>;
export type ConfigModel = Stored<ConfigDoc>;
export type ConfigVersionModel = Stored<ConfigVersionDoc>;
export type DeploymentModel = Stored<DeploymentDoc>;

/** A page of entities whose total is counted only when `totalCount` is selected. */
export interface ConnectionModel<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  count: () => Promise<number>;
}
export type PrdConnectionModel = ConnectionModel<PrdModel>;
export type ConfigConnectionModel = ConnectionModel<ConfigModel>;
export type ConfigVersionConnectionModel = ConnectionModel<ConfigVersionModel>;
export type DeploymentConnectionModel = ConnectionModel<DeploymentModel>;

/** Embedded and computed values, each with the provenance they are served with. */
export type PrdAnswerModel = PrdAnswerDoc;
export type PrdHelpRequestModel = PrdHelpRequestDoc;
export type PrdSectionStateModel = PrdSectionState & { provenance: ProvenanceRecord };
export type PrdQuestionModel = PrdQuestionSpec & { provenance: ProvenanceRecord };
export type ConfigRiskModel = RiskAssessment & { provenance: ProvenanceRecord };
export type ConfigDiffEntryModel = DiffEntry & { provenance: ProvenanceRecord };
export interface ConfigDiffModel {
  fromVersion: number;
  toVersion: number;
  entries: DiffEntry[];
  risk: RiskAssessment;
  provenance: ProvenanceRecord;
}
