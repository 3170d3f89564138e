import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { systemScope } from '../../platform/context.ts';
import { newId } from '../../platform/ids.ts';
import { createTestSubgraph, principalFor, type TestSubgraph } from '../../platform/testing/harness.ts';
import { createPresalesSubgraph } from './index.ts';

const TENANT_A = newId();
const TENANT_B = newId();
const adminA = principalFor(TENANT_A, ['ADMIN']);
const memberA = principalFor(TENANT_A, ['MEMBER']);
const viewerA = principalFor(TENANT_A, ['VIEWER']);
const agentA = principalFor(TENANT_A, ['SALES_AGENT']);
const adminB = principalFor(TENANT_B, ['ADMIN']);

let t: TestSubgraph;

type Json = Record<string, unknown>;
type P = typeof adminA | null;
const ok = async (query: string, variables: Json = {}, principal: P = adminA): Promise<Json> => {
  const result = await t.run(query, variables, principal);
  if (result.errors?.length) throw new Error(JSON.stringify(result.errors));
  return result.data as Json;
};
const fails = async (query: string, variables: Json = {}, principal: P = adminA): Promise<Json> => {
  const result = await t.run(query, variables, principal);
  expect(result.errors?.length).toBeGreaterThan(0);
  return (result.errors?.[0].extensions ?? {}) as Json;
};
const events = async (tenantId: string, topic: string) => t.deps.store.outbox.since(systemScope(tenantId, 'test'), null, [topic], 200);

const CREATE = `mutation($input: CreateProspectInput!) { createProspect(input: $input) { id companyName website businessType stage allowedNextStages contactEmail provenance { method } } }`;
const RESEARCH = `mutation($input: RunResearchInput!) {
  runResearch(input: $input) {
    id description industry industryConfidence employeeCount sizeBand fundingUsd techStack sourceLength
    painPoints { kind text confidence signals provenance { method model explanation } }
    automationOpportunities { kind text confidence provenance { method model } }
    prospect { id stage industry employeeCount }
    provenance { method model modelVersion confidence inputsDigest explanation }
  }
}`;
const DEMO = `mutation($input: GenerateDemoInput!) { generateDemo(input: $input) { id status productType industry tools { name provenance { method } } mockData { entity fields { key value } } script prospect { stage } researchReport { id } provenance { method } } }`;
const APPROVE = `mutation($id: ID!) { approveDemo(id: $id) { id status approvedAt } }`;
const NDA = `mutation($input: GenerateNdaInput!) { generateNda(input: $input) { id kind title businessType signatureStatus sections { code heading provenance { method } } pricing { totalCents } } }`;
const PROPOSAL = `mutation($input: GenerateProposalInput!) {
  generateProposal(input: $input) {
    id kind title signatureStatus prospect { stage }
    sections { code body }
    pricing { volume subtotalCents platformFeeCents totalCents effectiveUnitPriceCents lines { from to unitPriceCents units amountCents provenance { method } } provenance { method } }
  }
}`;
const SEND = `mutation($input: SendSalesDocumentInput!) { sendSalesDocument(input: $input) { id signatureStatus expiresAt signatureEvents { status at } } }`;
const SIGN = `mutation($input: RecordSignatureEventInput!) { recordSignatureEvent(input: $input) { id signatureStatus signatureEvents { status provenance { method } } prospect { id stage } } }`;
const START = `mutation($input: StartSubscriptionInput!) { startSubscription(input: $input) { id plan status seats monthlyAmountCents trialEndsAt failedPaymentAttempts provenance { method } } }`;
const PAY = `mutation($input: RecordPaymentAttemptInput!) { recordPaymentAttempt(input: $input) { id status failedPaymentAttempts nextPaymentRetryAt canceledAt provenance { method explanation } } }`;

const SOURCE = [
  'Bright Smile Dental is a family dental clinic in Austin caring for over 2,000 patients.',
  'Our team of 35 dentists and staff offers cleanings and implants.',
  'Book an appointment online or call us at 512-555-0100. Office hours: Monday to Friday, 9am to 5pm.',
  'We use Zendesk for patient questions. In 2024 we raised $2.5 million in a seed round.',
  'Pain points: long hold times; missed calls after hours',
  'Automation opportunities: automated appointment reminders',
].join('\n');

