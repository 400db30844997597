// The local stand-in for Athena: DuckDB reading CloudTrail log files laid out as CloudTrail
// writes them to S3, behind a `cloudtrail_logs` view with the Athena table's column names,
// so the same SQL text runs here and on Athena.
//
// Partition columns: the engine mirrors each log file, once, as it first sees it, into a
// private tree of symbolic links `account=…/region=…/timestamp=YYYY%2FMM%2FDD/…`, which DuckDB
// reads as Hive-style partitions (it decodes the values).
//
// Partition pruning: for each query, the engine takes only the files the query's partition
// filter selects (see partition-filter.ts): a runbook's `timestamp BETWEEN ? AND ? AND account = ?`
// with its bound values. A query without that filter takes every file. New log files are found
// by a cached listing of the log tree that reads again only the directories that changed
// (tree-listing.ts); DuckDB never lists the mirror.
//
// Each file is read once: the first query that needs a file loads its records into a DuckDB
// table, and every later query reads them from there. CloudTrail never rewrites a log file
// (each S3 object is written once, under a new key), but a local directory is anybody's: a
// loaded file whose stat changed (rewritten, appended to, deleted) is read again. A 30-day
// baseline is then a columnar scan of the rows already loaded instead of a parse of thousands
// of gzipped JSON files per case; only the first query over a window pays for reading it.
import { statSync } from 'node:fs';
import { mkdir, mkdtemp, open as openFile, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BIGINT, type DuckDBConnection, DuckDBInstance, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import type { QueryEngine, QueryRequest, QueryResult, SqlCell } from '../ports.ts';
import { cellFromText } from '../query-cells.ts';
import { partitionWindows } from './partition-filter.ts';
import { decodeBytes, readRecordText } from './record-files.ts';
import { TreeListing } from './tree-listing.ts';

/** `…/AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz`: CloudTrail always gzips. */
const LOG_FILE_PATH =
  /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]+\/)?([^/]+)\/CloudTrail\/([^/]+)\/(\d{4})\/(\d{2})\/(\d{2})\/[^/]+\.json\.gz$/;

export interface LogFile {
  path: string;
  account: string;
  region: string;
  /** The partition value, as Athena's projection writes it: `yyyy/MM/dd`. */
  timestamp: string;
}

export interface RejectedLogFile {
  path: string;
  reason: string;
}

/** One record of a log file that `revoker parse` rejects, set aside while the file's others stay. */
export interface RejectedLogRecord {
  path: string;
  /** The record's position in the file's `Records`, from 0, as `revoker parse` numbers it. */
  index: number;
  reason: string;
}

/** Classify a path as a CloudTrail log file, or null (digests, insights, anything else). */
export function logFileFromPath(path: string): LogFile | null {
  const match = LOG_FILE_PATH.exec(path.replaceAll('\\', '/'));
  if (!match) return null;
  const [, account, region, year, month, day] = match;
  return { path, account: account!, region: region!, timestamp: `${year}/${month}/${day}` };
}

// CloudTrail's own key spelling (`ARN` in resources), so read_json matches the files.
const RECORD_COLUMNS = `{Records: 'STRUCT(
  eventVersion VARCHAR,
  userIdentity STRUCT(
    type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, invokedBy VARCHAR,
    accessKeyId VARCHAR, userName VARCHAR,
    onBehalfOf STRUCT(userId VARCHAR, identityStoreArn VARCHAR),
    sessionContext STRUCT(
      attributes STRUCT(mfaAuthenticated VARCHAR, creationDate VARCHAR),
      sessionIssuer STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, userName VARCHAR),
      ec2RoleDelivery VARCHAR,
      sourceIdentity VARCHAR
    )
  ),
  eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, awsRegion VARCHAR,
  sourceIPAddress VARCHAR, userAgent VARCHAR, errorCode VARCHAR, errorMessage VARCHAR,
  requestParameters JSON, responseElements JSON, additionalEventData JSON,
  requestID VARCHAR, eventID VARCHAR, readOnly VARCHAR,
  resources STRUCT("ARN" VARCHAR, accountId VARCHAR, type VARCHAR)[],
  eventType VARCHAR, apiVersion VARCHAR, recipientAccountId VARCHAR, serviceEventDetails JSON,
  sharedEventID VARCHAR, vpcEndpointId VARCHAR, vpcEndpointAccountId VARCHAR, eventCategory VARCHAR,
  addendum STRUCT(reason VARCHAR, updatedFields VARCHAR, originalRequestID VARCHAR, originalEventID VARCHAR),
  sessionCredentialFromConsole VARCHAR, edgeDeviceDetails JSON,
  tlsDetails STRUCT(tlsVersion VARCHAR, cipherSuite VARCHAR, clientProvidedHostHeader VARCHAR)
)[]'}`;

