/** Jest in ESM mode with ts-jest: the same .ts files that `node file.ts` runs. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, diagnostics: false }] },
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/testbed/', '/.data/', '/test/long/'],
  testTimeout: 30000,
  maxWorkers: 2,
};