let prospectId = '';
let reportId = '';
let demoId = '';
let ndaId = '';
let proposalId = '';
let subscriptionId = '';

beforeAll(async () => {
  t = await createTestSubgraph('presales', createPresalesSubgraph);
});
afterAll(async () => {
  await t.close();
});

describe('prospects', () => {
  it('creates a prospect in NEW and emits prospect.created', async () => {
    const data = await ok(CREATE, { input: { companyName: 'Bright Smile Dental', website: 'brightsmile.example.com', businessType: 'HEALTHCARE', contactEmail: 'Owner@BrightSmile.example.com' } }, agentA);
    const p = data.createProspect as Json;
    expect(p).toMatchObject({ companyName: 'Bright Smile Dental', website: 'https://brightsmile.example.com', businessType: 'HEALTHCARE', stage: 'NEW', allowedNextStages: ['RESEARCHED', 'LOST'], contactEmail: 'owner@brightsmile.example.com', provenance: { method: 'HUMAN' } });
    prospectId = p.id as string;
    const created = (await events(TENANT_A, 'research_events')).filter((e) => e.type === 'prospect.created');
    expect(created.map((e) => e.subject)).toEqual([{ typename: 'Prospect', id: prospectId }]);
  });

  it('reports input errors with the field', async () => {
    const ext = await fails(CREATE, { input: { companyName: 'Acme', contactEmail: 'not-an-email' } });
    expect(ext).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.contactEmail' });
    expect(await fails(CREATE, { input: { companyName: 'A' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.companyName' });
  });

  it('lists prospects as a connection with a stage filter and pages', async () => {
    await ok(CREATE, { input: { companyName: 'Second Co' } });
    await ok(CREATE, { input: { companyName: 'Third Co' } });
    const all = await ok(`{ prospects(first: 2) { totalCount edges { cursor node { companyName } } pageInfo { hasNextPage endCursor } } }`);
    const page = all.prospects as { totalCount: number; edges: Array<{ node: { companyName: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
    expect(page.totalCount).toBe(3);
    expect(page.edges.map((e) => e.node.companyName)).toEqual(['Third Co', 'Second Co']);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = await ok(`query($after: String) { prospects(first: 2, after: $after) { edges { node { companyName } } pageInfo { hasNextPage } } }`, { after: page.pageInfo.endCursor });
    expect(next.prospects).toEqual({ edges: [{ node: { companyName: 'Bright Smile Dental' } }], pageInfo: { hasNextPage: false } });
    const filtered = await ok(`{ prospects(stage: RESEARCHED) { totalCount } }`);
    expect(filtered.prospects).toEqual({ totalCount: 0 });
  });

  it('validates stage moves', async () => {
    const [second] = ((await ok(`{ prospects(first: 1) { edges { node { id } } } }`)).prospects as { edges: Array<{ node: { id: string } }> }).edges.map((e) => e.node);
    expect(await fails(`mutation($id: ID!) { updateProspectStage(id: $id, stage: WON) { id } }`, { id: second.id })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'stage' });
    const lost = await ok(`mutation($id: ID!) { updateProspectStage(id: $id, stage: LOST) { stage allowedNextStages } }`, { id: second.id });
    expect(lost.updateProspectStage).toEqual({ stage: 'LOST', allowedNextStages: [] });
    const changed = (await events(TENANT_A, 'research_events')).filter((e) => e.type === 'prospect.stage_changed');
    expect(changed.at(-1)?.payload).toEqual({ from: 'NEW', to: 'LOST' });
  });
});

describe('research', () => {
  it('refuses too little source text', async () => {
    expect(await fails(RESEARCH, { input: { prospectId, sourceText: 'too short' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.sourceText' });
  });

  it('produces a report from rules and the language model, moves the prospect to RESEARCHED and emits research.completed', async () => {
    const data = await ok(RESEARCH, { input: { prospectId, sourceText: SOURCE } }, agentA);
    const r = data.runResearch as Json & { painPoints: Json[]; automationOpportunities: Json[]; provenance: Json };
    reportId = r.id as string;
    expect(r).toMatchObject({ industry: 'HEALTHCARE', industryConfidence: 1, employeeCount: 35, sizeBand: 'SMALL', fundingUsd: 2_500_000, techStack: ['Zendesk'], sourceLength: SOURCE.length });
    expect(r.prospect).toEqual({ id: prospectId, stage: 'RESEARCHED', industry: 'Healthcare', employeeCount: 35 });
    expect((r.description as string).length).toBeGreaterThan(20);
    // Offline, the local model answers: provenance says RULE with model mesh-local (never a fake LLM claim).
    expect(r.provenance).toMatchObject({ method: 'RULE', model: 'mesh-local', modelVersion: '1' });
    expect(r.provenance.inputsDigest).toMatch(/^[0-9a-f]{64}$/);
    const texts = r.painPoints.map((f) => f.text);
    expect(texts).toContain('Appointments and bookings are arranged by hand');
    expect(texts).toContain('long hold times');
    expect(texts).toContain('missed calls after hours');
    const modelFinding = r.painPoints.find((f) => f.text === 'long hold times') as Json;
    expect(modelFinding).toMatchObject({ kind: 'PAIN_POINT', signals: [], provenance: { method: 'RULE', model: 'mesh-local' } });
    const ruleFinding = r.painPoints.find((f) => f.text === 'Appointments and bookings are arranged by hand') as Json;
    // One signal word ("appointment" in both the page and the model-lines) → 0.5 + 0.1 = 0.6.
    expect(ruleFinding).toMatchObject({ confidence: 0.6, signals: ['appointment'], provenance: { method: 'RULE', model: null } });
    expect(r.automationOpportunities.map((f) => f.text)).toContain('automated appointment reminders');
    const completed = (await events(TENANT_A, 'research_events')).filter((e) => e.type === 'research.completed');
    expect(completed.map((e) => e.subject)).toEqual([{ typename: 'ResearchReport', id: reportId }]);
  });

  it('reads the report and the prospect with its latest research', async () => {
    const data = await ok(`query($id: ID!, $p: ID!) { researchReport(id: $id) { id industry } prospect(id: $p) { latestResearch { id } stage } }`, { id: reportId, p: prospectId }, viewerA);
    expect(data).toEqual({ researchReport: { id: reportId, industry: 'HEALTHCARE' }, prospect: { latestResearch: { id: reportId }, stage: 'RESEARCHED' } });
  });
});

describe('demos and sales documents', () => {
  it('refuses a proposal before a demo', async () => {
    expect(await fails(PROPOSAL, { input: { prospectId, monthlyVolume: 5000 } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.prospectId' });
  });

  it('generates and approves a demo with industry tools', async () => {
    const data = await ok(DEMO, { input: { prospectId, productType: 'CHATBOT' } });
    const d = data.generateDemo as Json & { tools: Array<{ name: string }>; script: string[] };
    demoId = d.id as string;
    expect(d).toMatchObject({ status: 'GENERATED', productType: 'CHATBOT', industry: 'HEALTHCARE', prospect: { stage: 'DEMO' }, researchReport: { id: reportId }, provenance: { method: 'RULE' } });
    expect(d.tools.map((tool) => tool.name)).toEqual(['find_appointment_slots', 'book_appointment', 'check_insurance']);
    expect(d.script[0]).toContain('Bright Smile Dental');
    const approved = await ok(APPROVE, { id: demoId });
    expect(approved.approveDemo).toMatchObject({ id: demoId, status: 'APPROVED' });
    expect(await fails(APPROVE, { id: demoId })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const types = (await events(TENANT_A, 'demo_events')).map((e) => e.type);
    expect(types).toEqual(['demo.generated', 'demo.approved']);
  });

  it('generates an NDA with the healthcare clauses', async () => {
    const data = await ok(NDA, { input: { prospectId } });
    const nda = data.generateNda as Json & { sections: Array<{ code: string }> };
    ndaId = nda.id as string;
    expect(nda).toMatchObject({ kind: 'NDA', businessType: 'HEALTHCARE', signatureStatus: 'DRAFT', pricing: null, title: 'Mutual Non-Disclosure Agreement — Bright Smile Dental' });
    expect(nda.sections.map((s) => s.code)).toEqual(['nda.parties', 'nda.definition', 'nda.obligations', 'nda.term', 'nda.hipaa', 'nda.breach_notice', 'nda.law']);
    const finance = await ok(NDA, { input: { prospectId, businessType: 'FINANCE' } });
    expect((finance.generateNda as { sections: Array<{ code: string }> }).sections.map((s) => s.code)).toContain('nda.glba');
  });

  it('generates a proposal with graduated pricing and moves the prospect to PROPOSAL', async () => {
    const data = await ok(PROPOSAL, { input: { prospectId, monthlyVolume: 5000 } });
    const p = data.generateProposal as Json & { pricing: Json & { lines: Json[] }; sections: Array<{ code: string; body: string }> };
    proposalId = p.id as string;
    // 1000 × 50¢ + 4000 × 35¢ = 190,000¢; + chatbot fee 49,900¢ = 239,900¢; 239,900 / 5000 = 47.98 → 48.0
    expect(p.pricing).toMatchObject({ volume: 5000, subtotalCents: 190_000, platformFeeCents: 49_900, totalCents: 239_900, effectiveUnitPriceCents: 48, provenance: { method: 'RULE' } });
    expect(p.pricing.lines.map((l) => [l.from, l.to, l.units, l.amountCents])).toEqual([[1, 1000, 1000, 50_000], [1001, 10_000, 4000, 140_000]]);
    expect(p.prospect).toEqual({ stage: 'PROPOSAL' });
    expect(p.sections.map((s) => s.code)).toEqual(['proposal.summary', 'proposal.pain_points', 'proposal.solution', 'proposal.demo', 'proposal.pricing', 'proposal.terms']);
    expect(p.sections.find((s) => s.code === 'proposal.pricing')?.body).toContain('Total: $2,399.00 per month for 5,000 conversations');
    expect(await fails(PROPOSAL, { input: { prospectId, monthlyVolume: -1 } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.monthlyVolume' });
  });

  it('tracks e-signature: only sent documents can be signed; a signed proposal wins the prospect', async () => {
    expect(await fails(SIGN, { input: { documentId: ndaId, status: 'SIGNED' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.status' });
    expect(await fails(SIGN, { input: { documentId: ndaId, status: 'SENT' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.status' });
    const sent = (await ok(SEND, { input: { documentId: proposalId, expiresInDays: 7 } })).sendSalesDocument as Json;
    expect(sent.signatureStatus).toBe('SENT');
    expect(Date.parse(sent.expiresAt as string) - Date.now()).toBeGreaterThan(6 * 86_400_000);
    expect(await fails(SEND, { input: { documentId: proposalId } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.documentId' });
    const opened = (await ok(SIGN, { input: { documentId: proposalId, status: 'OPENED' } })).recordSignatureEvent as Json;
    expect(opened).toMatchObject({ signatureStatus: 'OPENED', prospect: { stage: 'PROPOSAL' } });
    const signed = (await ok(SIGN, { input: { documentId: proposalId, status: 'SIGNED' } })).recordSignatureEvent as Json;
    expect(signed).toMatchObject({ signatureStatus: 'SIGNED', prospect: { id: prospectId, stage: 'WON' } });
    expect((signed.signatureEvents as Array<{ status: string }>).map((e) => e.status)).toEqual(['SENT', 'OPENED', 'SIGNED']);
    const types = (await events(TENANT_A, 'sales_doc_events')).filter((e) => e.subject.id === proposalId).map((e) => e.type);
    expect(types).toEqual(['sales_doc.generated', 'sales_doc.sent', 'sales_doc.opened', 'sales_doc.signed']);
    expect(await fails(`mutation($input: GenerateNdaInput!) { generateNda(input: $input) { id } }`, { input: { prospectId } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.prospectId' });
  });

  it('lists sales documents of a prospect, newest first', async () => {
    const data = await ok(`query($p: ID!) { salesDocuments(prospectId: $p) { id kind } prospect(id: $p) { demos { id } salesDocuments { id } } }`, { p: prospectId });
    const docs = data.salesDocuments as Array<{ id: string; kind: string }>;
    expect(docs.map((d) => d.kind)).toEqual(['PROPOSAL', 'NDA', 'NDA']);
    expect(docs[0].id).toBe(proposalId);
    expect(data.prospect).toEqual({ demos: [{ id: demoId }], salesDocuments: docs.map((d) => ({ id: d.id })) });
  });
});

describe('billing', () => {
  it('starts a trial, refuses a second open subscription, and shows it on the organization', async () => {
    expect(await ok(`{ subscription { id } }`)).toEqual({ subscription: null });
    expect(await fails(START, { input: { plan: 'FREE', seats: 4 } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.seats' });
    const sub = (await ok(START, { input: { plan: 'PRO', seats: 5 } })).startSubscription as Json;
    subscriptionId = sub.id as string;
    expect(sub).toMatchObject({ plan: 'PRO', status: 'TRIALING', seats: 5, monthlyAmountCents: 24_500, failedPaymentAttempts: 0, provenance: { method: 'HUMAN' } });
    expect(await fails(START, { input: { plan: 'PRO', seats: 5 } })).toMatchObject({ code: 'ALREADY_EXISTS' });
    const viaOrg = await ok(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { id subscription { id plan } } } }`, { r: [{ __typename: 'Organization', id: TENANT_A }] }, viewerA);
    expect(viaOrg._entities).toEqual([{ id: TENANT_A, subscription: { id: subscriptionId, plan: 'PRO' } }]);
  });

  it('runs dunning: failures go PAST_DUE, a success recovers, three failures in a row cancel', async () => {
    const first = (await ok(PAY, { input: { succeeded: false, failureReason: 'card_declined' } })).recordPaymentAttempt as Json;
    expect(first).toMatchObject({ status: 'PAST_DUE', failedPaymentAttempts: 1 });
    expect(first.nextPaymentRetryAt).not.toBeNull();
    const recovered = (await ok(PAY, { input: { succeeded: true } })).recordPaymentAttempt as Json;
    expect(recovered).toMatchObject({ status: 'ACTIVE', failedPaymentAttempts: 0, nextPaymentRetryAt: null });
    await ok(PAY, { input: { succeeded: false } });
    await ok(PAY, { input: { succeeded: false } });
    const canceled = (await ok(PAY, { input: { succeeded: false } })).recordPaymentAttempt as Json;
    expect(canceled).toMatchObject({ status: 'CANCELED', failedPaymentAttempts: 3 });
    expect(canceled.canceledAt).not.toBeNull();
    expect(await fails(PAY, { input: { succeeded: true } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.succeeded' });
    const types = (await events(TENANT_A, 'billing_events')).map((e) => e.type);
    expect(types).toEqual(['billing.subscription_started', 'billing.payment_failed', 'billing.payment_succeeded', 'billing.payment_failed', 'billing.payment_failed', 'billing.subscription_canceled']);
  });

  it('restarts after cancellation and changes plan', async () => {
    const restarted = (await ok(START, { input: { plan: 'ENTERPRISE', seats: 4 } })).startSubscription as Json;
    expect(restarted).toMatchObject({ id: subscriptionId, plan: 'ENTERPRISE', status: 'TRIALING', monthlyAmountCents: 89_000, failedPaymentAttempts: 0 });
    const changed = await ok(`mutation { changeSubscription(input: { seats: 20 }) { plan seats monthlyAmountCents } }`);
    expect(changed.changeSubscription).toEqual({ plan: 'ENTERPRISE', seats: 20, monthlyAmountCents: 178_000 });
    expect(await fails(`mutation { changeSubscription(input: {}) { id } }`)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input' });
    const canceled = await ok(`mutation { cancelSubscription { status } }`);
    expect(canceled.cancelSubscription).toEqual({ status: 'CANCELED' });
  });
});

describe('authorization and tenant isolation', () => {
  it('requires authentication and the right scopes', async () => {
    expect(await fails(`{ prospects { totalCount } }`, {}, null)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await fails(CREATE, { input: { companyName: 'Viewer Co' } }, viewerA)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await fails(START, { input: { plan: 'PRO', seats: 1 } }, memberA)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await fails(`mutation { cancelSubscription { id } }`, {}, viewerA)).toMatchObject({ code: 'FORBIDDEN' });
  });

  it("hides tenant A's objects from tenant B", async () => {
    const reads = await ok(`query($p: ID!, $r: ID!, $d: ID!) { prospect(id: $p) { id } researchReport(id: $r) { id } demo(id: $d) { id } subscription { id } }`, { p: prospectId, r: reportId, d: demoId }, adminB);
    expect(reads).toEqual({ prospect: null, researchReport: null, demo: null, subscription: null });
    expect(await fails(`query($p: ID!) { salesDocuments(prospectId: $p) { id } }`, { p: prospectId }, adminB)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await fails(RESEARCH, { input: { prospectId, sourceText: SOURCE } }, adminB)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await fails(SIGN, { input: { documentId: ndaId, status: 'OPENED' } }, adminB)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await fails(APPROVE, { id: demoId }, adminB)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await fails(`mutation($id: ID!) { updateProspectStage(id: $id, stage: LOST) { id } }`, { id: prospectId }, adminB)).toMatchObject({ code: 'NOT_FOUND' });
    const entities = await ok(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Prospect { id } ... on BillingSubscription { id } ... on Organization { id subscription { id } } } }`,
      { r: [{ __typename: 'Prospect', id: prospectId }, { __typename: 'BillingSubscription', id: subscriptionId }, { __typename: 'Organization', id: TENANT_A }] },
      adminB,
    );
    expect(entities._entities).toEqual([null, null, { id: TENANT_A, subscription: null }]);
    expect(await events(TENANT_B, 'research_events')).toEqual([]);
  });
});

describe('_entities', () => {
  it('resolves several representations of each type in order', async () => {
    const [other] = ((await ok(`{ prospects(first: 1) { edges { node { id } } } }`)).prospects as { edges: Array<{ node: { id: string } }> }).edges.map((e) => e.node);
    const data = await ok(
      `query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Prospect { id companyName }
        ... on ResearchReport { id industry }
        ... on Demo { id status }
        ... on SalesDocument { id kind }
        ... on BillingSubscription { id plan }
      } }`,
      {
        r: [
          { __typename: 'Prospect', id: prospectId },
          { __typename: 'Prospect', id: other.id },
          { __typename: 'ResearchReport', id: reportId },
          { __typename: 'Demo', id: demoId },
          { __typename: 'SalesDocument', id: ndaId },
          { __typename: 'SalesDocument', id: proposalId },
          { __typename: 'BillingSubscription', id: subscriptionId },
          { __typename: 'Prospect', id: newId() },
        ],
      },
    );
    expect(data._entities).toEqual([
      { id: prospectId, companyName: 'Bright Smile Dental' },
      { id: other.id, companyName: 'Third Co' },
      { id: reportId, industry: 'HEALTHCARE' },
      { id: demoId, status: 'APPROVED' },
      { id: ndaId, kind: 'NDA' },
      { id: proposalId, kind: 'PROPOSAL' },
      { id: subscriptionId, plan: 'ENTERPRISE' },
      null,
    ]);
  });
});

describe('org.created consumer', () => {
  const TENANT_C = newId();
  const adminC = principalFor(TENANT_C, ['ADMIN']);
  const orgCreated = (plan: string) =>
    t.deps.store.transaction(systemScope(TENANT_C, 'test provisioning'), { action: 'identity.createOrganization', actor: { id: 'test', kind: 'system' }, correlationId: 'test-org' }, (tx) =>
      tx.emit({ type: 'org.created', topic: 'org_events', subject: { typename: 'Organization', id: TENANT_C }, payload: { name: 'Gamma', slug: 'gamma', plan } }, t.deps.provenance.build({ method: 'HUMAN', inputs: { plan }, explanation: 'test' }, 'test-org')),
    );

  it('provisions the new organization a subscription on its plan, once', async () => {
    await orgCreated('PRO');
    await t.flush();
    const data = await ok(`{ subscription { plan status seats monthlyAmountCents trialEndsAt provenance { method } } }`, {}, adminC);
    expect(data.subscription).toMatchObject({ plan: 'PRO', status: 'TRIALING', seats: 1, monthlyAmountCents: 4_900, provenance: { method: 'SYSTEM' } });
    // A second org.created for the same tenant does not create or replace anything.
    await orgCreated('ENTERPRISE');
    await t.flush();
    const again = await ok(`{ subscription { plan } }`, {}, adminC);
    expect(again.subscription).toEqual({ plan: 'PRO' });
    const started = (await events(TENANT_C, 'billing_events')).filter((e) => e.type === 'billing.subscription_started');
    expect(started).toHaveLength(1);
    expect(await ok(`{ subscription { id } }`, {}, adminB)).toEqual({ subscription: null });
  });
});
