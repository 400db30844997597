// The local stand-in for the DynamoDB case table: one JSON file per case, replaced atomically.
// An append is a read-modify-write, so it holds a lock file: `revoker approve` in one process
// and the demo's execution in another can both append without losing an entry.
import { mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEntry, CaseRecord, CaseStore } from '../ports.ts';
import { writeFileAtomic } from './atomic-file.ts';

export class FileCaseStore implements CaseStore {
  // Appends are serialised (across cases too) so concurrent steps cannot lose each other's entries.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly directory: string) {}

  private path(caseId: string): string {
    if (!/^[\w-]+$/.test(caseId)) throw new Error(`case ID ${JSON.stringify(caseId)} is not [A-Za-z0-9_-]`);
    return join(this.directory, `${caseId}.json`);
  }

  async get(caseId: string): Promise<CaseRecord | null> {
    try {
      return JSON.parse(await readFile(this.path(caseId), 'utf8')) as CaseRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  append(
    caseId: string,
    init: Omit<CaseRecord, 'audit' | 'outcome'>,
    entry: AuditEntry,
    outcome?: string,
  ): Promise<CaseRecord> {
    const next = this.queue.then(async () => {
      await mkdir(this.directory, { recursive: true });
      return withLock(`${this.path(caseId)}.lock`, async () => {
        const record = (await this.get(caseId)) ?? { ...init, audit: [], outcome: null };
        record.audit.push(entry);
        if (outcome !== undefined) record.outcome = outcome;
        await writeFileAtomic(this.path(caseId), `${JSON.stringify(record, null, 2)}\n`);
        return record;
      });
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  async list(): Promise<CaseRecord[]> {
    let names: string[];
    try {
      names = (await readdir(this.directory)).filter((name) => name.endsWith('.json'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records = await Promise.all(names.map((name) => this.get(name.replace(/\.json$/, ''))));
    return records.filter((record) => record !== null);
  }
}

/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 10_000;

export class CaseLockedError extends Error {
  override name = 'CaseLockedError';
}

async function withLock<T>(lockFile: string, work: () => Promise<T>): Promise<T> {
  const giveUp = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await (await open(lockFile, 'wx')).close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const held = await stat(lockFile).catch(() => null);
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) await unlink(lockFile).catch(() => undefined);
      else if (Date.now() > giveUp) throw new CaseLockedError(`${lockFile} is held by another process`);
      else await sleep(10);
    }
  }
  try {
    return await work();
  } finally {
    await unlink(lockFile);
  }
}
