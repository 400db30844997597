// Writes records as CloudTrail does: one gzipped `{"Records": [...]}` file per account,
// region and five-minute window, at `[prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`
// (a trail of one account) or `[prefix/]AWSLogs/<o-id>/<account>/CloudTrail/...` (an
// organisation trail), the prefix being the trail's S3 key prefix.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { hashText } from './random.ts';

const WINDOW_MS = 5 * 60_000;

/** Where a trail writes: its S3 key prefix, and the organisation ID of an organisation trail. */
export interface TrailLayout {
  prefix?: string;
  organizationId?: string;
}

export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
export const KEY_PREFIX = /^[\w.!*'()-]+(\/[\w.!*'()-]+)*$/;

export function logFilePath(
  root: string,
  account: string,
  region: string,
  windowStart: Date,
  salt: string,
  layout: TrailLayout = {},
): string {
  const iso = windowStart.toISOString();
  const [year, month, day] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  const stamp = `${year}${month}${day}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
  const key = `${account}/${region}/${stamp}`;
  const suffix = [key, `${salt}/${key}`].map((text) => hashText(text).toString(16).padStart(8, '0')).join('');
  const name = `${account}_CloudTrail_${region}_${stamp}_${suffix}.json.gz`;
  const trail = [...(layout.prefix ? [layout.prefix] : []), 'AWSLogs'];
  const owner = layout.organizationId ? [layout.organizationId, account] : [account];
  return join(root, ...trail, ...owner, 'CloudTrail', region, year, month, day, name);
}

/** Where a finished log file goes: its path, and its text before compression. */
export type LogSink = (path: string, text: string) => void;

/** Gzip a log file's text as CloudTrail does, and write it (making its directory). */
export function writeLogFile(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, gzipSync(text, { level: 6 }));
}

export class LogWriter {
  private window: number | null = null;
  private readonly buffers = new Map<string, { account: string; region: string; records: string[] }>();
  readonly written: string[] = [];
  records = 0;

  /** `salt` keeps files from a later delivery apart from earlier files of the same window. */
  constructor(
    private readonly root: string,
    private readonly salt = '',
    private readonly layout: TrailLayout = {},
    /** Compressing and writing happen elsewhere (worker threads) when `revoker generate` spreads them. */
    private readonly sink: LogSink = writeLogFile,
  ) {
    if (layout.organizationId !== undefined && !ORGANIZATION_ID.test(layout.organizationId))
      throw new Error(
        `${JSON.stringify(layout.organizationId)} is not an organisation ID (o- and 10 to 32 of a-z, 0-9)`,
      );
    if (layout.prefix !== undefined && !KEY_PREFIX.test(layout.prefix))
      throw new Error(
        `${JSON.stringify(layout.prefix)} is not a key prefix (path segments of letters, digits and . _ - ! * ' ( ), no empty segment)`,
      );
  }

  /** Records must arrive in time order, as CloudTrail delivers them. */
  add(account: string, region: string, eventTime: Date, record: Record<string, unknown>): void {
    const window = Math.floor(eventTime.getTime() / WINDOW_MS) * WINDOW_MS;
    if (this.window !== null && window !== this.window) this.flush();
    this.window = window;
    const key = `${account}/${region}`;
    let buffer = this.buffers.get(key);
    if (!buffer) {
      buffer = { account, region, records: [] };
      this.buffers.set(key, buffer);
    }
    buffer.records.push(JSON.stringify(record));
    this.records += 1;
  }

  flush(): void {
    if (this.window === null) return;
    for (const { account, region, records } of this.buffers.values()) {
      const path = logFilePath(this.root, account, region, new Date(this.window), this.salt, this.layout);
      this.sink(path, `{"Records":[${records.join(',')}]}`);
      this.written.push(path);
    }
    this.buffers.clear();
  }
}
