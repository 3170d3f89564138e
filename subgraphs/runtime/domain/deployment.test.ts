import { activeDeployment, parseDeployment } from './deployment.ts';

describe('config.deployed payloads', () => {
  it('reads config id, version, environment and runtime settings from the document', () => {
    expect(parseDeployment({ configId: 'cfg1', version: 3, environment: 'Production', document: { runtime: { escalationThreshold: 0.7, voice: { speed: 1.25, clarity: 0.8, style: 'friendly' } } } }, 'subj')).toEqual({
      configId: 'cfg1',
      version: '3',
      environment: 'production',
      escalationThreshold: 0.7,
      voiceSpeed: 1.25,
      voiceClarity: 0.8,
      voiceStyle: 'FRIENDLY',
    });
  });

  it('falls back to the subject id, production and defaults; ignores out-of-range values', () => {
    expect(parseDeployment({ version: '2.1', document: { escalationThreshold: 1.5, voice: { speed: 9, clarity: -1, style: 'SHOUTY' } } }, 'subj')).toEqual({
      configId: 'subj',
      version: '2.1',
      environment: 'production',
      escalationThreshold: 0.5,
      voiceSpeed: 1,
      voiceClarity: 0.75,
      voiceStyle: 'NEUTRAL',
    });
    expect(parseDeployment({ document: { escalationThreshold: 0.2 }, version: 1 }, null)).toBeNull();
    expect(parseDeployment({ configId: 'c' }, null)).toBeNull();
  });

  it('picks production first, else the latest deployment', () => {
    const staging = { environment: 'staging', deployedAt: '2026-11-23T12:00:00Z' };
    const prodOld = { environment: 'production', deployedAt: '2026-11-01T00:00:00Z' };
    const prodNew = { environment: 'production', deployedAt: '2026-11-02T00:00:00Z' };
    expect(activeDeployment([staging, prodOld, prodNew])).toBe(prodNew);
    expect(activeDeployment([staging])).toBe(staging);
    expect(activeDeployment([])).toBeNull();
  });
});
