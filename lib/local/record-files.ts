// Reads CloudTrail material from disk: log files (plain or gzipped), arrays of records,
// single records, EventBridge envelopes, and JSON Lines of any of these.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Config } from '../domain/config.ts';
import { type DocumentEntry, NOT_CLOUDTRAIL, readDocument } from '../domain/documents.ts';
import { addEntry, emptySummary, mergeSummary, type ParseSummary } from '../domain/parse-summary.ts';
import {
  classifyEntry,
  emptyItems,
  type ReplayEntry,
  type ReplayItems,
  type ReplayResult,
  replayed,
} from '../usecases/replay.ts';
import { inChunks, workerCount, workerEntry } from './worker-pool.ts';

export interface SkippedFile {
  kind: 'skipped';
  file: string;
  reason: string;
}

export type FileEntry = DocumentEntry | SkippedFile;

const GZIP_MAGIC = [0x1f, 0x8b];
const JSON_FILE_NAME = /\.jsonl?(\.gz)?$/i;

/** Every file below the given paths, sorted, so runs are reproducible. */
export async function listFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    if (!(await stat(path)).isDirectory()) {
      files.push(path);
      continue;
    }
    // One recursive readdir with file types: no stat per file, which matters on large trees.
    const entries = await readdir(path, { recursive: true, withFileTypes: true });
    const below = entries
      .filter((entry) => entry.isFile() || entry.isSymbolicLink())
      .map((entry) => join(entry.parentPath, entry.name));
    files.push(...below.sort());
  }
  return files;
}

/** Decode a file's bytes: gunzip when it carries the gzip magic number. */
export function decodeBytes(bytes: Buffer): string {
  const gzipped = bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
  return (gzipped ? gunzipSync(bytes) : bytes).toString('utf8');
}

function jsonError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Read one file into entries. A file that is not CloudTrail at all (a licence, a README, a
 * manifest) is skipped with a reason; JSON that fails to parse is rejected with the
 * parser's position.
 */
export function readRecordText(text: string, file: string): FileEntry[] {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    // A file named as JSON that holds something else is damaged, not some other kind of file.
    return JSON_FILE_NAME.test(file)
      ? [{ kind: 'rejected', file, index: null, reason: 'not JSON' }]
      : [{ kind: 'skipped', file, reason: 'not JSON' }];
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (wholeFileError) {
    const lines = text
      .split('\n')
      .map((line, offset) => ({ text: line, number: offset + 1 }))
      .filter((line) => line.text.trim().length > 0);
    if (lines.length < 2 || !lines.every((line) => line.text.trimStart().startsWith('{'))) {
      return [{ kind: 'rejected', file, index: null, reason: `invalid JSON: ${jsonError(wholeFileError)}` }];
    }
    return readJsonLines(lines, file);
  }
  const entries = readDocument(document, file);
  // A JSON file of some other kind (a manifest, a policy) is not CloudTrail at all.
  if (entries.length === 1 && entries[0]!.kind === 'rejected' && entries[0]!.reason === NOT_CLOUDTRAIL) {
    return [{ kind: 'skipped', file, reason: 'JSON, but not CloudTrail' }];
  }
  return entries;
}

/** Each line is a document of its own; every entry from it, parsed or rejected, names its line. */
function readJsonLines(lines: { text: string; number: number }[], file: string): FileEntry[] {
  const entries: FileEntry[] = [];
  let nextIndex = 0;
  for (const { text, number: line } of lines) {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      entries.push({
        kind: 'rejected',
        file,
        index: null,
        line,
        reason: `invalid JSON on line ${line}: ${jsonError(error)}`,
      });
      continue;
    }
    const documentEntries = readDocument(document, file, nextIndex);
    nextIndex += documentEntries.length;
    for (const entry of documentEntries) entries.push({ ...entry, line });
  }
  return entries;
}

export async function readRecordFile(file: string): Promise<FileEntry[]> {
  let text: string;
  try {
    text = decodeBytes(await readFile(file));
  } catch (error) {
    return [{ kind: 'rejected', file, index: null, reason: `unreadable file: ${jsonError(error)}` }];
  }
  return readRecordText(text, file);
}

/** Read every file below the paths, one at a time, so memory stays flat on large trees. */
export async function* readRecordFiles(paths: string[]): AsyncGenerator<FileEntry> {
  for (const file of await listFiles(paths)) {
    yield* await readRecordFile(file);
  }
}

