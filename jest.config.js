/** Two suites: `unit` (npm test, no host needed) and `host` (npm run test:host, brings up a real Debian host). */
const base = {
  preset: "ts-jest",
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.test.json", diagnostics: false }] },
};
module.exports = {
  reporters: ["default", "<rootDir>/test/support/summary-reporter.js"],
  projects: [
    { ...base, displayName: "unit", testMatch: ["<rootDir>/test/**/*.test.ts"], testPathIgnorePatterns: ["<rootDir>/test/host/"] },
    { ...base, displayName: "host", testMatch: ["<rootDir>/test/host/**/*.test.ts"] },
  ],
};
