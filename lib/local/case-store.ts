// The local stand-in for the DynamoDB case table: one JSON file per case (header, version,
// entries) and one per document, each replaced atomically (write, fsync, rename). Every
// read-modify-write holds the file's lock, across processes too (`revoker approve` in one
// process answers the demo's execution in another), so conditional writes are really conditional.
import { mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Case, type CaseHeader, CaseStateError, decodeCase, digest, type NewCaseEntry } from '../domain/case.ts';
import { CaseNotFoundError, type CaseStore, type VersionedDocument } from '../ports.ts';
import { writeFileAtomic } from './atomic-file.ts';

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
  /** In-process turns per file, so this process's own writers queue instead of polling the lock. */
  private readonly turns = new Map<string, Promise<unknown>>();

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

  create(header: CaseHeader): Promise<boolean> {
    const path = this.casePath(header.caseId);
    return this.exclusive(path, async () => {
      if (await readJson<CaseFile>(path)) return false;
      await this.write(path, { header, version: 1, seq: 0, entries: [] } satisfies CaseFile);
      return true;
    });
  }

  update(caseId: string, version: number, header: CaseHeader): Promise<boolean> {
    const path = this.casePath(caseId);
    return this.exclusive(path, async () => {
      const file = await readJson<CaseFile>(path);
      if (!file || file.version !== version) return false;
      await this.write(path, { ...file, header, version: version + 1 });
      return true;
    });
  }

  append(caseId: string, entry: NewCaseEntry): Promise<boolean> {
    const path = this.casePath(caseId);
    return this.exclusive(path, async () => {
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
    return this.exclusive(path, async () => {
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

  /** Run `work` holding the file's lock: queued behind this process's earlier turns, then the lock file. */
  private exclusive<T>(path: string, work: () => Promise<T>): Promise<T> {
    const previous = this.turns.get(path) ?? Promise.resolve();
    const turn = previous.then(async () => {
      await mkdir(join(path, '..'), { recursive: true });
      return withLock(`${path}.lock`, work);
    });
    const settled = turn.catch(() => undefined);
    this.turns.set(path, settled);
    void settled.then(() => {
      if (this.turns.get(path) === settled) this.turns.delete(path);
    });
    return turn;
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
      else await sleep(5);
    }
  }
  try {
    return await work();
  } finally {
    await unlink(lockFile);
  }
}
