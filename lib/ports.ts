// The interfaces the use cases depend on. Adapters live in lib/aws (AWS) and lib/local
// (the embedded default); handlers and the CLI choose which.
import type { IamAccountState, IamScope } from './domain/iam-state.ts';

export type { IamScope } from './domain/iam-state.ts';

import type { Notification } from './domain/notification.ts';
import type { RevocationAction } from './domain/revocation/actions.ts';

/** A positional `?` parameter. Adapters bind it: DuckDB natively, Athena as a quoted literal. */
export type SqlValue = string | number;

/** One result cell, decoded from the engine's column type; SQL NULL is null. */
export type SqlCell = string | number | boolean | null;

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

/** IAM as the revocation engine sees it: read a slice of the account, make one change. */
export interface IamGateway {
  /** The current state of the scope, read fresh (IAM is eventually consistent: it may lag). */
  readState(scope: IamScope): Promise<IamAccountState>;
  /** Make one change from the action catalog. */
  perform(action: RevocationAction): Promise<void>;
}

/** One line of a case's audit trail. */
export interface AuditEntry {
  at: string;
  step: string;
  summary: string;
  detail?: unknown;
}

export interface CaseRecord {
  caseId: string;
  openedAt: string;
  trigger: unknown;
  audit: AuditEntry[];
  outcome: string | null;
}

export interface CaseStore {
  get(caseId: string): Promise<CaseRecord | null>;
  /** Create the case, or append to it if it exists (a retried task must not lose entries). */
  append(
    caseId: string,
    init: Omit<CaseRecord, 'audit' | 'outcome'>,
    entry: AuditEntry,
    outcome?: string,
  ): Promise<CaseRecord>;
  list(): Promise<CaseRecord[]>;
}

/** Starts one workflow execution per name; a name already used is not started again. */
export interface WorkflowStarter {
  start(name: string, input: unknown): Promise<'started' | 'already-open'>;
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
  /** Deliver `event` at `at`, once. Scheduling a name again leaves the first schedule as it is. */
  scheduleOnce(
    name: string,
    at: Date,
    event: { source: string; detailType: string; detail: unknown },
  ): Promise<void>;
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
