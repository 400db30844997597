// Turns one decoded JSON document into CloudTrail records, whatever shape it came in:
// a log file (`{"Records": [...]}`), an array of records, a single record, or an EventBridge
// envelope. Anything else is rejected with a reason; nothing is dropped without a word.
import {
  type CloudTrailEnvelope,
  CloudTrailEnvelopeSchema,
  type CloudTrailInsight,
  CloudTrailInsightEnvelopeSchema,
  CloudTrailInsightSchema,
  type CloudTrailRecord,
  CloudTrailRecordSchema,
  claimsToBeInsight,
  describeIssues,
  envelopeFields,
  isCloudTrailEnvelope,
  isCloudTrailRecord,
} from './cloudtrail.ts';
import { claimsToBeFinding, type FindingEvent, parseFindingEvent } from './findings.ts';
import { type Resolution, resolvePrincipal } from './principal.ts';

export type DocumentShape = 'log-file' | 'record-array' | 'record' | 'eventbridge-envelope';

export interface ParsedRecord {
  kind: 'parsed';
  file: string;
  /** Position of the record in its file, counting across documents in JSON Lines files. */
  index: number;
  /** In a JSON Lines file, the line (from 1) the record was on. */
  line?: number;
  shape: DocumentShape;
  record: CloudTrailRecord;
  principal: Resolution;
  envelope?: Omit<CloudTrailEnvelope, 'detail'>;
  /** Something about the record worth saying though it parsed (an envelope set aside). */
  note?: string;
}

/** A CloudTrail Insights event: kept and counted, but not an API call, so no rule sees it. */
export interface ParsedInsight {
  kind: 'insight';
  file: string;
  index: number;
  line?: number;
  shape: DocumentShape;
  insight: CloudTrailInsight;
}

/** A GuardDuty or Security Hub findings event: read by `replay` as detect reads it (findings.ts). */
export interface ParsedFinding {
  kind: 'finding';
  file: string;
  index: number;
  line?: number;
  shape: DocumentShape;
  finding: FindingEvent;
}

export interface Rejection {
  kind: 'rejected';
  file: string;
  /**
   * The record's position, or null when a whole document was rejected: then `line` says which
   * line of a JSON Lines file it was, and without a line the document is the whole file.
   */
  index: number | null;
  line?: number;
  reason: string;
}

export type DocumentEntry = ParsedRecord | ParsedInsight | ParsedFinding | Rejection;

export const NOT_CLOUDTRAIL = 'not a CloudTrail record, log file or EventBridge envelope';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function looksLikeRecord(value: Record<string, unknown>): boolean {
  return 'eventVersion' in value || 'eventName' in value || 'eventTime' in value || 'eventSource' in value;
}

function looksLikeEnvelope(value: Record<string, unknown>): boolean {
  return 'detail' in value && ('detail-type' in value || 'source' in value);
}

/** Validate one record (an API call, or an Insights event) and resolve its principal. */
export function parseRecord(
  value: unknown,
  file: string,
  index: number,
  shape: DocumentShape,
): DocumentEntry {
  if (claimsToBeInsight(value)) {
    const insight = CloudTrailInsightSchema.safeParse(value);
    if (!insight.success) {
      return {
        kind: 'rejected',
        file,
        index,
        reason: `invalid CloudTrail Insights event: ${describeIssues(insight.error)}`,
      };
    }
    return { kind: 'insight', file, index, shape, insight: insight.data };
  }
  // The record as it came when the hand-written check accepts it; the schema otherwise.
  let record: CloudTrailRecord;
  if (isCloudTrailRecord(value)) record = value;
  else {
    const result = CloudTrailRecordSchema.safeParse(value);
    if (!result.success) {
      return { kind: 'rejected', file, index, reason: `invalid record: ${describeIssues(result.error)}` };
    }
    record = result.data;
  }
  return {
    kind: 'parsed',
    file,
    index,
    shape,
    record,
    principal: resolvePrincipal(record.userIdentity, record),
  };
}

export interface EnvelopeOptions {
  /**
   * Judge the detail on its own when the envelope around it is not as EventBridge writes it
   * (no `version`, a `source` that does not name the detail's service). Only for material
   * read from files (parse, replay, the local engine), which the operator brought and which
   * is trusted as much as a log file is. Never for events taken off the bus: there the
   * envelope's `aws.<service>` source is what proves AWS wrote the event (detect is strict).
   */
  lenient?: boolean;
}

