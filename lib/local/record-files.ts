// Reads CloudTrail material from disk: log files (plain or gzipped), arrays of records,
// single records, EventBridge envelopes, and JSON Lines of any of these.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type DocumentEntry, NOT_CLOUDTRAIL, readDocument } from '../domain/documents.ts';
import { addEntry, emptySummary, type ParseSummary } from '../domain/parse-summary.ts';
import type { ReplayEntry } from '../usecases/replay.ts';

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

/** Read every file below the paths and count what parsed, what was rejected and why. */
export async function summarizeFiles(paths: string[]): Promise<ParseSummary> {
  const summary = emptySummary();
  for (const file of await listFiles(paths)) {
    summary.files += 1;
    for (const entry of await readRecordFile(file)) {
      if (entry.kind === 'skipped') summary.skippedFiles.push({ file: entry.file, reason: entry.reason });
      else addEntry(summary, entry);
    }
  }
  return summary;
}

/**
 * What `replay` reads below the paths: every call whose principal resolved, every findings
 * event, and, to be counted, whatever could not be read or named no principal.
 */
export async function* replayEntries(paths: string[]): AsyncGenerator<ReplayEntry> {
  for await (const entry of readRecordFiles(paths)) {
    if (entry.kind === 'parsed') {
      const { principal } = entry;
      yield principal.ok
        ? { record: entry.record, principal: principal.principal, file: entry.file }
        : { unreadable: principal.reason, file: entry.file };
    } else if (entry.kind === 'finding') yield { finding: entry.finding, file: entry.file };
    else if (entry.kind === 'rejected') yield { unreadable: entry.reason, file: entry.file };
  }
}
