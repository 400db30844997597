// A closed case as it leaves revoker for a SIEM or a data lake: the whole record as JSON, and
// the same case as an OCSF Detection Finding. Pure: the close use case writes these to the
// archive (S3 in AWS, files locally) and `revoker cases export` prints them as JSON Lines.
//
// OCSF: schema version 1.1.0, class Detection Finding (class_uid 2004, category Findings 2),
// activity Close (3), with the Cloud profile. Incident Finding (2005) was considered: it needs an
// assignee or assignee group, which an automatic case does not have; a case is one detection
// with its response, which Detection Finding describes. What OCSF has no attribute for (the
// outcome's detail, the trigger call, the timeline of steps and IAM changes) is kept under
// `unmapped`, as OCSF provides for.
import { type Case, type CaseHeader, isOpen, type Outcome } from './case.ts';
import { RULES } from './rules.ts';
import { principalArnOf, type TriggerTarget } from './trigger.ts';

export const EXPORT_FORMATS = ['json', 'ocsf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Names the shape of the JSON document, so a reader can tell versions apart. */
export const CASE_DOCUMENT_FORMAT = 'revoker.case/1';
export const OCSF_VERSION = '1.1.0';

export class CaseExportError extends Error {
  override name = 'CaseExportError';
}

/** The case's full record (header and timeline), without the store's version counter. */
export function caseDocument(record: Case): Record<string, unknown> {
  return { format: CASE_DOCUMENT_FORMAT, header: record.header, entries: record.entries };
}

const SEVERITY_IDS = { low: 2, medium: 3, high: 4, critical: 5 } as const;
const SEVERITY_CAPTIONS = { 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical' } as const;

/**
 * OCSF's finding status for an outcome: contained is Resolved (reviewed and remediated), benign
 * is Suppressed (reviewed, not a threat); every other outcome (needs-human, expired, dry-run...)
 * has no OCSF caption and is Other, with the outcome as its label.
 */
function statusOf(outcome: Outcome): { status_id: number; status: string } {
  if (outcome === 'contained') return { status_id: 4, status: 'Resolved' };
  if (outcome === 'benign') return { status_id: 3, status: 'Suppressed' };
  return { status_id: 99, status: outcome };
}

/** OCSF's resource type for the principal the case is about. */
const RESOURCE_TYPES: Record<TriggerTarget['kind'], string> = {
  'assumed-role': 'AWS::IAM::Role',
  'iam-user': 'AWS::IAM::User',
  root: 'AWS::Account::Root',
  person: 'Person',
  grant: 'AWS::IAM::Policy',
  refinement: 'AWS::IAM::Role',
};

function millis(instant: string): number {
  return Date.parse(instant);
}

function closed(record: Case): CaseHeader & { outcome: Outcome; closedAt: string } {
  const { header } = record;
  if (isOpen(header) || header.closedAt === null)
    throw new CaseExportError(`case ${header.caseId} is still open: only closed cases are exported`);
  return header as CaseHeader & { outcome: Outcome; closedAt: string };
}

/** The closed case as an OCSF 1.1.0 Detection Finding (Close). */
export function ocsfFinding(record: Case): Record<string, unknown> {
  const header = closed(record);
  const { trigger, standing } = header;
  const severityId = SEVERITY_IDS[standing.severity];
  const rule = RULES.find((candidate) => candidate.id === standing.ruleId);
  const principal = principalArnOf(trigger.target);
  const closing = record.entries.findLast((entry) => entry.step === 'close');
  const reason = closing?.step === 'close' ? closing.detail.reason : header.outcome;
  return {
    class_uid: 2004,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: 3,
    activity_name: 'Close',
    type_uid: 2004 * 100 + 3,
    type_name: 'Detection Finding: Close',
    time: millis(header.closedAt),
    severity_id: severityId,
    severity: SEVERITY_CAPTIONS[severityId],
    ...statusOf(header.outcome),
    message: `${header.outcome}: ${reason}`,
    start_time: millis(trigger.eventTime),
    end_time: millis(header.closedAt),
    finding_info: {
      uid: header.caseId,
      title: `${rule?.title ?? trigger.finding?.title ?? standing.ruleId}: ${principal}`,
      desc: reason,
      types: [standing.ruleId],
      analytic: { uid: standing.ruleId, name: standing.ruleId, type_id: 1, type: 'Rule' },
      created_time: millis(header.openedAt),
      first_seen_time: millis(trigger.eventTime),
      last_seen_time: millis(standing.trigger.eventTime),
    },
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'revoker', vendor_name: 'revoker' },
      profiles: ['cloud'],
      uid: header.caseId,
      // Cases before this one for the same credential: a SIEM can follow the chain.
      ...(header.previousCaseId ? { correlation_uid: header.previousCaseId } : {}),
    },
    cloud: {
      provider: 'AWS',
      region: trigger.region,
      account: { uid: trigger.target.accountId, type_id: 10, type: 'AWS Account' },
    },
    api: { operation: trigger.eventName, service: { name: trigger.eventSource } },
    resources: [
      {
        uid: principal,
        type: RESOURCE_TYPES[trigger.target.kind],
        region: trigger.region,
      },
    ],
    unmapped: {
      outcome: header.outcome,
      origin: header.origin,
      response: standing.response,
      revision: header.revision,
      previousCaseId: header.previousCaseId,
      trigger,
      timeline: record.entries,
    },
  };
}

/** The case in a format, as one line of JSON Lines (no newline inside). */
export function exportLine(record: Case, format: ExportFormat): string {
  return canonicalJson(format === 'json' ? caseDocument(record) : ocsfFinding(record));
}

/**
 * The archive's objects for a closed case: its JSON record and its OCSF finding, each under a
 * key made of the day it closed and its ID. Both are fixed once it is closed, and the text is
 * canonical (keys sorted), so a retried close writes the same keys with the same bytes.
 */
export function archiveObjectsFor(record: Case): { key: string; body: string; contentType: string }[] {
  const header = closed(record);
  const day = header.closedAt.slice(0, 10).replaceAll('-', '/');
  return EXPORT_FORMATS.map((format) => ({
    key: `${format}/${day}/${header.caseId}.json`,
    body: `${exportLine(record, format)}\n`,
    contentType: 'application/json',
  }));
}

/** JSON with every object's keys sorted: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
