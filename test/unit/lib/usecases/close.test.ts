// Close writes the case table first, then the archive, then the page: an archive that fails
// loses nothing and keeps no one from being paged, and the retry Step Functions makes archives
// the same bytes and does not page again.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { archiveObjectsFor } from '../../../../lib/domain/case-export.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { FileCaseArchive } from '../../../../lib/local/file-case-archive.ts';
import { FileNotifier } from '../../../../lib/local/notifier.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { type ArchiveObject, type CaseArchive, CaseArchiveError } from '../../../../lib/ports.ts';
import { type CloseInput, close } from '../../../../lib/usecases/close.ts';
import { openTestCase } from '../../../fixtures/cases.ts';
import { trigger } from '../../../fixtures/escalation.ts';

/** The local archive, refusing its first `failures` writes as an S3 outage would. */
class FlakyArchive implements CaseArchive {
  constructor(
    private readonly archive: CaseArchive,
    private failures: number,
  ) {}
  put(object: ArchiveObject) {
    if (this.failures-- > 0) return Promise.reject(new CaseArchiveError(`could not archive ${object.key}`));
    return this.archive.put(object);
  }
}

async function parts(failures: number) {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-close-'));
  const clock = new SimulatedClock(new Date('2026-01-15T12:30:00Z'));
  const cases = new FileCaseStore(join(directory, 'cases'));
  await openTestCase(cases, trigger);
  const notifier = new FileNotifier(join(directory, 'notifications.jsonl'), clock);
  const archiveDirectory = join(directory, 'archive');
  const archive = new FlakyArchive(new FileCaseArchive(archiveDirectory), failures);
  return { deps: { cases, clock, notifier, archive }, archiveDirectory };
}

const input: CloseInput = {
  caseId: 'case-1',
  trigger,
  revision: 0,
  closing: { outcome: 'contained', reason: 'no activity after the cutoff' },
};

describe('close', () => {
  it('archives the closed case as JSON and OCSF under keys of its closing day, then pages', async () => {
    const { deps, archiveDirectory } = await parts(0);

    const closed = await close(input, deps);

    expect(closed).toEqual({ caseId: 'case-1', outcome: 'contained', raised: false });
    const record = (await deps.cases.get('case-1'))!;
    for (const object of archiveObjectsFor(record))
      expect(readFileSync(join(archiveDirectory, object.key), 'utf8')).toBe(object.body);
    expect(archiveObjectsFor(record).map((object) => object.key)).toEqual([
      'json/2026/01/15/case-1.json',
      'ocsf/2026/01/15/case-1.json',
    ]);
    expect(deps.notifier.sent.map((sent) => sent.kind)).toEqual(['case-closed']);
  });

  it('keeps the case closed when the archive fails, pages at once, and the retry archives and does not page again', async () => {
    const { deps, archiveDirectory } = await parts(1);

    await expect(close(input, deps)).rejects.toThrow(CaseArchiveError);
    const afterFailure = (await deps.cases.get('case-1'))!;
    expect(afterFailure.header.outcome).toBe('contained');
    expect(deps.notifier.sent.map((sent) => sent.kind)).toEqual(['case-closed']);

    await close(input, deps);

    const record = (await deps.cases.get('case-1'))!;
    expect(record.entries.filter((entry) => entry.step === 'close')).toHaveLength(1);
    for (const object of archiveObjectsFor(record))
      expect(readFileSync(join(archiveDirectory, object.key), 'utf8')).toBe(object.body);
    expect(deps.notifier.sent.map((sent) => sent.kind)).toEqual(['case-closed']);
  });

  it('pages the on-call even when the archive refuses every attempt (an outage, or a bucket someone broke)', async () => {
    const { deps } = await parts(Number.POSITIVE_INFINITY);

    // Step Functions' first attempt and its five CaseArchiveError retries.
    for (let attempt = 0; attempt < 6; attempt++)
      await expect(close(input, deps)).rejects.toThrow(CaseArchiveError);

    expect((await deps.cases.get('case-1'))!.header.outcome).toBe('contained');
    expect(deps.notifier.sent.map((sent) => sent.kind)).toEqual(['case-closed']);
  });

  it('does not hold the page back while the archive hangs (until the function times out)', async () => {
    const { deps } = await parts(0);
    const hanging: CaseArchive = { put: () => new Promise(() => {}) };

    void close(input, { ...deps, archive: hanging });

    await vi.waitFor(() => expect(deps.notifier.sent.map((sent) => sent.kind)).toEqual(['case-closed']));
  });
});
