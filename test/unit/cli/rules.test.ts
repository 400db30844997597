// `revoker replay` over files it cannot read: each named on stderr, and exit 2 when nothing could be read.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { registerRules } from '../../../cli/rules.ts';
import type { ReplayResult } from '../../../lib/usecases/replay.ts';
import { revokerInProcess } from '../../fixtures/cli.ts';
import { awsDocsRecords } from '../../fixtures/records.ts';

const revoker = (...args: string[]) => revokerInProcess([registerRules], ...args);

/** A directory of `.json.gz` files none of which holds CloudTrail: noise, a bad gzip, plain text. */
function garbage(): string {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-garbage-'));
  writeFileSync(join(directory, 'a.json.gz'), Buffer.from([0x07, 0x41, 0x9c, 0xe2, 0x10]));
  writeFileSync(join(directory, 'b.json.gz'), Buffer.from([0x1f, 0x8b, 0x20, 0x67, 0x61]));
  writeFileSync(join(directory, 'c.json.gz'), gzipSync('not json at all'));
  return directory;
}

describe('revoker replay, on files it cannot read', () => {
  it('names each file and why, and exits 2 when nothing could be read', async () => {
    const directory = garbage();

    const told = await revoker('replay', directory);
    const json = await revoker('replay', directory, '--json');

    expect(told.code).toBe(2);
    expect(told.stdout).toMatch(/^0 records read; 0 cases would open\./);
    expect(told.stderr.split('\n')).toEqual([
      `revoker: nothing usable in ${join(directory, 'a.json.gz')}: not JSON`,
      `revoker: nothing usable in ${join(directory, 'b.json.gz')}: unreadable file: unknown compression method`,
      `revoker: nothing usable in ${join(directory, 'c.json.gz')}: not JSON`,
      'revoker: nothing could be read in 3 files',
      '',
    ]);
    // The JSON stays one document on stdout; the names go to stderr.
    expect(json.code).toBe(2);
    expect((JSON.parse(json.stdout) as ReplayResult).unreadable).toBe(3);
  });

  it('reads what it can beside a damaged file, names the damaged one, and exits 0', async () => {
    const directory = garbage();
    writeFileSync(join(directory, 'records.json'), JSON.stringify({ Records: awsDocsRecords() }));

    const told = await revoker('replay', directory);

    expect(told.code).toBe(0);
    expect(told.stdout).toMatch(new RegExp(`^${awsDocsRecords().length} records read;`));
    expect(told.stderr).toContain(
      `revoker: nothing usable in ${join(directory, 'b.json.gz')}: unreadable file`,
    );
    expect(told.stderr).not.toContain('records.json');
  });

  it('says so when there is nothing to read at all', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'revoker-empty-'));

    expect(await revoker('replay', empty)).toMatchObject({
      code: 2,
      stderr: `revoker: no records under ${empty}\n`,
    });
  });
});