// Athena's lower-case names, built from the camelCase read above.
const ATHENA_PROJECTION = `
  r.eventVersion AS eventversion,
  struct_pack(
    type := r.userIdentity.type, principalid := r.userIdentity.principalId, arn := r.userIdentity.arn,
    accountid := r.userIdentity.accountId, invokedby := r.userIdentity.invokedBy,
    accesskeyid := r.userIdentity.accessKeyId, username := r.userIdentity.userName,
    onbehalfof := struct_pack(userid := r.userIdentity.onBehalfOf.userId,
                              identitystorearn := r.userIdentity.onBehalfOf.identityStoreArn),
    sessioncontext := struct_pack(
      attributes := struct_pack(
        mfaauthenticated := r.userIdentity.sessionContext.attributes.mfaAuthenticated,
        creationdate := r.userIdentity.sessionContext.attributes.creationDate),
      sessionissuer := struct_pack(
        type := r.userIdentity.sessionContext.sessionIssuer.type,
        principalid := r.userIdentity.sessionContext.sessionIssuer.principalId,
        arn := r.userIdentity.sessionContext.sessionIssuer.arn,
        accountid := r.userIdentity.sessionContext.sessionIssuer.accountId,
        username := r.userIdentity.sessionContext.sessionIssuer.userName),
      ec2roledelivery := r.userIdentity.sessionContext.ec2RoleDelivery,
      sourceidentity := r.userIdentity.sessionContext.sourceIdentity)
  ) AS useridentity,
  r.eventTime AS eventtime, r.eventSource AS eventsource, r.eventName AS eventname,
  r.awsRegion AS awsregion, r.sourceIPAddress AS sourceipaddress, r.userAgent AS useragent,
  r.errorCode AS errorcode, r.errorMessage AS errormessage,
  CAST(r.requestParameters AS VARCHAR) AS requestparameters,
  CAST(r.responseElements AS VARCHAR) AS responseelements,
  CAST(r.additionalEventData AS VARCHAR) AS additionaleventdata,
  r.requestID AS requestid, r.eventID AS eventid, r.readOnly AS readonly,
  list_transform(r.resources, x -> struct_pack(arn := x."ARN", accountid := x.accountId, type := x.type)) AS resources,
  r.eventType AS eventtype, r.apiVersion AS apiversion, r.recipientAccountId AS recipientaccountid,
  CAST(r.serviceEventDetails AS VARCHAR) AS serviceeventdetails,
  r.sharedEventID AS sharedeventid, r.vpcEndpointId AS vpcendpointid,
  r.vpcEndpointAccountId AS vpcendpointaccountid, r.eventCategory AS eventcategory,
  struct_pack(reason := r.addendum.reason, updatedfields := r.addendum.updatedFields,
              originalrequestid := r.addendum.originalRequestID,
              originaleventid := r.addendum.originalEventID) AS addendum,
  r.sessionCredentialFromConsole AS sessioncredentialfromconsole,
  CAST(r.edgeDeviceDetails AS VARCHAR) AS edgedevicedetails,
  struct_pack(tlsversion := r.tlsDetails.tlsVersion, ciphersuite := r.tlsDetails.cipherSuite,
              clientprovidedhostheader := r.tlsDetails.clientProvidedHostHeader) AS tlsdetails,
  timestamp, account, region`;

