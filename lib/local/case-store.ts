// The local stand-in for the DynamoDB case table: one JSON file per case (header, version,
// entries) and one per document, each replaced atomically (write, fsync, rename). Every
// read-modify-write holds the file's lock, across processes too (`revoker approve` in one
// process answers the demo's execution in another), so conditional writes are really conditional.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Case,
  type CaseHeader,
  CaseStateError,
  checkedEntry,
  checkedHeader,
  decodeCase,
  digest,
  type NewCaseEntry,
} from '../domain/case.ts';
import { CaseNotFoundError, type CaseStore, type VersionedDocument } from '../ports.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { exclusively } from './file-lock.ts';

interface CaseFile {
  header: unknown;
  version: number;
  /** The last sequence number given to an entry. */
  seq: number;
  entries: ({ id: string; seq: number } & Record<string, unknown>)[];
}

interface DocumentFile {
  key: string;
  value: unknown;
  version: number;
}

const DOCUMENTS = '.documents';

export class FileCaseStore implements CaseStore {
  constructor(private readonly directory: string) {}

  private casePath(caseId: string): string {
    if (!/^[\w-]+$/.test(caseId)) throw new Error(`case ID ${JSON.stringify(caseId)} is not [A-Za-z0-9_-]`);
    return join(this.directory, `${caseId}.json`);
  }

  private documentPath(key: string): string {
    // Keys name credentials and principals: a digest keeps them out of the path.
    return join(this.directory, DOCUMENTS, `${digest(key)}.json`);
  }

  async get(caseId: string): Promise<Case | null> {
    const path = this.casePath(caseId);
    const file = await readJson<CaseFile>(path);
    return file ? decodeCase(path, file.header, file.version, file.entries) : null;
  }

  async create(header: CaseHeader): Promise<boolean> {
    checkedHeader(header);
    const path = this.casePath(header.caseId);
    return exclusively(path, async () => {
      if (await readJson<CaseFile>(path)) return false;
      await this.write(path, { header, version: 1, seq: 0, entries: [] } satisfies CaseFile);
      return true;
    });
  }

  async update(caseId: string, version: number, header: CaseHeader): Promise<boolean> {
    checkedHeader(header);
    const path = this.casePath(caseId);
    return exclusively(path, async () => {
      const file = await readJson<CaseFile>(path);
      if (!file || file.version !== version) return false;
      await this.write(path, { ...file, header, version: version + 1 });
      return true;
    });
  }

  async append(caseId: string, entry: NewCaseEntry): Promise<boolean> {
    checkedEntry(caseId, entry);
    const path = this.casePath(caseId);
    return exclusively(path, async () => {
      const file = await readJson<CaseFile>(path);
      if (!file) throw new CaseNotFoundError(`there is no case ${caseId}`);
      if (file.entries.some((existing) => existing.id === entry.id)) return false;
      const seq = file.seq + 1;
      await this.write(path, { ...file, seq, entries: [...file.entries, { ...entry, seq }] });
      return true;
    });
  }

  async readDocument(key: string): Promise<VersionedDocument | null> {
    const file = await readJson<DocumentFile>(this.documentPath(key));
    return file && file.key === key ? { value: file.value, version: file.version } : null;
  }

  writeDocument(key: string, value: unknown, version: number | null): Promise<boolean> {
    const path = this.documentPath(key);
    return exclusively(path, async () => {
      const file = await readJson<DocumentFile>(path);
      if ((file?.version ?? null) !== version) return false;
      await this.write(path, { key, value, version: (version ?? 0) + 1 } satisfies DocumentFile);
      return true;
    });
  }

  async list(): Promise<Case[]> {
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

  private async write(path: string, content: unknown): Promise<void> {
    await writeFileAtomic(path, `${JSON.stringify(content, null, 2)}\n`);
  }
}

async function readJson<T>(path: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new CaseStateError(`${path} is damaged: ${(error as Error).message}`);
  }
}
