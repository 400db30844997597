import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles } from '../../../../lib/local/record-files.ts';
import { TreeListing } from '../../../../lib/local/tree-listing.ts';

/** Directories last changed long ago, so the listing trusts their times. */
function settle(...directories: string[]): void {
  const past = new Date(Date.now() - 60_000);
  for (const directory of directories) utimesSync(directory, past, past);
}

describe('TreeListing', () => {
  it('lists what listFiles lists, and again the same array while nothing changed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'revoker-tree-'));
    const day = join(root, 'a', 'b');
    mkdirSync(day, { recursive: true });
    writeFileSync(join(day, 'f1'), '');
    writeFileSync(join(root, 'top'), '');
    settle(root, join(root, 'a'), day);
    const listing = new TreeListing(root);

    const first = await listing.files();
    expect(first).toEqual(await listFiles([root]));
    expect(await listing.files()).toBe(first);
  });

  it('sees files added, removed and new directories in a directory it trusted', async () => {
    const root = mkdtempSync(join(tmpdir(), 'revoker-tree-'));
    const day = join(root, 'a', 'b');
    mkdirSync(day, { recursive: true });
    writeFileSync(join(day, 'f1'), '');
    settle(root, join(root, 'a'), day);
    const listing = new TreeListing(root);
    await listing.files();

    writeFileSync(join(day, 'f2'), '');
    expect(await listing.files()).toEqual([join(day, 'f1'), join(day, 'f2')]);
    settle(day);
    mkdirSync(join(root, 'a', 'c'));
    writeFileSync(join(root, 'a', 'c', 'f3'), '');
    expect(await listing.files()).toEqual(await listFiles([root]));
    rmSync(join(day, 'f1'));
    expect(await listing.files()).toEqual(await listFiles([root]));
  });

  it('reads a directory changed just before it was read again on the next refresh', async () => {
    // The clock of the file system may not move between two changes made in the same tick.
    const root = mkdtempSync(join(tmpdir(), 'revoker-tree-'));
    writeFileSync(join(root, 'f1'), '');
    const listing = new TreeListing(root);
    await listing.files();
    writeFileSync(join(root, 'f2'), '');
    const now = new Date();
    utimesSync(root, now, now);
    expect(await listing.files()).toEqual([join(root, 'f1'), join(root, 'f2')]);
  });
});