// Trino functions runbooks may use, as DuckDB macros, so the SQL text is shared.
const TRINO_MACROS = [
  // Athena's JSONPath names a key with a dash as `$["x-amz-copy-source"]`; DuckDB's as `$."…"`.
  `CREATE MACRO json_extract_scalar(doc, path) AS json_extract_string(doc, regexp_replace(path, '^\\$\\["([^"]+)"\\]$', '$."\\1"'))`,
  'CREATE MACRO from_iso8601_timestamp(text) AS CAST(text AS TIMESTAMPTZ)',
  'CREATE MACRO to_unixtime(moment) AS epoch(moment)',
  // Trino's count_if is a count (0 over no rows); DuckDB's own returns NULL when it saw no
  // non-NULL input, so it is shadowed by one that counts.
  'CREATE MACRO count_if(condition) AS CAST(coalesce(sum(CASE WHEN condition THEN 1 ELSE 0 END), 0) AS BIGINT)',
];

export class DuckDbQueryEngineError extends Error {
  override name = 'DuckDbQueryEngineError';
}

export class DuckDbQueryEngine implements QueryEngine {
  /** Log files that failed to read, by original path; the rest stay queryable. */
  readonly rejectedFiles: RejectedLogFile[] = [];
  /** Records set aside from files whose other records stay queryable (see salvage). */
  readonly rejectedRecords: RejectedLogRecord[] = [];

