// The interfaces the use cases depend on. Adapters live in lib/aws (AWS) and lib/local
// (the embedded default); handlers and the CLI choose which.
import type { AuditRecord } from './domain/audit.ts';
import type { Case, CaseHeader, NewCaseEntry } from './domain/case.ts';
import type { IamAccountState, IamScope } from './domain/iam-state.ts';

export type { IamScope } from './domain/iam-state.ts';

import type { Notification } from './domain/notification.ts';
import type { RevocationAction } from './domain/revocation/actions.ts';

/** A positional `?` parameter. Adapters bind it: DuckDB natively, Athena as a quoted literal. */
export type SqlValue = string | number;

/** One result cell, decoded from the engine's column type; SQL NULL is null. */
import type { SqlCell } from './domain/shapes.ts';

export type { SqlCell };

export interface QueryRequest {
  /** The runbook's name, for logs and errors. */
  name: string;
  sql: string;
  parameters: SqlValue[];
  /**
   * Names this query within its case step (`case-…:verify:2`), so a retried task gets the
   * same query execution rather than a second one. Without it, every run is a new query.
   */
  idempotencyKey?: string;
}

export interface QueryResult {
  columns: string[];
  /** Each row by column name. Numbers and booleans decoded; lists and structs as JSON text. */
  rows: Record<string, SqlCell>[];
  /** Bytes the engine read from storage, when it reports them (Athena does). */
  bytesScanned: number | null;
  engineMillis: number;
}

export interface QueryEngine {
  run(request: QueryRequest): Promise<QueryResult>;
}

export interface Clock {
  now(): Date;
}

/** revoker may not act in that account (it acts only in the accounts it is enrolled in). */
export class AccountNotEnrolledError extends Error {
  override name = 'AccountNotEnrolledError';
}

/** IAM as the revocation engine sees it: read a slice of the account, make one change. */
export interface IamGateway {
  /** The current state of the scope, read fresh (IAM is eventually consistent: it may lag). */
  readState(scope: IamScope): Promise<IamAccountState>;
  /**
   * Make one change from the action catalog in `accountId`. Every change names its account: a
   * gateway refuses one it does not act in (AccountNotEnrolledError) rather than change the
   * principal of that name in another.
   */
  perform(accountId: string, action: RevocationAction): Promise<void>;
  /** How changes in `accountId` are made, for the case's record, when not with revoker's own credentials. */
  actingAs?(accountId: string): string | null;
}

/** A case ID the store has no case for. */
export class CaseNotFoundError extends Error {
  override name = 'CaseNotFoundError';
}

/** A small document with a version, for compare-and-set: pointers, claims and counters. */
export interface VersionedDocument {
  value: unknown;
  version: number;
}

/**
 * The case table: DynamoDB in AWS, files locally. Every write is conditional or idempotent,
 * and every read is strongly consistent, so concurrent steps and retried tasks neither lose
 * nor double anything. The rules of the lifecycle live in lib/domain/case.ts and the use
 * cases; a store only keeps the promises below (the store contract tests hold both stores to them).
 */
export interface CaseStore {
  /** The case, its header's version and its entries in sequence order; null when there is none. */
  get(caseId: string): Promise<Case | null>;
  /** Create the case with version 1; false (and nothing written) when the ID is taken. */
  create(header: CaseHeader): Promise<boolean>;
  /** Replace the header if its version is still `version` (it becomes `version + 1`); false if not. */
  update(caseId: string, version: number, header: CaseHeader): Promise<boolean>;
  /**
   * Append an entry, numbered after every entry before it. An entry with the same ID already on
   * the case is left as it was, and false returned. CaseNotFoundError when there is no case.
   */
  append(caseId: string, entry: NewCaseEntry): Promise<boolean>;
  /** A document by key, read consistently; null when there is none. */
  readDocument(key: string): Promise<VersionedDocument | null>;
  /**
   * Write a document if its version is still `version` (null: only if there is none); the
   * written document's version is one more. False, and nothing written, when the condition fails.
   */
  writeDocument(key: string, value: unknown, version: number | null): Promise<boolean>;
  /** Every case, for people's commands (`revoker cases list`); never on a hot path. */
  list(): Promise<Case[]>;
}

/** One object of the case archive: a key chosen from the case (deterministic) and its text. */
export interface ArchiveObject {
  key: string;
  body: string;
  contentType: string;
}

