// The bundle budget `npm run package` enforces: a bundle over it fails the build, named with its
// size and what weighs most in it; bundles within it pass.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, without type declarations.
import { BUNDLE_BUDGET_BYTES, overBudget } from '../../../scripts/build-functions.mjs';

describe('the bundle budget', () => {
  it('names each bundle over it, with its size and its heaviest parts', () => {
    const failures = overBudget([
      { name: 'close', bytes: 188_900 },
      {
        name: 'operator',
        bytes: 302_100,
        heaviest: [
          { name: 'zod', bytes: 99_700 },
          { name: 'lib/domain', bytes: 86_900 },
        ],
      },
    ]);

    expect(failures).toEqual([
      'operator: 302.1 KB is over its budget of 300.0 KB (heaviest: zod 99.7 KB, lib/domain 86.9 KB)',
    ]);
  });

  it('passes bundles within it, up to the byte', () => {
    expect(overBudget([{ name: 'close', bytes: BUNDLE_BUDGET_BYTES }])).toEqual([]);
    expect(overBudget([{ name: 'close', bytes: BUNDLE_BUDGET_BYTES + 1 }])).toHaveLength(1);
  });

  it('is the issue’s 300 KB', () => {
    expect(BUNDLE_BUDGET_BYTES).toBe(300_000);
  });
});