  /** Every CloudTrail log file mirrored so far. */
  readonly files: LogFile[] = [];
  /** Mirror link → the log file it stands for, for files still in use. */
  private readonly links = new Map<string, LogFile>();
  private readonly seen = new Set<string>();
  /** Mirror copies written by salvage: if DuckDB fails on one of these too, the file goes. */
  private readonly salvaged = new Set<string>();
  private readonly listing: TreeListing;
  private listed: string[] | null = null;
  /** Mirror directories made so far. */
  private readonly directories = new Set<string>();
  /** Every link in use, in path order (as a glob of the mirror lists them); null when stale. */
  private ordered: string[] | null = null;
  /** Links whose records are in the `records` table, each with its file's stamp when read. */
  private readonly loaded = new Map<string, string>();
  private objectSize = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** The files the view reads now (the `revoker_log_files` variable). */
  private current: string[] | null = null;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    root: string,
    private readonly mirror: string,
    private readonly partitionPruning: boolean,
  ) {
    this.listing = new TreeListing(root);
  }

  /** A log file of no records, read when a query's partitions hold no file (DuckDB needs one). */
  private get emptyFile(): string {
    return join(this.mirror, 'empty', 'account=', 'region=', 'timestamp=', 'empty.json.gz');
  }

  /** Every log file whose records are loaded (read once, kept for later queries). */
  get loadedFiles(): number {
    return this.loaded.size;
  }

  /**
   * Open an engine over every CloudTrail log file below `root`. `partitionPruning: false` is
   * an engine without pruning or loading, the full-scan baseline the benchmark compares
   * against, with the same answers: every query lists every file (DuckDB globs the mirror) and
   * parses all of them, the partition columns derived from each file's name.
   */
  static async open(root: string, options: { partitionPruning?: boolean } = {}): Promise<DuckDbQueryEngine> {
    const mirror = await mkdtemp(join(tmpdir(), 'revoker-logs-'));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const engine = new DuckDbQueryEngine(
      instance,
      connection,
      resolve(root),
      mirror,
      options.partitionPruning ?? true,
    );
    await mkdir(join(engine.emptyFile, '..'), { recursive: true });
    await writeFile(engine.emptyFile, gzipSync(JSON.stringify({ Records: [] })));
    await engine.sync();
    for (const macro of TRINO_MACROS) await connection.run(macro);
    await engine.createView();
    return engine;
  }

  /**
   * Mirror log files that appeared since the last look, as Athena sees new S3 objects
   * through partition projection. Returns how many were added.
   */
  async sync(): Promise<number> {
    let added = 0;
    const paths = await this.listing.files();
    // The same listing as last time: nothing new.
    if (paths === this.listed) return 0;
    this.listed = paths;
    for (const path of paths) {
      if (this.seen.has(path)) continue;
      this.seen.add(path);
      const file = logFileFromPath(path);
      if (!file) continue;
      const directory = join(
        this.mirror,
        `account=${encodeURIComponent(file.account)}`,
        `region=${encodeURIComponent(file.region)}`,
        `timestamp=${encodeURIComponent(file.timestamp)}`,
      );
      if (!this.directories.has(directory)) {
        await mkdir(directory, { recursive: true });
        this.directories.add(directory);
      }
      // A counter keeps names unique when two datasets hold the same file name.
      const link = join(directory, `${this.files.length}.json.gz`);
      await symlink(path, link);
      this.links.set(link, file);
      this.files.push(file);
      this.ordered = null;
      added += 1;
    }
    return added;
  }

  private async createView(): Promise<void> {
    if (!this.partitionPruning) {
      // The glob is expanded by DuckDB at every query: it lists the whole mirror each time.
      await this.readFrom([join(this.mirror, '**', '*.json.gz')]);
      await this.setObjectSize(MIN_OBJECT_SIZE);
      await this.connection.run(`
        CREATE OR REPLACE VIEW cloudtrail_logs AS
        SELECT ${ATHENA_PROJECTION} FROM (${this.fullScanRecords()})`);
      return;
    }
    // Loading in file order would hold every file's rows until the ones before it are in;
    // the runbooks order what they return themselves.
    await this.connection.run('SET preserve_insertion_order = false');
    await this.setObjectSize(MIN_OBJECT_SIZE);
    // The table takes its columns from the projection of an empty file.
    await this.readFrom([this.emptyFile]);
    await this.connection.run(`CREATE TABLE records AS ${this.loadQuery()}`);
    await this.connection.run('CREATE OR REPLACE VIEW cloudtrail_logs AS SELECT * FROM records');
  }

  /** The records of the files in `revoker_log_files`, under Athena's column names. */
  private loadQuery(): string {
    return `SELECT ${ATHENA_PROJECTION}
      FROM (SELECT unnest(Records) AS r, timestamp, account, region FROM ${this.reader(true)})`;
  }

  private reader(hive: boolean): string {
    return `read_json(getvariable('revoker_log_files'), format = 'unstructured', compression = 'gzip',
              maximum_object_size = getvariable('revoker_object_size'), columns = ${RECORD_COLUMNS},
              ${
                hive
                  ? `hive_partitioning = true,
                     hive_types = {'account': VARCHAR, 'region': VARCHAR, 'timestamp': VARCHAR}`
                  : 'hive_partitioning = false, filename = true'
              })`;
  }

  /** The full scan's records, the partition columns derived from each file's name. */
  private fullScanRecords(): string {
    // Tied to the file's content, so DuckDB cannot filter files by name before reading them.
    const partition = (name: string) =>
      `if(Records IS NULL, NULL, url_decode(regexp_extract(filename, '${name}=([^/]+)', 1))) AS ${name}`;
    return `SELECT unnest(Records) AS r, timestamp, account, region
      FROM (SELECT Records, ${partition('timestamp')}, ${partition('account')}, ${partition('region')}
            FROM ${this.reader(false)})`;
  }

  /** Load the records of the files not loaded yet, in one statement (all or none of them). */
  private async load(links: string[]): Promise<void> {
    const pending = links.filter((link) => !this.loaded.has(link));
    if (pending.length === 0) return;
    // Stamped before reading: a write during the read shows as a change at the next query.
    const stamps = pending.map((link) => stampOf(this.links.get(link)!.path));
    await this.readFrom(pending);
    await this.setObjectSize(await largestDocument(pending.map((link) => this.links.get(link)!.path)));
    // One statement: a file that fails to read leaves nothing of the others loaded.
    await this.connection.run(`INSERT INTO records ${this.loadQuery()}`);
    for (const [index, link] of pending.entries()) this.loaded.set(link, stamps[index] ?? '');
  }

  /**
   * CloudTrail never rewrites a log file, but a local log directory is anybody's: a file
   * rewritten, appended to or deleted since it was loaded would answer with rows it no longer
   * holds (a containment check seeing none of an attacker's later calls). When any file the
   * query needs changed, the loaded rows are dropped and read again; a deleted file is
   * forgotten, and found again if it comes back.
   */
  private async forgetChanged(links: string[]): Promise<void> {
    const loaded = links.filter((link) => this.loaded.has(link));
    const stamps = loaded.map((link) => stampOf(this.links.get(link)!.path));
    const changed = loaded.filter((link, index) => stamps[index] !== this.loaded.get(link));
    if (changed.length === 0) return;
    for (const link of changed) {
      const file = this.links.get(link)!;
      // What salvage set aside of the old content says nothing of the new.
      for (let index = this.rejectedRecords.length - 1; index >= 0; index--) {
        if (this.rejectedRecords[index]!.path === file.path) this.rejectedRecords.splice(index, 1);
      }
      const gone = stamps[loaded.indexOf(link)] === null;
      if (!gone && !this.salvaged.has(link)) continue; // the link reads the file as it is now
      await unlink(link);
      this.links.delete(link);
      this.ordered = null;
      if (gone) {
        this.seen.delete(file.path);
        this.listed = null;
      } else {
        // The salvaged copy is of the old content: read the file itself again.
        this.salvaged.delete(link);
        const original = link.replace(/\.kept\.json\.gz$/, '.json.gz');
        await symlink(file.path, original);
        this.links.set(original, file);
      }
    }
    await this.connection.run('DELETE FROM records');
    this.loaded.clear();
  }

  private orderedLinks(): string[] {
    this.ordered ??= [...this.links.keys()].sort();
    return this.ordered;
  }

  /**
   * The files a query needs: those of the partitions its runbook filter names, or every file
   * when it names none. The view holds every file loaded so far, a superset: the query's own
   * partition filter keeps only its window's rows.
   */
  private filesFor(request: QueryRequest): string[] {
    const all = this.orderedLinks();
    const windows = partitionWindows(request.sql, request.parameters);
    if (windows === null) return all;
    return all.filter((link) => {
      const file = this.links.get(link)!;
      return windows.some(
        (window) =>
          file.account === window.account &&
          file.timestamp >= window.startDay &&
          file.timestamp <= window.endDay,
      );
    });
  }

  /**
   * DuckDB's JSON reader holds a buffer of the maximum object size for each file it reads: at
   * a fixed 512 MB, loading thousands of files ran out of memory. Each load asks for what its
   * largest file needs.
   */
  private async setObjectSize(bytes: number): Promise<void> {
    if (bytes === this.objectSize) return;
    await this.connection.run('SET VARIABLE revoker_object_size = ?', [bytes], [BIGINT]);
    this.objectSize = bytes;
  }

  /** Point the reader at these files (at an empty file when there are none). */
  private async readFrom(links: string[]): Promise<void> {
    const files = links.length > 0 ? links : [this.emptyFile];
    const current = this.current;
    if (
      current !== null &&
      current.length === files.length &&
      current.every((file, index) => file === files[index])
    ) {
      return;
    }
    await this.connection.run('SET VARIABLE revoker_log_files = ?', [listValue(files)], [LIST(VARCHAR)]);
    this.current = files;
  }

  /** One query at a time: each loads its files through the shared reader before it runs. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  run(request: QueryRequest): Promise<QueryResult> {
    return this.exclusive(() => this.runAlone(request));
  }

  private async runAlone(request: QueryRequest): Promise<QueryResult> {
    await this.sync();
    return this.setAsideCorruptFiles(request.name, async () => {
      if (this.partitionPruning) {
        await this.forgetChanged(this.filesFor(request));
        await this.load(this.filesFor(request));
      }
      const started = performance.now();
      const reader = await this.connection.runAndReadAll(request.sql, request.parameters);
      const columns = reader.columnNames();
      const types = reader.columnTypes().map(String);
      const rows = reader.getRowObjectsJson().map((row) => {
        const decoded: Record<string, SqlCell> = {};
        columns.forEach((column, index) => {
          decoded[column] = cellFromText(types[index]!, asText(row[column]));
        });
        return decoded;
      });
      return { columns, rows, bytesScanned: null, engineMillis: performance.now() - started };
    });
  }

  /**
   * A file DuckDB cannot read fails the whole read. Keep what `revoker parse` accepts of it
   * (salvage) and try again; when nothing can be kept, set the file aside, name it, and try
   * again without it. Only a failing file pays for this: the normal path reads nothing twice.
   */
  private async setAsideCorruptFiles<T>(name: string, work: () => Promise<T>): Promise<T> {
    // Each failure salvages a file once or removes it, so this ends; the bound is a backstop.
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const culprit = [...this.links.keys()].find((link) => message.includes(link));
        if (!culprit || attempt >= 2 * this.files.length) {
          throw new DuckDbQueryEngineError(`query ${name} failed: ${message}`, { cause: error });
        }
        if (!this.salvaged.has(culprit) && (await this.salvage(culprit))) continue;
        const { path } = this.links.get(culprit)!;
        // DuckDB failed on a salvaged copy too (a record parse accepts but the typed columns
        // do not, say `tlsDetails` as a list): the whole file goes, reported once, as a file.
        for (let index = this.rejectedRecords.length - 1; index >= 0; index--) {
          if (this.rejectedRecords[index]!.path === path) this.rejectedRecords.splice(index, 1);
        }
        this.rejectedFiles.push({
          path,
          reason: firstLine(message.replaceAll(culprit, '<file>')),
        });
        this.links.delete(culprit);
        this.salvaged.delete(culprit);
        this.ordered = null;
        await unlink(culprit);
      }
    }
  }

  /**
   * Replace a log file's mirror link by a gzipped copy holding only the records `revoker
   * parse` accepts, in the same `{"Records": [...]}` shape, and report each record it
   * rejects with the file and the record's position. The records are copied as written, not
   * as parsed, so the copy reads as the original would. Returns false, changing nothing, when
   * the file is not a log file whose JSON parses, or parse rejects no single record of it:
   * then there is nothing to keep apart, and the caller sets the whole file aside.
   */
  private async salvage(link: string): Promise<boolean> {
    const file = this.links.get(link)!;
    const { path } = file;
    let text: string;
    let document: unknown;
    try {
      text = decodeBytes(await readFile(path));
      document = JSON.parse(text);
    } catch {
      return false;
    }
    const records = (document as { Records?: unknown } | null)?.Records;
    if (!Array.isArray(records)) return false;
    const entries = readRecordText(text, path);
    const rejected = entries.filter(
      (entry): entry is Extract<typeof entry, { kind: 'rejected' }> & { index: number } =>
        entry.kind === 'rejected' && entry.index !== null,
    );
    if (rejected.length === 0 || entries.some((entry) => entry.kind === 'rejected' && entry.index === null)) {
      return false;
    }
    const kept = new Set(
      entries.flatMap((entry) => (entry.kind === 'parsed' || entry.kind === 'insight' ? [entry.index] : [])),
    );
    // A new name, so nothing DuckDB remembers of the link's file applies to the copy.
    const copy = link.replace(/\.json\.gz$/, '.kept.json.gz');
    await writeFile(
      copy,
      gzipSync(JSON.stringify({ Records: records.filter((_, index) => kept.has(index)) })),
    );
    await unlink(link);
    this.links.delete(link);
    this.links.set(copy, file);
    this.salvaged.add(copy);
    this.ordered = null;
    for (const { index, reason } of rejected) this.rejectedRecords.push({ path, index, reason });
    return true;
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
    await rm(this.mirror, { recursive: true, force: true });
  }
}

