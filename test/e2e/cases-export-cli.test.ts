// `revoker cases export` over what the demo leaves behind: the real command, its JSON Lines
// checked line by line, the OCSF lines against the required attributes of the class, and both
// the same bytes the close step archived.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DemoResult, runDemo } from '../../cli/demo.ts';
import { CaseHeaderSchema } from '../../lib/domain/case.ts';
import { archiveObjectsFor } from '../../lib/domain/case-export.ts';
import { FileCaseStore } from '../../lib/local/case-store.ts';
import { revoker } from '../fixtures/cli.ts';
import { shippedConfig } from '../fixtures/config.ts';

/** What the checks below read of an OCSF line (the rest is compared as a whole). */
interface RequiredOfFinding {
  time: number;
  severity_id: number;
  metadata: { profiles: string[] };
  finding_info: { uid: string; title: string };
  cloud: { provider: string };
}

let directory: string;
let demo: DemoResult;
beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'revoker-export-'));
  demo = await runDemo({
    directory,
    config: await shippedConfig(),
    events: 6000,
    now: new Date('2026-01-15T12:00:00Z'),
    print: () => {},
  });
});

/** Export in a format to a file, and read the file's lines back. */
async function exported(format: string): Promise<{ lines: string[]; stderr: string }> {
  const out = join(directory, `export.${format}.jsonl`);
  const run = await revoker(
    'cases',
    'export',
    '--cases',
    join(directory, 'cases'),
    '--format',
    format,
    '--out',
    out,
  );
  expect(run.code).toBe(0);
  expect(run.stdout).toBe('');
  const text = readFileSync(out, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return { lines: text.slice(0, -1).split('\n'), stderr: run.stderr };
}

describe('revoker cases export', () => {
  it('writes one JSON record per closed case, oldest first, each the case as its store holds it', async () => {
    const { lines, stderr } = await exported('json');

    const records = lines.map(
      (line) => JSON.parse(line) as { format: string; header: unknown; entries: unknown[] },
    );
    expect(records.map((record) => CaseHeaderSchema.parse(record.header).caseId)).toEqual(
      demo.stories.map((story) => story.caseId),
    );
    const store = new FileCaseStore(join(directory, 'cases'));
    for (const record of records) {
      const header = CaseHeaderSchema.parse(record.header);
      expect(record.format).toBe('revoker.case/1');
      expect(record.entries).toEqual((await store.get(header.caseId))!.entries);
    }
    expect(stderr).toBe(`3 closed cases exported as json to ${join(directory, 'export.json.jsonl')}\n`);
  });

  it('writes OCSF 1.1.0 Detection Findings (Close) carrying every attribute the class requires', async () => {
    const { lines } = await exported('ocsf');

    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const finding = JSON.parse(line) as RequiredOfFinding;
      // Detection Finding 2004 in category Findings 2: type_uid is class_uid * 100 + activity_id.
      expect(finding).toMatchObject({ class_uid: 2004, category_uid: 2, activity_id: 3, type_uid: 200403 });
      expect(Number.isInteger(finding.time)).toBe(true);
      expect([1, 2, 3, 4, 5, 6, 99]).toContain(finding.severity_id);
      expect(finding.metadata).toMatchObject({ version: '1.1.0', product: { name: 'revoker' } });
      expect(finding.finding_info.uid).toMatch(/^[0-9a-f]{32}$/);
      expect(finding.finding_info.title).toEqual(expect.any(String));
      // The Cloud profile the finding declares requires the provider.
      expect(finding.metadata.profiles).toEqual(['cloud']);
      expect(finding.cloud.provider).toBe('AWS');
      expect(finding).toMatchObject({ status_id: 4, status: 'Resolved', unmapped: { outcome: 'contained' } });
    }
  });

  it('prints to standard output what the close step archived, byte for byte', async () => {
    const json = await revoker('cases', 'export', '--cases', join(directory, 'cases'));
    const ocsf = await revoker('cases', 'export', '--cases', join(directory, 'cases'), '--format', 'ocsf');

    const store = new FileCaseStore(join(directory, 'cases'));
    const archived = (format: string) =>
      demo.stories
        .map((story) => `${format}/2026/01/15/${story.caseId}.json`)
        .map((key) => readFileSync(join(directory, 'archive', key), 'utf8'))
        .join('');
    expect(json.stdout).toBe(archived('json'));
    expect(ocsf.stdout).toBe(archived('ocsf'));
    const first = (await store.get(demo.stories[0]!.caseId))!;
    expect(archiveObjectsFor(first).map((object) => object.body)).toEqual([
      `${json.stdout.split('\n')[0]}\n`,
      `${ocsf.stdout.split('\n')[0]}\n`,
    ]);
  });

  it('refuses a directory that does not exist rather than export nothing', async () => {
    const run = await revoker('cases', 'export', '--cases', join(directory, 'no-such-cases'));

    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `there are no case records in ${join(directory, 'no-such-cases')}: no such directory`,
    );
  });

  it('refuses a format it does not know, naming the choices', async () => {
    const run = await revoker('cases', 'export', '--cases', join(directory, 'cases'), '--format', 'csv');

    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Allowed choices are json, ocsf/);
  });
});
