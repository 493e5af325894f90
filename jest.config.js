/** Two suites: `unit` (npm test, no host needed) and `host` (npm run test:host, brings up a real Debian host). */
const base = {
  testEnvironment: "node",
  // The same transpiler as `pulumi up` (scripts/transpile.js); types are checked by tsc in `npm test`.
  transform: { "^.+\\.ts$": "<rootDir>/test/support/jest-transform.js" },
  moduleFileExtensions: ["ts", "js", "json", "node"],
  setupFiles: ["<rootDir>/test/support/stack-limit.js"],
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