/**
 * What tells a file's content changed without reading it; null when the file is gone. Taken
 * synchronously: a 30-day window is ~17k files, and a stat through the thread pool costs ten
 * times one made in place (~250 ms against ~25 ms per 10k files, measured on a busy machine).
 */
function stampOf(path: string): string | null {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats ? `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}` : null;
}

/** One CloudTrail log file is one JSON object, often larger than DuckDB's 16 MB default. */
const MIN_OBJECT_SIZE = 16 * 1024 * 1024;
const MAX_OBJECT_SIZE = 512 * 1024 * 1024;

/**
 * The object size that fits the largest of these gzipped files, from each file's last four
 * bytes (gzip's uncompressed length): a power of two from 16 MB to 512 MB. A file that lies
 * about its length fails to read and goes to salvage like any unreadable file.
 */
async function largestDocument(paths: string[]): Promise<number> {
  let largest = 0;
  const trailer = Buffer.alloc(4);
  for (const path of paths) {
    const handle = await openFile(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size < 4) continue;
      await handle.read(trailer, 0, 4, size - 4);
      largest = Math.max(largest, trailer.readUInt32LE(0));
    } finally {
      await handle.close();
    }
  }
  let bytes = MIN_OBJECT_SIZE;
  while (bytes < largest && bytes < MAX_OBJECT_SIZE) bytes *= 2;
  return bytes;
}

function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
