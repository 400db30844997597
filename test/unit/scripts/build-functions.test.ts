// The bundle budget `npm run package` enforces: a bundle over it fails the build, named with its
// size and what weighs most in it; bundles within it pass. And a bundle runs on its own, as in
// Lambda: IAM's catalogue (iam-data) finds its data files beside it, with no node_modules.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_BUDGET_BYTES,
  bundleOptions,
  overBudget,
  shipDataFiles,
  // @ts-expect-error: a plain .mjs build script, without type declarations.
} from '../../../scripts/build-functions.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

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

describe('a bundle using IAM’s catalogue', () => {
  // Outside the repository: no node_modules anywhere above, as in the Lambda task directory.
  const dir = mkdtempSync(join(tmpdir(), 'revoker-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the catalogue’s data files shipped beside it', async () => {
    // The operator's (and grant's, revoke's, verify's) first use of iam-data, bundled as they are.
    const outfile = join(dir, 'handler.mjs');
    const { metafile } = await build({
      ...bundleOptions(join(ROOT, 'lib', 'runbooks', 'iam-actions.ts'), outfile),
      sourcemap: false,
      logLevel: 'silent',
    });
    shipDataFiles(metafile, dir);
    const { iamActionFor } = await import(pathToFileURL(outfile).href);

    expect(await iamActionFor('s3.amazonaws.com', 'ListBuckets')).toBe('s3:ListAllMyBuckets');
    expect(await iamActionFor('lambda.amazonaws.com', 'ListFunctions20150331')).toBe('lambda:ListFunctions');
  });
});
