import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../../../lib/local/generator/generate.ts';
import { replayFiles, summarizeFiles } from '../../../../lib/local/record-files.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { SHARED_CLOUDTRAIL } from '../../../fixtures/paths.ts';

// The shared real-world data (rejections, notes, insights, findings, JSON Lines) and a generated
// day with attacks: what worker threads read must merge into exactly what one thread reads.
let generated: string;
beforeAll(() => {
  generated = mkdtempSync(join(tmpdir(), 'revoker-workers-'));
  generate({
    out: generated,
    days: 1,
    events: 4000,
    accounts: 2,
    seed: 'workers',
    scenarios: ['compromised-role-session', 'escalating-attack'],
    end: new Date('2026-01-15T12:00:00Z'),
  });
});

describe('parse and replay on worker threads', () => {
  it('summarise the files as one thread does, every list in the same order', async () => {
    const paths = [SHARED_CLOUDTRAIL, generated];
    const single = await summarizeFiles(paths, { workers: 0 });
    const spread = await summarizeFiles(paths, { workers: 3 });

    expect(single.rejections.length).toBeGreaterThan(0);
    expect(JSON.stringify(spread)).toBe(JSON.stringify(single));
  });

  it('replay the files into the same cases, raises and refusals as one thread does', async () => {
    const config = await shippedConfig();
    const paths = [SHARED_CLOUDTRAIL, generated];
    const single = await replayFiles(paths, config, { workers: 0 });
    const spread = await replayFiles(paths, config, { workers: 3 });

    expect(single.cases.length).toBeGreaterThan(3);
    expect(single.cases.some((found) => found.raises.length > 0)).toBe(true);
    expect(JSON.stringify(spread)).toBe(JSON.stringify(single));
  });
});
