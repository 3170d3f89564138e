import { randomBytes } from 'node:crypto';
import { requirePrincipal, requireScope, type RequestContext } from '../../platform/context.ts';
import { DomainError, forbidden, inputError, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { canonicalJson, digestOf } from '../../platform/provenance/canonical.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import { loaderOf } from '../../platform/store/loader.ts';
import type { Filter, Transaction } from '../../platform/store/port.ts';
import { clampFirst } from '../../platform/store/transaction.ts';
import { generateConfig } from './domain/config-generate.ts';
import { parseJsonDocument, validateConfig, type FieldError, type JsonValue } from './domain/config-schema.ts';
import { approvalStatusFor, assessRisk, deploymentBlocker, diffDocuments, waiveForKnownGood, type Environment, type RiskAssessment } from './domain/config-versioning.ts';
import { assessPrd, judgeAnswer, type PrdAnswerRecord, type ProductType } from './domain/prd-engine.ts';
import {
  configs,
  configVersions,
  deployments,
  prds,
  type ActorRef,
  type ConfigDiffModel,
  type ConfigModel,
  type ConfigVersionDoc,
  type ConfigVersionModel,
  type DeploymentModel,
  type PrdAnswerDoc,
  type PrdHelpRequestDoc,
  type PrdModel,
  type ConnectionModel,
} from './store.ts';

export type ImplementationDeps = SubgraphDeps;

const HELP_CODE_TTL_MS = 60 * 60 * 1000;

export const actorOf = (ctx: RequestContext): ActorRef => {
  const principal = requirePrincipal(ctx);
  return { id: principal.subject, kind: principal.kind };
};

/** A user reference for federation, or null when the actor was an app or the system. */
export const userRefOf = (actor: ActorRef | null | undefined): { id: string } | null => (actor && actor.kind === 'user' ? { id: actor.id } : null);

const txOptions = (ctx: RequestContext, action: string) => ({ action: `implementation.${action}`, actor: actorOf(ctx), correlationId: ctx.correlationId });

const human = (deps: ImplementationDeps, ctx: RequestContext, inputs: unknown, explanation: string): ProvenanceRecord =>
  deps.provenance.build({ method: 'HUMAN', inputs, explanation }, ctx.correlationId);
const rule = (deps: ImplementationDeps, ctx: RequestContext, inputs: unknown, explanation: string, confidence = 1): ProvenanceRecord =>
  deps.provenance.build({ method: 'RULE', inputs, explanation, confidence }, ctx.correlationId);

const checkText = (value: string, field: string, min: number, max: number, what: string): string => {
  const text = value.trim();
  if (text.length < min || text.length > max) throw inputError(field, `${what} must be ${min}–${max} characters`, `Give a ${what.toLowerCase()} of ${min} to ${max} characters.`);
  return text;
};

/** A page plus a count that runs only if `totalCount` is selected (resolved by `<Type>Connection.totalCount`). */
export const connectionOf = <T extends { id: string }>(page: { items: T[]; cursors: string[]; hasNextPage: boolean; endCursor: string | null }, count: () => Promise<number>): ConnectionModel<T> => ({
  edges: page.items.map((node, i) => ({ cursor: page.cursors[i], node })),
  pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
  count,
});

// ---------------------------------------------------------------- PRDs

export const loadPrd = async (deps: ImplementationDeps, ctx: RequestContext, id: string): Promise<PrdModel> => {
  const prd = await loaderOf(ctx, deps.store, prds).load(id);
  if (!prd) throw notFound('Prd');
  return prd;
};

const assessmentProvenance = (deps: ImplementationDeps, ctx: RequestContext, productType: ProductType, answers: readonly PrdAnswerRecord[], assessment: ReturnType<typeof assessPrd>): ProvenanceRecord => {
  const vague = answers.filter((a) => a.vague).length;
  const done = assessment.sections.filter((s) => s.complete).length;
  return rule(deps, ctx, { productType, answers: answers.map((a) => ({ q: a.questionId, a: a.answer })) }, `Cross-questioning rules: ${done}/${assessment.sections.length} sections answered specifically, ${vague} vague answer(s) flagged`);
};

export const startPrd = async (deps: ImplementationDeps, ctx: RequestContext, input: { title: string; productType: ProductType }): Promise<PrdModel> => {
  const scope = requireScope(ctx);
  const title = checkText(input.title, 'input.title', 2, 120, 'Title');
  const assessment = assessPrd(input.productType, []);
  return deps.store.transaction(scope, txOptions(ctx, 'startPrd'), (tx) => {
    const prd = tx.insert(
      prds,
      {
        title,
        productType: input.productType,
        status: 'IN_PROGRESS',
        answers: [],
        assessment,
        assessmentProvenance: assessmentProvenance(deps, ctx, input.productType, [], assessment),
        startedBy: actorOf(ctx),
        approvedBy: null,
        approvedAt: null,
        helpRequest: null,
        configId: null,
      },
      human(deps, ctx, { title, productType: input.productType }, 'PRD session started'),
    );
    tx.emit({ type: 'prd.started', topic: 'prd_events', subject: { typename: 'Prd', id: prd.id }, payload: { title, productType: input.productType } }, prd.provenance);
    return prd;
  });
};

export const answerPrdQuestion = async (deps: ImplementationDeps, ctx: RequestContext, input: { prdId: string; questionId: string; answer: string }): Promise<PrdModel> => {
  const scope = requireScope(ctx);
  const prd = await loadPrd(deps, ctx, input.prdId);
  if (prd.status === 'APPROVED') throw inputError('input.prdId', 'This PRD is approved; it takes no more answers', 'Start a new PRD (startPrd) for changed requirements.');
  const answer = checkText(input.answer, 'input.answer', 1, 4000, 'Answer');
  const question = prd.assessment.openQuestions.find((q) => q.id === input.questionId);
  if (!question) {
    throw inputError('input.questionId', `"${input.questionId}" is not an open question of this PRD`, `Answer one of: ${prd.assessment.openQuestions.map((q) => q.id).join(', ') || '(none open; approve the PRD)'}.`);
  }
  const judgement = judgeAnswer(question.section, answer);
  const answeredAt = new Date().toISOString();
  const record: PrdAnswerDoc = {
    questionId: question.id,
    section: question.section,
    answer,
    vague: judgement.vague,
    issues: judgement.issues,
    author: actorOf(ctx),
    answeredAt,
    provenance: human(deps, ctx, { questionId: question.id, answer }, judgement.vague ? `Answer by a person; judged vague by rules: ${judgement.issues.join(' ')}` : 'Answer by a person; accepted as specific by rules'),
  };
  const answers = [...prd.answers, record];
  const assessment = assessPrd(prd.productType, answers);
  const provenance = assessmentProvenance(deps, ctx, prd.productType, answers, assessment);
  return deps.store.transaction(scope, txOptions(ctx, 'answerPrdQuestion'), (tx) => {
    const updated = tx.update(prds, prd, { answers, assessment, assessmentProvenance: provenance, status: assessment.complete ? 'READY_FOR_REVIEW' : 'IN_PROGRESS' }, provenance);
    tx.emit(
      {
        type: 'prd.answered',
        topic: 'collaboration_events',
        subject: { typename: 'Prd', id: prd.id },
        payload: { questionId: question.id, section: question.section, vague: judgement.vague, completeness: assessment.completeness, openQuestions: assessment.openQuestions.map((q) => q.id) },
      },
      record.provenance,
    );
    return updated;
  });
};

export const approvePrd = async (deps: ImplementationDeps, ctx: RequestContext, input: { prdId: string }): Promise<PrdModel> => {
  const scope = requireScope(ctx);
  const prd = await loadPrd(deps, ctx, input.prdId);
  if (prd.status === 'APPROVED') return prd;
  if (!prd.assessment.complete) {
    throw inputError('input.prdId', `The PRD is ${Math.round(prd.assessment.completeness * 100)}% complete; every section needs a specific answer before approval`, `Answer the open questions: ${prd.assessment.openQuestions.map((q) => q.id).join(', ')}.`);
  }
  const approvedAt = new Date().toISOString();
  const provenance = human(deps, ctx, { prdId: prd.id, assessment: prd.assessment }, 'PRD approved by the client');
  return deps.store.transaction(scope, txOptions(ctx, 'approvePrd'), (tx) => {
    const approved = tx.update(prds, prd, { status: 'APPROVED', approvedBy: actorOf(ctx), approvedAt }, provenance);
    const sections = Object.fromEntries(prd.assessment.sections.map((s) => [s.section, s.items]));
    tx.emit({ type: 'prd.approved', topic: 'prd_events', subject: { typename: 'Prd', id: prd.id }, payload: { title: prd.title, productType: prd.productType, approvedAt, sections } }, provenance);
    return approved;
  });
};

/** A shareable code like `K7QX-M2PD` (Crockford base32, 40 bits). */
const newHelpCode = (): string => {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const bytes = randomBytes(8);
  const chars = [...bytes].map((b) => alphabet[b % 32]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}`;
};

export const requestPrdHelp = async (deps: ImplementationDeps, ctx: RequestContext, input: { prdId: string }): Promise<PrdHelpRequestDoc> => {
  const scope = requireScope(ctx);
  const prd = await loadPrd(deps, ctx, input.prdId);
  if (prd.status === 'APPROVED') throw inputError('input.prdId', 'This PRD is approved; its session is closed', 'Start a new PRD to continue with a specialist.');
  const help: PrdHelpRequestDoc = {
    code: newHelpCode(),
    expiresAt: new Date(Date.now() + HELP_CODE_TTL_MS).toISOString(),
    requestedBy: actorOf(ctx),
    provenance: human(deps, ctx, { prdId: prd.id }, 'Help requested from the PRD session (help button)'),
  };
  return deps.store.transaction(scope, txOptions(ctx, 'requestPrdHelp'), (tx) => {
    tx.update(prds, prd, { helpRequest: help });
    tx.emit(
      {
        type: 'prd.help_requested',
        topic: 'collaboration_events',
        subject: { typename: 'Prd', id: prd.id },
        payload: { code: help.code, expiresAt: help.expiresAt, title: prd.title, openQuestions: prd.assessment.openQuestions.map((q) => q.id) },
      },
      help.provenance,
    );
    return help;
  });
};

export const listPrds = async (deps: ImplementationDeps, ctx: RequestContext, args: { status?: PrdModel['status'] | null; first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  const filter: Filter = args.status ? { status: args.status } : {};
  const reader = deps.store.collection(prds);
  return connectionOf(await reader.page(scope, filter, { first: clampFirst(args.first), after: args.after }), () => reader.count(scope, filter));
};

// ---------------------------------------------------------------- configs

export const loadConfig = async (deps: ImplementationDeps, ctx: RequestContext, id: string): Promise<ConfigModel> => {
  const config = await loaderOf(ctx, deps.store, configs).load(id);
  if (!config) throw notFound('Config');
  return config;
};

export const versionByNumber = (deps: ImplementationDeps, ctx: RequestContext, configId: string, number: number): Promise<ConfigVersionModel | null> =>
  deps.store.collection(configVersions).findOne(requireScope(ctx), { configId, number });

const requireVersion = async (deps: ImplementationDeps, ctx: RequestContext, config: ConfigModel, number: number, field: string): Promise<ConfigVersionModel> => {
  const version = Number.isInteger(number) && number >= 1 && number <= config.headVersion ? await versionByNumber(deps, ctx, config.id, number) : null;
  if (!version) throw inputError(field, `Config "${config.name}" has no version ${number}`, `Use a version number from 1 to ${config.headVersion}.`);
  return version;
};

export const loadHead = async (deps: ImplementationDeps, ctx: RequestContext, config: ConfigModel): Promise<ConfigVersionModel> => {
  const head = await loaderOf(ctx, deps.store, configVersions).load(config.headVersionId);
  if (!head) throw new DomainError('INTERNAL_SERVER_ERROR', `Config ${config.id} lost its head version`);
  return head;
};

/** Parses and validates a document given as a String of JSON; input errors name `<field>.<path>`. */
export const parseConfigDocument = (text: string, field: string): { value: JsonValue; productType: ProductType } => {
  if (text.length > 200_000) throw inputError(field, 'The document is larger than 200 kB', 'Shorten the system prompt or remove unused tools.');
  const parsed = parseJsonDocument(text);
  if (!parsed.ok) throw inputError(field, `The document is not valid JSON: ${parsed.message}`, 'Send the configuration as a JSON object encoded in a string.');
  const errors = validateConfig(parsed.value);
  if (errors.length) throw invalidDocument(errors, field);
  return { value: parsed.value, productType: (parsed.value as { productType: ProductType }).productType };
};

const invalidDocument = (errors: readonly FieldError[], field: string): DomainError =>
  inputError(
    `${field}.${errors[0].path}`,
    `The configuration is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
    'Fix the named fields; validateConfigDocument lists every error with its path.',
  );

export const prettyDocument = (canonical: string): string => JSON.stringify(JSON.parse(canonical) as JsonValue, null, 2);

export const validateDocument = (deps: ImplementationDeps, ctx: RequestContext, document: string) => {
  requireScope(ctx);
  const provenance = rule(deps, ctx, { document }, 'Validated against the bot configuration schema (v1) and cross-field rules');
  const parsed = parseJsonDocument(document);
  const errors: FieldError[] = parsed.ok ? validateConfig(parsed.value) : [{ path: '(document)', message: `is not valid JSON: ${parsed.message}` }];
  return { valid: errors.length === 0, errors: errors.map((e) => ({ ...e, provenance })), provenance };
};

const riskProvenance = (deps: ImplementationDeps, ctx: RequestContext, parentDigest: string | null, digest: string, risk: RiskAssessment): ProvenanceRecord =>
  rule(deps, ctx, { parentDigest, digest }, `Change risk ${risk.level} by rules: ${risk.reasons.join(' ')}`);

/** Writes a version (and moves the head) inside `tx`. */
const writeVersion = (
  deps: ImplementationDeps,
  ctx: RequestContext,
  tx: Transaction,
  args: { id?: string; configId: string; number: number; parent: ConfigVersionModel | null; canonical: string; message: string; rollbackOf: number | null; risk: RiskAssessment; provenance: ProvenanceRecord },
): ConfigVersionModel => {
  const digest = digestOf(JSON.parse(args.canonical) as JsonValue);
  const doc: ConfigVersionDoc = {
    configId: args.configId,
    number: args.number,
    parentNumber: args.parent?.number ?? null,
    parentId: args.parent?.id ?? null,
    message: args.message,
    author: actorOf(ctx),
    document: args.canonical,
    digest,
    rollbackOf: args.rollbackOf,
    risk: args.risk,
    riskProvenance: riskProvenance(deps, ctx, args.parent?.digest ?? null, digest, args.risk),
    approvalStatus: approvalStatusFor(args.risk),
    approvedBy: null,
    approvedAt: null,
  };
  return tx.insert(configVersions, args.id ? { id: args.id, ...doc } : doc, args.provenance);
};

export const createConfig = async (deps: ImplementationDeps, ctx: RequestContext, input: { name: string; document: string; message?: string | null }): Promise<ConfigModel> => {
  const scope = requireScope(ctx);
  const name = checkText(input.name, 'input.name', 2, 120, 'Name');
  const message = checkText(input.message ?? 'Initial version', 'input.message', 1, 500, 'Message');
  const { value, productType } = parseConfigDocument(input.document, 'input.document');
  const configId = newId();
  const versionId = newId();
  const provenance = human(deps, ctx, { name, document: value }, 'Configuration created by a person');
  return deps.store.transaction(scope, txOptions(ctx, 'createConfig'), (tx) => {
    const config = tx.insert(configs, { id: configId, name, productType, prdId: null, headVersion: 1, headVersionId: versionId, deployed: {} }, provenance);
    const version = writeVersion(deps, ctx, tx, { id: versionId, configId, number: 1, parent: null, canonical: canonicalJson(value), message, rollbackOf: null, risk: assessRisk([], true), provenance });
    tx.emit({ type: 'config.created', topic: 'config_events', subject: { typename: 'Config', id: configId }, payload: { name, productType, version: 1, versionId: version.id, digest: version.digest } }, provenance);
    return config;
  });
};

/** Commits `value` on top of the config's head inside one transaction; returns the new version. */
const commitOnHead = async (
  deps: ImplementationDeps,
  ctx: RequestContext,
  config: ConfigModel,
  head: ConfigVersionModel,
  args: { value: JsonValue; productType: ProductType; message: string; rollbackOf: number | null; knownGood: boolean; provenance: ProvenanceRecord; event: { type: string; payload: Record<string, unknown> } },
): Promise<ConfigVersionModel> => {
  const canonical = canonicalJson(args.value);
  const diff = diffDocuments(JSON.parse(head.document) as JsonValue, args.value);
  const assessed = assessRisk(diff);
  const risk = args.knownGood ? waiveForKnownGood(assessed) : assessed;
  const number = head.number + 1;
  return deps.store.transaction(requireScope(ctx), txOptions(ctx, args.event.type), (tx) => {
    const version = writeVersion(deps, ctx, tx, { configId: config.id, number, parent: head, canonical, message: args.message, rollbackOf: args.rollbackOf, risk, provenance: args.provenance });
    tx.update(configs, config, { headVersion: number, headVersionId: version.id, productType: args.productType }, args.provenance);
    tx.emit(
      {
        type: args.event.type,
        topic: 'config_events',
        subject: { typename: 'ConfigVersion', id: version.id },
        payload: { configId: config.id, version: number, digest: version.digest, riskLevel: risk.level, approvalStatus: version.approvalStatus, changedPaths: diff.map((d) => d.path), ...args.event.payload },
      },
      args.provenance,
    );
    return version;
  });
};

export const commitConfig = async (deps: ImplementationDeps, ctx: RequestContext, input: { configId: string; document: string; message: string; expectedHeadVersion?: number | null }): Promise<ConfigVersionModel> => {
  requireScope(ctx);
  const config = await loadConfig(deps, ctx, input.configId);
  const message = checkText(input.message, 'input.message', 1, 500, 'Message');
  const { value, productType } = parseConfigDocument(input.document, 'input.document');
  if (input.expectedHeadVersion !== null && input.expectedHeadVersion !== undefined && input.expectedHeadVersion !== config.headVersion) {
    throw new DomainError('CONFLICT', `The head moved to version ${config.headVersion} (expected ${input.expectedHeadVersion})`, { field: 'input.expectedHeadVersion', hint: 'Reload the config, look at configDiff, and commit again on the new head.' });
  }
  const head = await loadHead(deps, ctx, config);
  if (digestOf(value) === head.digest) throw inputError('input.document', `Nothing to commit: the document equals version ${head.number}`, 'Change the document before committing.');
  return commitOnHead(deps, ctx, config, head, { value, productType, message, rollbackOf: null, knownGood: false, provenance: human(deps, ctx, { configId: config.id, document: value, message }, 'Configuration change committed by a person'), event: { type: 'config.committed', payload: {} } });
};

export const rollbackConfig = async (deps: ImplementationDeps, ctx: RequestContext, input: { configId: string; toVersion: number; message?: string | null }): Promise<ConfigVersionModel> => {
  const scope = requireScope(ctx);
  const config = await loadConfig(deps, ctx, input.configId);
  const target = await requireVersion(deps, ctx, config, input.toVersion, 'input.toVersion');
  const head = await loadHead(deps, ctx, config);
  if (target.digest === head.digest) throw inputError('input.toVersion', `Version ${target.number} has the same content as the head (version ${head.number})`, 'Pick a version with different content; configDiff shows the differences.');
  const message = checkText(input.message ?? `Rollback to version ${target.number}`, 'input.message', 1, 500, 'Message');
  const ranInProduction = (await deps.store.collection(deployments).count(scope, { configId: config.id, environment: 'PRODUCTION', digest: target.digest })) > 0;
  const value = JSON.parse(target.document) as JsonValue;
  return commitOnHead(deps, ctx, config, head, {
    value,
    productType: (value as { productType: ProductType }).productType,
    message,
    rollbackOf: target.number,
    knownGood: ranInProduction,
    provenance: human(deps, ctx, { configId: config.id, toVersion: target.number }, `Rollback to version ${target.number} by a person`),
    event: { type: 'config.rolled_back', payload: { rollbackOf: target.number } },
  });
};

export const approveConfigVersion = async (deps: ImplementationDeps, ctx: RequestContext, input: { configId: string; version: number }): Promise<ConfigVersionModel> => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  const config = await loadConfig(deps, ctx, input.configId);
  const version = await requireVersion(deps, ctx, config, input.version, 'input.version');
  if (version.approvalStatus === 'APPROVED') return version;
  if (version.approvalStatus === 'NOT_REQUIRED') throw inputError('input.version', `Version ${version.number} is ${version.risk.level} risk and needs no approval`, 'Deploy it directly with deployConfig.');
  if (version.author.id === principal.subject) throw forbidden('You cannot approve your own change', 'Ask another Owner or Admin to review and approve it (four-eyes rule).');
  const provenance = human(deps, ctx, { versionId: version.id, digest: version.digest }, 'HIGH-risk change approved by an Owner/Admin');
  return deps.store.transaction(scope, txOptions(ctx, 'approveConfigVersion'), (tx) => {
    const approved = tx.update(configVersions, version, { approvalStatus: 'APPROVED', approvedBy: actorOf(ctx), approvedAt: new Date().toISOString() });
    tx.emit({ type: 'config.approved', topic: 'config_events', subject: { typename: 'ConfigVersion', id: version.id }, payload: { configId: config.id, version: version.number, digest: version.digest } }, provenance);
    return approved;
  });
};

