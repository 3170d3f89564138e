import { requireScope } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';
import { loaderOf } from '../../platform/store/loader.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import { effectiveStatus } from './domain/billing.ts';
import { allowedStageTransitions } from './domain/prospect.ts';
import {
  approveDemo,
  byProspect,
  cancelSubscription,
  changeSubscription,
  createProspect,
  generateDemo,
  generateNda,
  generateProposal,
  listProspects,
  recordPaymentAttempt,
  recordSignatureEvent,
  runResearch,
  sendSalesDocument,
  startSubscription,
  subscriptionOf,
  updateProspectStage,
  type PresalesDeps,
} from './commands.ts';
import { billingSubscriptions, demos, prospects, researchReports, salesDocuments } from './store.ts';

/** Thin resolvers: argument mapping; the work is in commands.ts and domain/. */
export const createResolvers = (deps: PresalesDeps): Resolvers => {
  const prospectOf = async (ctx: Parameters<typeof requireScope>[0], id: string) => {
    const prospect = await loaderOf(ctx, deps.store, prospects).load(id);
    if (!prospect) throw notFound('Prospect');
    return prospect;
  };
  return {
    Query: {
      prospects: (_root, args, ctx) => listProspects(deps, ctx, args),
      prospect: (_root, args, ctx) => loaderOf(ctx, deps.store, prospects).load(args.id),
      researchReport: (_root, args, ctx) => loaderOf(ctx, deps.store, researchReports).load(args.id),
      demo: (_root, args, ctx) => loaderOf(ctx, deps.store, demos).load(args.id),
      salesDocuments: async (_root, args, ctx) => {
        if (!(await loaderOf(ctx, deps.store, prospects).load(args.prospectId))) throw notFound('Prospect');
        return byProspect(ctx, deps, salesDocuments).load(args.prospectId);
      },
      subscription: (_root, _args, ctx) => subscriptionOf(deps, requireScope(ctx)),
    },
    Mutation: {
      createProspect: (_root, { input }, ctx) => createProspect(deps, ctx, input),
      updateProspectStage: (_root, args, ctx) => updateProspectStage(deps, ctx, args),
      runResearch: (_root, { input }, ctx) => runResearch(deps, ctx, input),
      generateDemo: (_root, { input }, ctx) => generateDemo(deps, ctx, input),
      approveDemo: (_root, args, ctx) => approveDemo(deps, ctx, args.id),
      generateNda: (_root, { input }, ctx) => generateNda(deps, ctx, input),
      generateProposal: (_root, { input }, ctx) => generateProposal(deps, ctx, input),
      sendSalesDocument: (_root, { input }, ctx) => sendSalesDocument(deps, ctx, input),
      recordSignatureEvent: (_root, { input }, ctx) => recordSignatureEvent(deps, ctx, input),
      startSubscription: (_root, { input }, ctx) => startSubscription(deps, ctx, input),
      changeSubscription: (_root, { input }, ctx) => changeSubscription(deps, ctx, input),
      recordPaymentAttempt: (_root, { input }, ctx) => recordPaymentAttempt(deps, ctx, input),
      cancelSubscription: (_root, _args, ctx) => cancelSubscription(deps, ctx),
    },
    Organization: {
      __resolveReference: (ref) => ({ id: ref.id as string }),
      // The tenant is always the caller's: another organization's subscription is never visible.
      subscription: (org, _args, ctx) => (org.id === requireScope(ctx).tenantId ? subscriptionOf(deps, requireScope(ctx)) : null),
    },
    Prospect: {
      __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, prospects).load(ref.id as string),
      allowedNextStages: (prospect) => [...allowedStageTransitions(prospect.stage)],
      latestResearch: (prospect, _args, ctx) => (prospect.latestResearchId ? loaderOf(ctx, deps.store, researchReports).load(prospect.latestResearchId) : null),
      demos: (prospect, _args, ctx) => byProspect(ctx, deps, demos).load(prospect.id),
      salesDocuments: (prospect, _args, ctx) => byProspect(ctx, deps, salesDocuments).load(prospect.id),
    },
    ResearchReport: {
      __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, researchReports).load(ref.id as string),
      prospect: (report, _args, ctx) => prospectOf(ctx, report.prospectId),
    },
    Demo: {
      __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, demos).load(ref.id as string),
      prospect: (demo, _args, ctx) => prospectOf(ctx, demo.prospectId),
      researchReport: async (demo, _args, ctx) => {
        const report = await loaderOf(ctx, deps.store, researchReports).load(demo.researchReportId);
        if (!report) throw notFound('ResearchReport');
        return report;
      },
      tools: (demo) => demo.tools.map((tool) => ({ ...tool, provenance: demo.provenance })),
      mockData: (demo) => demo.mockData.map((record) => ({ entity: record.entity, fields: record.fields.map((f) => ({ ...f, provenance: demo.provenance })), provenance: demo.provenance })),
    },
    SalesDocument: {
      __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, salesDocuments).load(ref.id as string),
      prospect: (doc, _args, ctx) => prospectOf(ctx, doc.prospectId),
      sections: (doc) => doc.sections.map((section) => ({ ...section, provenance: doc.provenance })),
      pricing: (doc) =>
        doc.pricing ? { ...doc.pricing, lines: doc.pricing.lines.map((line) => ({ ...line, provenance: doc.provenance })), provenance: doc.provenance } : null,
    },
    BillingSubscription: {
      __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, billingSubscriptions).load(ref.id as string),
      status: (sub) => effectiveStatus(sub, new Date()),
    },
  };
};
