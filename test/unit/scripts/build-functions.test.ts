// The bundle budget `npm run package` enforces: a bundle over it fails the build, named with its
// size and what weighs most in it; bundles within it pass.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, without type declarations.
import { BUNDLE_BUDGET_BYTES, overBudget } from '../../../scripts/build-functions.mjs';

describe('the bundle budget', () => {
  it('names each bundle over it, with its size and its heaviest parts', () => {
    const failures = overBudget([
      { name: 'close', bytes: 185 * 1024 },
      {
        name: 'operator',
        bytes: 310 * 1024,
        heaviest: [
          { name: 'zod', bytes: 97.5 * 1024 },
          { name: 'lib/domain', bytes: 85 * 1024 },
        ],
      },
    ]);

    expect(failures).toEqual([
      'operator: 310.0 KiB is over its budget of 300.0 KiB (heaviest: zod 97.5 KiB, lib/domain 85.0 KiB)',
    ]);
  });

  it('passes bundles within it, up to the byte', () => {
    expect(overBudget([{ name: 'close', bytes: BUNDLE_BUDGET_BYTES }])).toEqual([]);
    expect(overBudget([{ name: 'close', bytes: BUNDLE_BUDGET_BYTES + 1 }])).toHaveLength(1);
  });

  it('is the issue’s 300 KiB', () => {
    expect(BUNDLE_BUDGET_BYTES).toBe(307_200);
  });
});