export const generateConfigFromPrd = async (deps: ImplementationDeps, ctx: RequestContext, input: { prdId: string }) => {
  const scope = requireScope(ctx);
  const prd = await loadPrd(deps, ctx, input.prdId);
  if (prd.status !== 'APPROVED') throw inputError('input.prdId', 'The PRD is not approved yet', 'Complete the PRD and approve it (approvePrd) before generating a configuration.');
  const generated = generateConfig(prd);
  const errors = validateConfig(generated.document);
  if (errors.length) throw inputError('input.prdId', `The PRD yields an invalid configuration: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, 'Shorten or correct the PRD answers in a new PRD.');
  const value = generated.document as unknown as JsonValue;
  const provenance = rule(deps, ctx, { prdId: prd.id, assessment: prd.assessment }, `PRD converted to configuration by rules (confidence = share of use cases and integrations mapped): ${generated.notes.join('; ')}`, generated.coverage);
  const result = (config: ConfigModel, version: ConfigVersionModel) => ({ config, version, unsupportedIntegrations: generated.unsupportedIntegrations, notes: generated.notes, provenance });
  const eventPayload = { prdId: prd.id, unsupportedIntegrations: generated.unsupportedIntegrations };

  const existing = prd.configId ? await loaderOf(ctx, deps.store, configs).load(prd.configId) : null;
  if (existing) {
    const head = await loadHead(deps, ctx, existing);
    if (head.digest === digestOf(value)) return result(existing, head);
    const version = await commitOnHead(deps, ctx, existing, head, { value, productType: prd.productType, message: `Regenerated from PRD "${prd.title}"`, rollbackOf: null, knownGood: false, provenance, event: { type: 'config.generated', payload: eventPayload } });
    const moved = await deps.store.collection(configs).get(scope, existing.id);
    if (!moved) throw notFound('Config');
    return result(moved, version);
  }
  const configId = newId();
  const versionId = newId();
  return deps.store.transaction(scope, txOptions(ctx, 'generateConfigFromPrd'), (tx) => {
    const config = tx.insert(configs, { id: configId, name: prd.title, productType: prd.productType, prdId: prd.id, headVersion: 1, headVersionId: versionId, deployed: {} }, provenance);
    const version = writeVersion(deps, ctx, tx, { id: versionId, configId, number: 1, parent: null, canonical: canonicalJson(value), message: `Generated from PRD "${prd.title}"`, rollbackOf: null, risk: assessRisk([], true), provenance });
    tx.update(prds, prd, { configId });
    tx.emit({ type: 'config.generated', topic: 'config_events', subject: { typename: 'Config', id: configId }, payload: { ...eventPayload, version: 1, versionId: version.id, digest: version.digest, productType: prd.productType } }, provenance);
    return result(config, version);
  });
};

export const listConfigs = async (deps: ImplementationDeps, ctx: RequestContext, args: { first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  const reader = deps.store.collection(configs);
  return connectionOf(await reader.page(scope, {}, { first: clampFirst(args.first), after: args.after }), () => reader.count(scope));
};

export const allConfigs = (deps: ImplementationDeps, ctx: RequestContext): Promise<ConfigModel[]> =>
  deps.store.collection(configs).find(requireScope(ctx), {}, { sort: { field: 'createdAt', direction: -1 }, limit: 500 });

export const listVersions = async (deps: ImplementationDeps, ctx: RequestContext, configId: string, args: { first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  const reader = deps.store.collection(configVersions);
  return connectionOf(await reader.page(scope, { configId }, { first: clampFirst(args.first), after: args.after, sort: { field: 'number', direction: -1 } }), () => reader.count(scope, { configId }));
};

export const configDiff = async (deps: ImplementationDeps, ctx: RequestContext, args: { configId: string; fromVersion: number; toVersion: number }): Promise<ConfigDiffModel> => {
  const config = await loadConfig(deps, ctx, args.configId);
  const [from, to] = await Promise.all([requireVersion(deps, ctx, config, args.fromVersion, 'fromVersion'), requireVersion(deps, ctx, config, args.toVersion, 'toVersion')]);
  const entries = diffDocuments(JSON.parse(from.document) as JsonValue, JSON.parse(to.document) as JsonValue);
  const risk = assessRisk(entries);
  return { fromVersion: from.number, toVersion: to.number, entries, risk, provenance: rule(deps, ctx, { from: from.digest, to: to.digest }, `Structural diff of versions ${from.number} → ${to.number}: ${entries.length} path(s); risk ${risk.level} by rules`) };
};

/** Changes of a version relative to its parent. */
export const changesOf = async (deps: ImplementationDeps, ctx: RequestContext, version: ConfigVersionModel) => {
  if (!version.parentId) return [];
  const parent = await loaderOf(ctx, deps.store, configVersions).load(version.parentId);
  if (!parent) return [];
  return diffDocuments(JSON.parse(parent.document) as JsonValue, JSON.parse(version.document) as JsonValue).map((entry) => ({ ...entry, provenance: version.riskProvenance }));
};

// ---------------------------------------------------------------- deployments

export const deployConfig = async (deps: ImplementationDeps, ctx: RequestContext, input: { configId: string; version: number; environment: Environment }): Promise<DeploymentModel> => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  if (input.environment === 'PRODUCTION' && !principal.scopes.includes('org:admin') && !principal.scopes.includes('staff')) {
    throw forbidden('Deploying to PRODUCTION needs an Owner/Admin or assigned platform staff', 'Deploy to DEV or STAGING, or ask an Owner/Admin to promote to PRODUCTION.');
  }
  const config = await loadConfig(deps, ctx, input.configId);
  const version = await requireVersion(deps, ctx, config, input.version, 'input.version');
  const history = await deps.store.collection(deployments).find(scope, { configId: config.id });
  const blocker = deploymentBlocker({ environment: input.environment, digest: version.digest, approvalStatus: version.approvalStatus, deployedDigests: history });
  if (blocker) {
    throw inputError('input.version', blocker, version.approvalStatus === 'PENDING' ? 'Ask an Owner/Admin to approve it (approveConfigVersion), then deploy.' : 'Deploy the version to the previous environment first.');
  }
  const previous = config.deployed[input.environment] ?? null;
  const deployedAt = new Date().toISOString();
  const provenance = human(deps, ctx, { configId: config.id, version: version.number, environment: input.environment }, `Version ${version.number} deployed to ${input.environment} by a person`);
  return deps.store.transaction(scope, txOptions(ctx, 'deployConfig'), (tx) => {
    const deployment = tx.insert(
      deployments,
      { configId: config.id, versionId: version.id, versionNumber: version.number, environment: input.environment, digest: version.digest, previousVersion: previous, deployedBy: actorOf(ctx), deployedAt },
      provenance,
    );
    tx.update(configs, config, { deployed: { ...config.deployed, [input.environment]: version.number } });
    tx.emit(
      {
        type: 'config.deployed',
        topic: 'config_events',
        subject: { typename: 'Deployment', id: deployment.id },
        payload: {
          configId: config.id,
          configName: config.name,
          productType: config.productType,
          version: version.number,
          versionId: version.id,
          environment: input.environment,
          previousVersion: previous,
          digest: version.digest,
          document: JSON.parse(version.document) as JsonValue,
        },
      },
      provenance,
    );
    return deployment;
  });
};

export const listDeployments = async (deps: ImplementationDeps, ctx: RequestContext, args: { configId?: string | null; environment?: Environment | null; first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  const filter: Filter = {};
  if (args.configId) filter.configId = args.configId;
  if (args.environment) filter.environment = args.environment;
  const reader = deps.store.collection(deployments);
  return connectionOf(await reader.page(scope, filter, { first: clampFirst(args.first), after: args.after }), () => reader.count(scope, filter));
};
