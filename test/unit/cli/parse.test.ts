import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerParse } from '../../../cli/parse.ts';
import { revokerInProcess } from '../../fixtures/cli.ts';

const revoker = (...args: string[]) => revokerInProcess([registerParse], ...args);

describe('revoker parse, on files it cannot read', () => {
  it('names each damaged file where it lists the rejections, and exits 2 when nothing could be read', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'revoker-garbage-'));
    writeFileSync(join(directory, 'a.json.gz'), Buffer.from([0x07, 0x41, 0x9c, 0xe2, 0x10]));
    writeFileSync(join(directory, 'b.json'), '{"Records": [');
    writeFileSync(join(directory, 'README'), 'not CloudTrail, and not named as if it were');

    const outcome = await revoker('parse', directory);

    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toContain(`  ${join(directory, 'a.json.gz')} (whole file): not JSON`);
    expect(outcome.stdout).toMatch(
      new RegExp(`  ${join(directory, 'b.json')} \\(whole file\\): invalid JSON`),
    );
    expect(outcome.stdout).toMatch(/^files +3 \(1 skipped: not CloudTrail\)$/m);
    expect(outcome.stderr).toBe(
      'revoker: nothing could be read in 3 files: no CloudTrail record, EventBridge envelope or findings event\n',
    );
  });
});
