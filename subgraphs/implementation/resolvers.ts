import { requireScope } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';
import { loaderOf } from '../../platform/store/loader.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import {
  allConfigs,
  answerPrdQuestion,
  approveConfigVersion,
  approvePrd,
  changesOf,
  commitConfig,
  configDiff,
  createConfig,
  deployConfig,
  generateConfigFromPrd,
  listConfigs,
  listDeployments,
  listPrds,
  listVersions,
  loadHead,
  prettyDocument,
  requestPrdHelp,
  rollbackConfig,
  startPrd,
  userRefOf,
  validateDocument,
  versionByNumber,
  type ImplementationDeps,
} from './commands.ts';
import { configs, configVersions, deployments, prds } from './store.ts';

/** Thin resolvers: argument mapping; the work is in commands.ts and domain/. */
export const createResolvers = (deps: ImplementationDeps): Resolvers => {
  const loadOrFail = async <T>(value: Promise<T | null>, typename: string): Promise<T> => {
    const found = await value;
    if (!found) throw notFound(typename);
    return found;
  };
  return {
    Query: {
      prds: (_root, args, ctx) => listPrds(deps, ctx, args),
      prd: (_root, args, ctx) => loaderOf(ctx, deps.store, prds).load(args.id),
      configs: (_root, args, ctx) => listConfigs(deps, ctx, args),
      config: (_root, args, ctx) => loaderOf(ctx, deps.store, configs).load(args.id),
      configDiff: (_root, args, ctx) => configDiff(deps, ctx, args),
      deployments: (_root, args, ctx) => listDeployments(deps, ctx, args),
      validateConfigDocument: (_root, args, ctx) => validateDocument(deps, ctx, args.document),
    },
    Mutation: {
      startPrd: (_root, { input }, ctx) => startPrd(deps, ctx, input),
      answerPrdQuestion: (_root, { input }, ctx) => answerPrdQuestion(deps, ctx, input),
      approvePrd: (_root, { input }, ctx) => approvePrd(deps, ctx, input),
      requestPrdHelp: (_root, { input }, ctx) => requestPrdHelp(deps, ctx, input),
      generateConfigFromPrd: (_root, { input }, ctx) => generateConfigFromPrd(deps, ctx, input),
      createConfig: (_root, { input }, ctx) => createConfig(deps, ctx, input),
      commitConfig: (_root, { input }, ctx) => commitConfig(deps, ctx, input),
      approveConfigVersion: (_root, { input }, ctx) => approveConfigVersion(deps, ctx, input),
      rollbackConfig: (_root, { input }, ctx) => rollbackConfig(deps, ctx, input),
      deployConfig: (_root, { input }, ctx) => deployConfig(deps, ctx, input),
    },
    Organization: {
      // The tenant is always the caller's: another organization's reference resolves to null.
      __resolveReference: (ref, ctx) => (ref.id === requireScope(ctx).tenantId ? ref : null),
      configs: (_org, _args, ctx) => allConfigs(deps, ctx),
    },
    Prd: {
      __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, prds).load(ref.id as string),
      completeness: (prd) => prd.assessment.completeness,
      sections: (prd) => prd.assessment.sections.map((section) => ({ ...section, provenance: prd.assessmentProvenance })),
      openQuestions: (prd) => prd.assessment.openQuestions.map((question) => ({ ...question, provenance: prd.assessmentProvenance })),
      startedBy: (prd) => userRefOf(prd.startedBy),
      approvedBy: (prd) => userRefOf(prd.approvedBy),
      config: (prd, _args, ctx) => (prd.configId ? loaderOf(ctx, deps.store, configs).load(prd.configId) : null),
    },
    PrdAnswer: {
      author: (answer) => userRefOf(answer.author),
    },
    PrdHelpRequest: {
      requestedBy: (help) => userRefOf(help.requestedBy),
    },
    Config: {
      __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, configs).load(ref.id as string),
      prd: (config, _args, ctx) => (config.prdId ? loaderOf(ctx, deps.store, prds).load(config.prdId) : null),
      head: (config, _args, ctx) => loadHead(deps, ctx, config),
      version: (config, args, ctx) => versionByNumber(deps, ctx, config.id, args.number),
      versions: (config, args, ctx) => listVersions(deps, ctx, config.id, args),
      deployedVersion: (config, args, ctx) => {
        const number = config.deployed[args.environment];
        return number ? versionByNumber(deps, ctx, config.id, number) : null;
      },
      deployments: (config, args, ctx) => listDeployments(deps, ctx, { ...args, configId: config.id }),
    },
    ConfigVersion: {
      __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, configVersions).load(ref.id as string),
      config: (version, _args, ctx) => loadOrFail(loaderOf(ctx, deps.store, configs).load(version.configId), 'Config'),
      parent: (version, _args, ctx) => (version.parentId ? loaderOf(ctx, deps.store, configVersions).load(version.parentId) : null),
      author: (version) => userRefOf(version.author),
      approvedBy: (version) => userRefOf(version.approvedBy),
      document: (version) => prettyDocument(version.document),
      risk: (version) => ({ ...version.risk, provenance: version.riskProvenance }),
      changes: (version, _args, ctx) => changesOf(deps, ctx, version),
    },
    ConfigDiff: {
      entries: (diff) => diff.entries.map((entry) => ({ ...entry, provenance: diff.provenance })),
      added: (diff) => diff.entries.filter((e) => e.kind === 'ADDED').length,
      removed: (diff) => diff.entries.filter((e) => e.kind === 'REMOVED').length,
      changed: (diff) => diff.entries.filter((e) => e.kind === 'CHANGED').length,
      risk: (diff) => ({ ...diff.risk, provenance: diff.provenance }),
    },
    Deployment: {
      __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, deployments).load(ref.id as string),
      config: (deployment, _args, ctx) => loadOrFail(loaderOf(ctx, deps.store, configs).load(deployment.configId), 'Config'),
      version: (deployment, _args, ctx) => loadOrFail(loaderOf(ctx, deps.store, configVersions).load(deployment.versionId), 'ConfigVersion'),
      deployedBy: (deployment) => userRefOf(deployment.deployedBy),
    },
    // Counted only when selected: a list that does not ask for totalCount costs one store round trip.
    PrdConnection: { totalCount: (connection) => connection.count() },
    ConfigConnection: { totalCount: (connection) => connection.count() },
    ConfigVersionConnection: { totalCount: (connection) => connection.count() },
    DeploymentConnection: { totalCount: (connection) => connection.count() },
  };
};
