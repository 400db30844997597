import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../../../lib/local/generator/generate.ts';
import { listFiles, summarizeFiles } from '../../../../lib/local/record-files.ts';

const options = {
  days: 1,
  events: 3000,
  accounts: 2,
  seed: 'test',
  scenarios: ['compromised-role-session' as const],
  end: new Date('2026-01-15T12:00:00Z'),
};

describe('generate', () => {
  it('writes exactly the requested events in the S3 layout, all of them parseable', async () => {
    const out = mkdtempSync(join(tmpdir(), 'revoker-gen-'));

    const result = generate({ ...options, out });
    const summary = await summarizeFiles([out]);

    expect(result.records).toBe(3000);
    expect(summary.parsed).toBe(3000);
    expect(summary.rejected).toBe(0);
    const files = (await listFiles([out])).filter((file) => file.endsWith('.json.gz'));
    for (const file of files)
      expect(file).toMatch(
        /AWSLogs\/\d{12}\/CloudTrail\/[a-z0-9-]+\/\d{4}\/\d{2}\/\d{2}\/\d{12}_CloudTrail_/,
      );
  });

  it('is byte-for-byte deterministic for a seed and end time', async () => {
    const [first, second] = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'revoker-gen-')));

    generate({ ...options, out: first! });
    generate({ ...options, out: second! });

    const relative = async (root: string) => (await listFiles([root])).map((file) => file.slice(root.length));
    expect(await relative(first!)).toEqual(await relative(second!));
    for (const file of await relative(first!)) {
      expect(readFileSync(join(first!, file)).equals(readFileSync(join(second!, file)))).toBe(true);
    }
  });

  it('injects the attack with its ground truth: the stolen session used from outside', async () => {
    const out = mkdtempSync(join(tmpdir(), 'revoker-gen-'));

    const { scenarios } = generate({ ...options, out });
    const summary = await summarizeFiles([out]);

    expect(scenarios).toHaveLength(1);
    expect(scenarios[0]).toMatchObject({ scenario: 'compromised-role-session', attackerIp: '198.51.100.23' });
    expect(summary.principalsByKind['assumed-role']).toBeGreaterThan(1000);
  });
});
