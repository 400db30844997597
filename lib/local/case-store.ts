// The local stand-in for the DynamoDB case table: one JSON file per case, replaced atomically.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
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
      const record = (await this.get(caseId)) ?? { ...init, audit: [], outcome: null };
      record.audit.push(entry);
      if (outcome !== undefined) record.outcome = outcome;
      await writeFileAtomic(this.path(caseId), `${JSON.stringify(record, null, 2)}\n`);
      return record;
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
