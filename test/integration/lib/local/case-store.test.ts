// The file-backed case store keeps the CaseStore contract, in a fresh directory per test.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { describeCaseStoreContract } from '../../../fixtures/case-store-contract.ts';

describeCaseStoreContract('FileCaseStore', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'revoker-case-store-'));
  return {
    store: new FileCaseStore(directory),
    close: () => rm(directory, { recursive: true, force: true }),
    // An edit by hand: the JSON still parses, but what it holds is no longer a case.
    async damage(caseId, part) {
      const path = join(directory, `${caseId}.json`);
      const file = JSON.parse(await readFile(path, 'utf8')) as {
        header: Record<string, unknown>;
        entries: Record<string, unknown>[];
      };
      if ('header' in part) file.header.openedAt = 'yesterday';
      else {
        const entry = file.entries.find((candidate) => candidate.id === part.entryId);
        if (!entry) throw new Error(`no entry ${part.entryId} in ${path}`);
        entry.detail = 'lost';
      }
      await writeFile(path, JSON.stringify(file));
    },
  };
});
