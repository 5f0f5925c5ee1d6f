/**
 * `npm run test:faults` (after `npm run build`): the fault-injection suite in test/faults, which
 * drives the compiled app and workers as real processes. Not one of jest.config.js's projects
 * (their testMatch never names *.fault-spec.ts): it runs only when asked for, one file at a time.
 */
const { transform, moduleFileExtensions, moduleNameMapper, testEnvironment } =
  require('./jest.config.js').projects.find((project) => project.displayName === 'e2e');

module.exports = {
  displayName: 'faults',
  transform,
  moduleFileExtensions,
  moduleNameMapper,
  testEnvironment,
  testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
  // The scenarios share one private PostgreSQL and Redis, and load the machine on their own.
  maxWorkers: 1,
  // Each scenario sets its own limit; this one covers the setup hooks.
  testTimeout: 600000,
  slowTestThreshold: 120,
};
