import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const serverSrc = (path: string) => fileURLToPath(new URL(`../server/src/${path}`, import.meta.url));

/**
 * The conformance suite against the in-process reference gateway, built from the server's sources
 * instead of its dist: what `npm run mutation` (StrykerJS) runs against every mutant of
 * packages/server/src. Not part of `npm test`.
 */
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@agent-gateway\/server$/, replacement: serverSrc('index.ts') },
      { find: /^@agent-gateway\/server\/testing$/, replacement: serverSrc('testing/index.ts') },
      { find: /^@agent-gateway\/server\/redis$/, replacement: serverSrc('redis/index.ts') },
    ],
  },
  test: {
    include: ['test/reference.test.ts', 'test/principals.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
