/** Two suites: `unit` (npm test, no host needed) and `host` (npm run test:host, brings up a real Debian host). */
const base = {
  preset: "ts-jest",
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.test.json", diagnostics: false }] },
};
module.exports = {
  reporters: ["default", "<rootDir>/test/support/summary-reporter.js"],
  // Both cores of the CI machine: the suites are CPU-bound (program evaluations, provider serialization).
  maxWorkers: 2,
  projects: [
    { ...base, displayName: "unit", testMatch: ["<rootDir>/test/**/*.test.ts"], testPathIgnorePatterns: ["<rootDir>/test/host/"] },
    { ...base, displayName: "host", testMatch: ["<rootDir>/test/host/**/*.test.ts"] },
  ],
};