/** Validate an EventBridge envelope carrying a CloudTrail record, an Insights event or findings. */
export function parseEnvelope(
  value: unknown,
  file: string,
  index: number,
  options: EnvelopeOptions = {},
): DocumentEntry {
  if (claimsToBeFinding(value)) {
    const finding = parseFindingEvent(value);
    return 'rejected' in finding
      ? { kind: 'rejected', file, index, reason: finding.rejected }
      : { kind: 'finding', file, index, shape: 'eventbridge-envelope', finding };
  }
  const carried = isObject(value) ? value.detail : undefined;
  if (claimsToBeInsight(carried)) {
    const insight = CloudTrailInsightEnvelopeSchema.safeParse(value);
    if (insight.success)
      return { kind: 'insight', file, index, shape: 'eventbridge-envelope', insight: insight.data.detail };
    if (!options.lenient) {
      return {
        kind: 'rejected',
        file,
        index,
        reason: `invalid EventBridge envelope: ${describeIssues(insight.error)}`,
      };
    }
    return parseRecord(carried, file, index, 'eventbridge-envelope');
  }
  // The hand check on the hot path; the schema only for what it refuses (and to say why).
  let checked: CloudTrailEnvelope;
  if (isCloudTrailEnvelope(value)) checked = value;
  else {
    const result = CloudTrailEnvelopeSchema.safeParse(value);
    if (!result.success) {
      const reason = `invalid EventBridge envelope: ${describeIssues(result.error)}`;
      if (options.lenient && carried !== undefined) {
        const inner = parseRecord(carried, file, index, 'eventbridge-envelope');
        if (inner.kind === 'parsed')
          return { ...inner, note: `${reason}; its detail was read as a record on its own` };
      }
      return { kind: 'rejected', file, index, reason };
    }
    checked = result.data;
  }
  const { detail } = checked;
  return {
    kind: 'parsed',
    file,
    index,
    shape: 'eventbridge-envelope',
    record: detail,
    principal: resolvePrincipal(detail.userIdentity, detail),
    envelope: envelopeFields(checked),
  };
}

/**
 * The schema's own verdict on a CloudTrail envelope, for where a record is acted on (a case
 * opened or joined): the hot path checked it by hand, and CloudTrail fields are partly
 * attacker-written, so the schema judges it again before it reaches a case.
 */
export function validateEnvelope(value: unknown): { record: CloudTrailRecord } | { rejected: string } {
  const result = CloudTrailEnvelopeSchema.safeParse(value);
  return result.success
    ? { record: result.data.detail }
    : { rejected: `invalid EventBridge envelope: ${describeIssues(result.error)}` };
}

/** The same for a record read from a file (replay): the schema's verdict before it counts as a case. */
export function validateRecord(value: unknown): { record: CloudTrailRecord } | { rejected: string } {
  const result = CloudTrailRecordSchema.safeParse(value);
  return result.success
    ? { record: result.data }
    : { rejected: `invalid record: ${describeIssues(result.error)}` };
}

/**
 * Split a document read from a file into records. `firstIndex` numbers records after those
 * of earlier documents in the same file. Envelopes are judged leniently (EnvelopeOptions).
 */
export function readDocument(document: unknown, file: string, firstIndex = 0): DocumentEntry[] {
  if (Array.isArray(document)) {
    if (!document.some((item) => isObject(item) && (looksLikeRecord(item) || looksLikeEnvelope(item)))) {
      return [{ kind: 'rejected', file, index: null, reason: NOT_CLOUDTRAIL }];
    }
    return document.map((item, offset) =>
      isObject(item) && looksLikeEnvelope(item)
        ? parseEnvelope(item, file, firstIndex + offset, { lenient: true })
        : parseRecord(item, file, firstIndex + offset, 'record-array'),
    );
  }
  if (!isObject(document)) {
    return [{ kind: 'rejected', file, index: null, reason: 'document is not a JSON object or array' }];
  }
  if ('Records' in document) {
    if (!Array.isArray(document.Records)) {
      return [{ kind: 'rejected', file, index: null, reason: 'log file whose Records is not an array' }];
    }
    return document.Records.map((item, offset) => parseRecord(item, file, firstIndex + offset, 'log-file'));
  }
  if (looksLikeEnvelope(document)) return [parseEnvelope(document, file, firstIndex, { lenient: true })];
  if (looksLikeRecord(document)) return [parseRecord(document, file, firstIndex, 'record')];
  if (document.Type === 'Notification' && 'TopicArn' in document) {
    return [{ kind: 'rejected', file, index: null, reason: describeNotification(document) }];
  }
  // Published samples are sometimes wrapped with their provenance: `{source, json}`, or
  // `{source, parse_ok: false, raw}` when the original text is not valid JSON.
  if ('source' in document && 'json' in document) return readDocument(document.json, file, firstIndex);
  if ('source' in document && document.parse_ok === false) {
    return [
      { kind: 'rejected', file, index: firstIndex, reason: 'sample that is not valid JSON in its source' },
    ];
  }
  return [{ kind: 'rejected', file, index: null, reason: NOT_CLOUDTRAIL }];
}

/** CloudTrail's SNS "log file delivered" notification points at log files; it holds no records. */
function describeNotification(document: Record<string, unknown>): string {
  if (typeof document.Message !== 'string') return 'SNS notification without a Message';
  try {
    const message: unknown = JSON.parse(document.Message);
    if (isObject(message) && Array.isArray(message.s3ObjectKey)) {
      return 'CloudTrail delivery notification: names log files in S3, holds no records';
    }
  } catch {
    // falls through to the generic reason
  }
  return 'SNS notification whose Message is not a CloudTrail delivery notice';
}
