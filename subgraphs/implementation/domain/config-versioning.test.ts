import { assessRisk, deploymentBlocker, diffDocuments, previousEnvironment, waiveForKnownGood } from './config-versioning.ts';

describe('structural diff', () => {
  it('lists added, removed and changed paths through objects and arrays', () => {
    const before = { model: 'gpt-4', tools: [{ name: 'a', enabled: true }, { name: 'b', enabled: true }], voice: { speed: 1 }, old: 1 };
    const after = { model: 'gpt-4', tools: [{ name: 'a', enabled: false }], voice: { speed: 1.2 }, kpis: [] };
    expect(diffDocuments(before, after)).toEqual([
      { path: 'kpis', kind: 'ADDED', before: null, after: '[]' },
      { path: 'old', kind: 'REMOVED', before: '1', after: null },
      { path: 'tools[0].enabled', kind: 'CHANGED', before: 'true', after: 'false' },
      { path: 'tools[1]', kind: 'REMOVED', before: '{"enabled":true,"name":"b"}', after: null },
      { path: 'voice.speed', kind: 'CHANGED', before: '1', after: '1.2' },
    ]);
    expect(diffDocuments({ a: [1] }, { a: [1] })).toEqual([]);
    expect(diffDocuments(1, 2)).toEqual([{ path: '(document)', kind: 'CHANGED', before: '1', after: '2' }]);
  });
});

describe('change risk', () => {
  it('rates prompt/model changes HIGH, tools MEDIUM, content LOW', () => {
    expect(assessRisk(diffDocuments({ systemPrompt: 'a' }, { systemPrompt: 'b' }))).toMatchObject({ level: 'HIGH', requiresApproval: true });
    expect(assessRisk(diffDocuments({ model: 'gpt-4' }, { model: 'claude-3-opus' })).level).toBe('HIGH');
    expect(assessRisk(diffDocuments({ tools: [] }, { tools: [{ name: 'x' }] }))).toMatchObject({ level: 'MEDIUM', requiresApproval: false, reasons: ['tools changed.'] });
    expect(assessRisk(diffDocuments({ kpis: [1], tools: [] }, { kpis: [2], tools: [] }))).toEqual({ level: 'LOW', reasons: ['kpis changed.'], requiresApproval: false });
    expect(assessRisk(diffDocuments({ escalationRules: [1] }, { escalationRules: [] })).level).toBe('HIGH');
    expect(assessRisk(diffDocuments({ escalationRules: [] }, { escalationRules: [1] })).level).toBe('MEDIUM');
    expect(assessRisk([], true)).toEqual({ level: 'LOW', reasons: ['Initial version: nothing deployed to change.'], requiresApproval: false });
    expect(assessRisk([])).toEqual({ level: 'LOW', reasons: ['No changes.'], requiresApproval: false });
  });

  it('waives approval for known-good content and keeps the level', () => {
    const waived = waiveForKnownGood(assessRisk(diffDocuments({ model: 'a' }, { model: 'b' })));
    expect(waived.level).toBe('HIGH');
    expect(waived.requiresApproval).toBe(false);
    expect(waived.reasons.at(-1)).toContain('approval waived');
  });
});

describe('deployment promotion', () => {
  const base = { digest: 'd1', approvalStatus: 'NOT_REQUIRED' as const, deployedDigests: [] };
  it('goes DEV → STAGING → PRODUCTION by content', () => {
    expect(previousEnvironment('DEV')).toBeNull();
    expect(deploymentBlocker({ ...base, environment: 'DEV' })).toBeNull();
    expect(deploymentBlocker({ ...base, environment: 'STAGING' })).toContain('not been deployed to DEV');
    expect(deploymentBlocker({ ...base, environment: 'STAGING', deployedDigests: [{ environment: 'DEV', digest: 'd1' }] })).toBeNull();
    expect(deploymentBlocker({ ...base, environment: 'PRODUCTION', deployedDigests: [{ environment: 'DEV', digest: 'd1' }] })).toContain('STAGING');
    expect(deploymentBlocker({ ...base, environment: 'PRODUCTION', deployedDigests: [{ environment: 'STAGING', digest: 'd2' }] })).toContain('STAGING');
  });
  it('blocks unapproved HIGH-risk versions everywhere', () => {
    expect(deploymentBlocker({ ...base, approvalStatus: 'PENDING', environment: 'DEV' })).toContain('not been approved');
    expect(deploymentBlocker({ ...base, approvalStatus: 'APPROVED', environment: 'DEV' })).toBeNull();
  });
});
