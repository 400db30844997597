// The local stand-in for Athena: DuckDB reading CloudTrail log files laid out as CloudTrail
// writes them to S3, behind a `cloudtrail_logs` view with the Athena table's column names,
// so the same SQL text runs here and on Athena.
//
// Partition pruning: DuckDB prunes files on Hive-style `key=value` directories, so the engine
// mirrors each log file into a private tree of symbolic links
// `account=…/region=…/timestamp=YYYY%2FMM%2FDD/…`. DuckDB decodes the values, and a filter on
// `timestamp`, `account` or `region` then reads only the matching files.
import { mkdir, mkdtemp, rm, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { QueryEngine, QueryRequest, QueryResult, SqlCell } from '../ports.ts';
import { cellFromText } from '../query-cells.ts';
import { listFiles } from './record-files.ts';

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
  'CREATE MACRO json_extract_scalar(doc, path) AS json_extract_string(doc, path)',
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

  /** Every CloudTrail log file mirrored so far. */
  readonly files: LogFile[] = [];
  /** Mirror link → original path, for files still in use. */
  private readonly links = new Map<string, string>();
  private readonly seen = new Set<string>();
  private viewCreated = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly root: string,
    private readonly mirror: string,
    private readonly partitionPruning: boolean,
  ) {}

  /**
   * Open an engine over every CloudTrail log file below `root`. `partitionPruning: false`
   * derives the partition columns from each file's name instead, so every query reads every
   * file: the full-scan baseline the benchmark compares against, with the same answers.
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
    for (const path of await listFiles([this.root])) {
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
      await mkdir(directory, { recursive: true });
      // A counter keeps names unique when two datasets hold the same file name.
      const link = join(directory, `${this.files.length}.json.gz`);
      await symlink(path, link);
      this.links.set(link, path);
      this.files.push(file);
      added += 1;
    }
    // The view's source changes from "no files" to the glob once the first file arrives.
    if (added > 0 && this.files.length === added && this.viewCreated) await this.createView();
    return added;
  }

  private async createView(): Promise<void> {
    // One CloudTrail log file is one JSON object, often larger than DuckDB's 16 MB default.
    const source =
      this.files.length > 0 && this.partitionPruning
        ? `read_json('${this.mirror}/**/*.json.gz', format = 'unstructured', compression = 'gzip',
             maximum_object_size = 536870912, hive_partitioning = true,
             hive_types = {'account': VARCHAR, 'region': VARCHAR, 'timestamp': VARCHAR},
             columns = ${RECORD_COLUMNS})`
        : this.files.length > 0
          ? // Tied to the file's content, so DuckDB cannot filter files by name before reading them.
            `(SELECT Records,
                     if(Records IS NULL, NULL, url_decode(regexp_extract(filename, 'timestamp=([^/]+)', 1))) AS timestamp,
                     if(Records IS NULL, NULL, url_decode(regexp_extract(filename, 'account=([^/]+)', 1))) AS account,
                     if(Records IS NULL, NULL, url_decode(regexp_extract(filename, 'region=([^/]+)', 1))) AS region
              FROM read_json('${this.mirror}/**/*.json.gz', format = 'unstructured', compression = 'gzip',
                             maximum_object_size = 536870912, hive_partitioning = false,
                             filename = true, columns = ${RECORD_COLUMNS}))`
          : `(SELECT NULL::${RECORD_COLUMNS.slice('{Records: '.length + 1, -2)} AS Records,
                   NULL::VARCHAR AS timestamp, NULL::VARCHAR AS account, NULL::VARCHAR AS region WHERE false)`;
    // DuckDB binds the view by reading a file, so a corrupt one can fail here too.
    await this.setAsideCorruptFiles('create view', () =>
      this.connection.run(`
      CREATE OR REPLACE VIEW cloudtrail_logs AS
      SELECT ${ATHENA_PROJECTION}
      FROM (SELECT unnest(Records) AS r, timestamp, account, region FROM ${source})`),
    );
    this.viewCreated = true;
  }

  async run(request: QueryRequest): Promise<QueryResult> {
    await this.sync();
    return this.setAsideCorruptFiles(request.name, async () => {
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

  /** A corrupt file fails the whole read: set it aside, name it, and try again without it. */
  private async setAsideCorruptFiles<T>(name: string, work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const culprit = [...this.links.keys()].find((link) => message.includes(link));
        if (!culprit || attempt >= this.files.length) {
          throw new DuckDbQueryEngineError(`query ${name} failed: ${message}`, { cause: error });
        }
        this.rejectedFiles.push({
          path: this.links.get(culprit)!,
          reason: firstLine(message.replaceAll(culprit, '<file>')),
        });
        this.links.delete(culprit);
        await unlink(culprit);
      }
    }
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
    await rm(this.mirror, { recursive: true, force: true });
  }
}

function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