/**
 * Closed cases kept outside the case table, for a SIEM or a data lake: an S3 bucket in AWS,
 * files locally. Writes create only: an object already under its key is left as it is and
 * `already-archived` returned, so a retried close neither fails nor rewrites what was kept.
 */
export interface CaseArchive {
  put(object: ArchiveObject): Promise<'archived' | 'already-archived'>;
}

/** The archive could not take an object (an outage, a conflicting write): the close is retried. */
export class CaseArchiveError extends Error {
  override name = 'CaseArchiveError';
}

/**
 * Starts one workflow execution per name. Starting a name already started (by a retried or
 * concurrent detect) is not an error and starts nothing: `already-started`.
 */
export interface WorkflowStarter {
  start(name: string, input: unknown): Promise<'started' | 'already-started'>;
}

/**
 * Step Functions' callback API for a task waiting on a token (`waitForTaskToken`): the answer
 * to an escalation reaches the paused execution through it.
 */
export interface TaskCallbacks {
  succeed(token: string, output: unknown): Promise<void>;
  fail(token: string, error: string, cause: string): Promise<void>;
  /** Tells the waiting task someone is on it, resetting its heartbeat timeout. */
  heartbeat(token: string): Promise<void>;
}

/** The token's task is no longer waiting: already answered, timed out, or never issued. */
export class TaskNotWaitingError extends Error {
  override name = 'TaskNotWaitingError';
}

/** Pages people: an SNS topic and a Slack channel in AWS, a file and the console locally. */
export interface Notifier {
  notify(notification: Notification): Promise<void>;
}

/** Events that cannot be used, kept with the reason: an SQS queue in AWS, a file locally. */
export interface DeadLetters {
  send(event: unknown, reason: string): Promise<void>;
}

/** One-time schedules that put an event on the bus: EventBridge Scheduler in AWS, a file locally. */
export interface Scheduler {
  /**
   * Deliver `event` at `at`, once. Scheduling a name again leaves the first schedule as it is.
   * ScheduleInPastError when `at` has passed by the scheduler's own clock: nothing is scheduled.
   */
  scheduleOnce(
    name: string,
    at: Date,
    event: { source: string; detailType: string; detail: unknown },
  ): Promise<void>;
}

/** A one-time schedule asked for a time already past (EventBridge Scheduler refuses `at()` in the past). */
export class ScheduleInPastError extends Error {
  override name = 'ScheduleInPastError';
}

/** A user of the Identity Center identity store, as offboarding needs it. */
export interface DirectoryUser {
  userName: string;
  /** The accounts where the user holds an account assignment. */
  accountIds: string[];
}

/** Identity Center's identity store and assignments: who a user ID is, and where they have access. */
export interface IdentityDirectory {
  /** Null when the store does not know the user (any more). */
  lookUp(identityStoreId: string | null, userId: string): Promise<DirectoryUser | null>;
}

/**
 * A call in one region that CloudTrail records there (STS GetCallerIdentity at the regional
 * endpoint), so that a quiet region's logs still move past a verification cutoff. Locally
 * the simulated world writes the same record.
 */
export interface RegionHeartbeat {
  /** A call revoker makes in `accountId`'s logs of `region` (its own account's, or a member's through its role). */
  ping(region: string, accountId: string): Promise<void>;
}

/** The operator API's decisions, allowed or refused, each with the verified identity: DynamoDB in AWS, a file locally. */
export interface AuditLog {
  /** Append once: a record whose ID is already there is left as it is. */
  record(entry: AuditRecord): Promise<void>;
  /** Every record at or after `since`, oldest first. */
  list(since: Date, until: Date): Promise<AuditRecord[]>;
}

/**
 * The keys approval links are signed with, read at run time: Secrets Manager's AWSCURRENT and
 * AWSPREVIOUS versions of one secret in AWS, a file locally. Links are signed with the current
 * key; a link verifies with the key its ID names while that key is current or previous, so a
 * rotation needs no deploy and keeps open links working until they expire.
 */
export interface SigningKeys {
  /** The key new links are signed with. */
  current(): Promise<import('./domain/approval.ts').SigningKey>;
  /** The current or previous key with this ID; null for any other (retired, or never ours). */
  find(id: string): Promise<import('./domain/approval.ts').SigningKey | null>;
}

/**
 * Where the handlers report what happened to each case: Powertools' JSON logs and CloudWatch
 * metrics (EMF) in AWS, a line on stderr locally (`--verbose`). Reporting never fails a step.
 */
export interface Telemetry {
  record(event: import('./domain/case-events.ts').CaseEvent): void;
}
