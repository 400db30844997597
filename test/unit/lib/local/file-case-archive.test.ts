import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileCaseArchive } from '../../../../lib/local/file-case-archive.ts';

const object = (body: string) => ({
  key: 'ocsf/2026/01/15/case-1.json',
  body,
  contentType: 'application/json',
});

describe('FileCaseArchive', () => {
  it('writes each object once, at its key: a second write of the key leaves the first as it was', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'revoker-archive-'));
    const archive = new FileCaseArchive(directory);

    const first = await archive.put(object('first\n'));
    const again = await archive.put(object('second\n'));

    expect([first, again]).toEqual(['archived', 'already-archived']);
    expect(readFileSync(join(directory, 'ocsf/2026/01/15/case-1.json'), 'utf8')).toBe('first\n');
    // No temporary file is left beside it.
    expect(readdirSync(join(directory, 'ocsf/2026/01/15'))).toEqual(['case-1.json']);
  });

  it('refuses a key that leaves the archive directory', async () => {
    const archive = new FileCaseArchive(mkdtempSync(join(tmpdir(), 'revoker-archive-')));

    await expect(archive.put({ ...object('x'), key: '../outside.json' })).rejects.toThrow(/leaves/);
  });
});