/** Below this many files a worker's start-up costs more than it saves. */
const FILES_WORTH_A_WORKER = 64;

export interface SpreadOptions {
  /** Workers to spread the files over (0 or 1: none); one per core by default (workerCount). */
  workers?: number;
}

function workersFor(files: readonly string[], options: SpreadOptions): number {
  const workers = options.workers ?? (files.length >= FILES_WORTH_A_WORKER ? workerCount() : 0);
  return workers > 1 ? Math.min(workers, files.length) : 0;
}

/** Count what the files hold, one file at a time. */
export async function summarizeFileList(files: readonly string[]): Promise<ParseSummary> {
  const summary = emptySummary();
  for (const file of files) {
    summary.files += 1;
    for (const entry of await readRecordFile(file)) {
      if (entry.kind === 'skipped') summary.skippedFiles.push({ file: entry.file, reason: entry.reason });
      else addEntry(summary, entry);
    }
  }
  return summary;
}

/**
 * Read every file below the paths and count what parsed, what was rejected and why: spread
 * over worker threads when there are cores and files enough, merged in file order, so the
 * summary is the one a single thread makes.
 */
export async function summarizeFiles(paths: string[], options: SpreadOptions = {}): Promise<ParseSummary> {
  const files = await listFiles(paths);
  const workers = workersFor(files, options);
  if (workers === 0) return summarizeFileList(files);
  const parts = await inChunks<string, ParseSummary>(
    workerEntry(import.meta.url, 'read'),
    workers,
    files,
    (chunk): ReadTask => ({ kind: 'summarize', files: chunk }),
  );
  const summary = emptySummary();
  for (const part of parts) mergeSummary(summary, part);
  return summary;
}

/** Replay's per-record work over some files, one file at a time. */
export async function replayItemsOf(files: readonly string[], config: Config): Promise<ReplayItems> {
  const items = emptyItems();
  for (const file of files) {
    const readBefore = items.records;
    let firstReason: string | null = null;
    for (const entry of await readRecordFile(file)) {
      const replayEntry = replayEntryOf(entry);
      if (!replayEntry) continue;
      if ('unreadable' in replayEntry) firstReason ??= replayEntry.unreadable;
      classifyEntry(replayEntry, config, items);
    }
    if (items.records === readBefore && firstReason !== null)
      items.unusableFiles.push({ file, reason: firstReason });
  }
  return items;
}

/**
 * `revoker replay` over the files below the paths: each file's records matched on worker threads
 * when there are cores and files enough, the cases folded from them in file order (the result a
 * single thread gives).
 */
export async function replayFiles(
  paths: string[],
  config: Config,
  options: SpreadOptions = {},
): Promise<ReplayResult> {
  const files = await listFiles(paths);
  const workers = workersFor(files, options);
  if (workers === 0) return replayed([await replayItemsOf(files, config)]);
  const parts = await inChunks<string, ReplayItems>(
    workerEntry(import.meta.url, 'read'),
    workers,
    files,
    (chunk): ReadTask => ({ kind: 'replay', files: chunk, config }),
  );
  return replayed(parts);
}

/** What the read worker (read-worker.ts) is asked to do with a run of files. */
export type ReadTask =
  | { kind: 'summarize'; files: string[] }
  | { kind: 'replay'; files: string[]; config: Config };

/** What replay reads of an entry: a call with its principal, a findings event, or why not. */
function replayEntryOf(entry: FileEntry): ReplayEntry | null {
  if (entry.kind === 'parsed') {
    const { principal } = entry;
    return principal.ok
      ? { record: entry.record, principal: principal.principal, file: entry.file }
      : { unreadable: principal.reason, file: entry.file };
  }
  if (entry.kind === 'finding') return { finding: entry.finding, file: entry.file };
  if (entry.kind === 'rejected') return { unreadable: entry.reason, file: entry.file };
  return null;
}

/**
 * What `replay` reads below the paths: every call whose principal resolved, every findings
 * event, and, to be counted, whatever could not be read or named no principal.
 */
export async function* replayEntries(paths: string[]): AsyncGenerator<ReplayEntry> {
  for await (const entry of readRecordFiles(paths)) {
    const replayEntry = replayEntryOf(entry);
    if (replayEntry) yield replayEntry;
  }
}
