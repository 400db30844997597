// Counts what a parse run saw, so every record is accounted for: parsed or rejected, never lost.
import type { DocumentEntry, DocumentShape, Rejection } from './documents.ts';
import type { PrincipalKind } from './principal.ts';

export interface ParseSummary {
  files: number;
  skippedFiles: { file: string; reason: string }[];
  /** Records and whole documents seen: parsed + insights + findings + rejected. */
  read: number;
  parsed: number;
  /** CloudTrail Insights events: read and kept, but not API calls, so no rule sees them. */
  insights: number;
  /** GuardDuty and Security Hub findings events: read and kept for replay, not CloudTrail calls. */
  findings: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  rejections: Rejection[];
  shapes: Partial<Record<DocumentShape, number>>;
  principalsByKind: Partial<Record<PrincipalKind, number>>;
  unresolvedPrincipals: Record<string, number>;
  /** Records that parsed with something to say (an envelope set aside, the detail read alone). */
  notes: { file: string; index: number; line?: number; note: string }[];
}

export function emptySummary(): ParseSummary {
  return {
    files: 0,
    skippedFiles: [],
    read: 0,
    parsed: 0,
    insights: 0,
    findings: 0,
    rejected: 0,
    rejectedByReason: {},
    rejections: [],
    shapes: {},
    principalsByKind: {},
    unresolvedPrincipals: {},
    notes: [],
  };
}

function increment<K extends string>(counts: Partial<Record<K, number>>, key: K): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

export function addEntry(summary: ParseSummary, entry: DocumentEntry): void {
  summary.read += 1;
  if (entry.kind === 'rejected') {
    summary.rejected += 1;
    summary.rejections.push(entry);
    increment(summary.rejectedByReason, entry.reason);
    return;
  }
  increment(summary.shapes, entry.shape);
  if (entry.kind === 'insight') {
    summary.insights += 1;
    return;
  }
  if (entry.kind === 'finding') {
    summary.findings += 1;
    return;
  }
  summary.parsed += 1;
  if (entry.note !== undefined) {
    const { file, index, line, note } = entry;
    summary.notes.push(line === undefined ? { file, index, note } : { file, index, line, note });
  }
  if (entry.principal.ok) increment(summary.principalsByKind, entry.principal.principal.kind);
  else increment(summary.unresolvedPrincipals, entry.principal.reason);
}

function addCounts<K extends string>(
  into: Partial<Record<K, number>>,
  from: Partial<Record<K, number>>,
): void {
  for (const [key, count] of Object.entries(from) as [K, number][]) into[key] = (into[key] ?? 0) + count;
}

/**
 * Add `later`'s counts to `summary`, as if its files had been read after those already counted:
 * lists run on in order, and counts keyed by a name keep the order names were first seen in.
 */
export function mergeSummary(summary: ParseSummary, later: ParseSummary): void {
  summary.files += later.files;
  summary.skippedFiles.push(...later.skippedFiles);
  summary.read += later.read;
  summary.parsed += later.parsed;
  summary.insights += later.insights;
  summary.findings += later.findings;
  summary.rejected += later.rejected;
  addCounts(summary.rejectedByReason, later.rejectedByReason);
  summary.rejections.push(...later.rejections);
  addCounts(summary.shapes, later.shapes);
  addCounts(summary.principalsByKind, later.principalsByKind);
  addCounts(summary.unresolvedPrincipals, later.unresolvedPrincipals);
  summary.notes.push(...later.notes);
}
