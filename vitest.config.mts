import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Generous: the machine may be loaded. Tests wait for states with
    // until() (src/test/wait.ts), whose own deadline comes first.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // A test that asserts nothing cannot fail: refuse it.
    expect: { requireAssertions: true },
    // vitest's summary, then every skipped test with its reason and a
    // closing line with the counts.
    reporters: ['default', './src/test/reporter.ts'],
    // Tests start real servers on real sockets; two cores, so few at once.
    maxWorkers: 2,
  },
});
