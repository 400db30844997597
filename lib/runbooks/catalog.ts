// The runbook catalog: each `.sql` file here, its header parsed into typed parameters.
// Runbooks name their parameters (`:role_arn`); the catalog turns them into positional `?`
// with the values in order, so a value only ever reaches SQL as a bound parameter.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import {
  AccessKeyId,
  AccountId,
  Arn,
  Instant,
  IpAddress,
  PartitionDay,
  PersonName,
  Region,
  RoleSessionName,
} from '../domain/shapes.ts';
import { Duration, durationSeconds, toPartitionDay } from '../domain/time.ts';
import type { QueryRequest, SqlValue } from '../ports.ts';

/** Athena's limit on one `ExecutionParameters` entry, which is the value as a SQL literal. */
export const MAX_PARAMETER_LITERAL = 1024;

/** A string as SQL literal text: single quotes around it, each quote inside doubled. */
export function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const FreeText = z
  .string()
  .refine((value) => !value.includes('\u0000'), 'text without NUL characters')
  .refine(
    (value) => sqlLiteral(value).length <= MAX_PARAMETER_LITERAL,
    `text of at most ${MAX_PARAMETER_LITERAL} characters once quoted (Athena's limit per parameter)`,
  );

const Integer = z.string().regex(/^\d{1,9}$/, 'a whole number of at most 9 digits');

function asText(value: string): SqlValue {
  return value;
}

/**
 * Each parameter type: the shape a value must have, and how it is bound. Free text is bound,
 * never spliced, so any content is safe; only its length is capped.
 */
export const PARAMETER_TYPES = {
  account: { shape: AccountId, bind: asText },
  arn: { shape: Arn, bind: asText },
  region: { shape: Region, bind: asText },
  ip: { shape: IpAddress, bind: asText },
  'access-key': { shape: AccessKeyId, bind: asText },
  'session-name': { shape: RoleSessionName, bind: asText },
  'iam-name': { shape: PersonName, bind: asText },
  instant: { shape: Instant, bind: asText },
  day: { shape: PartitionDay, bind: asText },
  /** Bound as a number of seconds. */
  duration: { shape: Duration, bind: (value: string): SqlValue => durationSeconds(value) },
  integer: { shape: Integer, bind: (value: string): SqlValue => Number(value) },
  text: { shape: FreeText, bind: asText },
} as const;
export type ParameterType = keyof typeof PARAMETER_TYPES;

export interface RunbookParameter {
  name: string;
  type: ParameterType;
  description: string;
}

export interface Runbook {
  id: string;
  purpose: string;
  parameters: RunbookParameter[];
  outputs: { name: string; description: string }[];
  reading: string;
  /** The SQL as written, with named parameters. */
  source: string;
  /** SHA-256 of the runbook's file: which text of it a run ran (runbooks change only through the repository). */
  contentHash: string;
  /** The SQL with positional `?`, and the parameter name bound to each, in order. */
  sql: string;
  bindOrder: string[];
}

export class RunbookParameterError extends Error {
  override name = 'RunbookParameterError';
}

// Beside this module in the source tree; in a Lambda bundle, the build copies them to ./runbooks.
const HERE = dirname(fileURLToPath(import.meta.url));
const RUNBOOK_DIRECTORY = existsSync(join(HERE, 'runbooks')) ? join(HERE, 'runbooks') : HERE;

/** Replace `:name` outside string literals and comments with `?`, recording the order. */
export function positionalize(source: string): { sql: string; bindOrder: string[] } {
  const bindOrder: string[] = [];
  let sql = '';
  let index = 0;
  while (index < source.length) {
    const char = source[index]!;
    if (char === "'") {
      const end = source.indexOf("'", index + 1);
      const stop = end === -1 ? source.length : end + 1;
      sql += source.slice(index, stop);
      index = stop;
    } else if (char === '-' && source[index + 1] === '-') {
      const end = source.indexOf('\n', index);
      const stop = end === -1 ? source.length : end;
      sql += source.slice(index, stop);
      index = stop;
    } else if (
      char === ':' &&
      source[index + 1] !== ':' &&
      source[index - 1] !== ':' &&
      /[a-z_]/.test(source[index + 1] ?? '')
    ) {
      const name = /^[a-z_][a-z0-9_]*/.exec(source.slice(index + 1))![0];
      bindOrder.push(name);
      sql += '?';
      index += 1 + name.length;
    } else {
      sql += char;
      index += 1;
    }
  }
  return { sql, bindOrder };
}

function headerLines(source: string, tag: string): string[] {
  // A tag's text may continue on following `--   ` lines.
  const lines = source.split('\n').filter((line) => line.startsWith('--'));
  const found: string[] = [];
  let current: string | null = null;
  for (const line of lines) {
    const body = line.slice(2);
    const tagged = new RegExp(`^ ${tag} (.*)$`).exec(body);
    if (tagged) {
      if (current !== null) found.push(current);
      current = tagged[1]!;
    } else if (current !== null && /^ {3,}\S/.test(body)) {
      current += ` ${body.trim()}`;
    } else if (current !== null) {
      found.push(current);
      current = null;
    }
  }
  if (current !== null) found.push(current);
  return found;
}

/**
 * How many reads of the table do not start their WHERE with the partition filter. Each read
 * must name the days and the account, so Athena scans only those partitions.
 */
export function unfilteredReads(source: string): number {
  const code = source
    .split('\n')
    .map((line) => line.replace(/--.*$/, ''))
    .join('\n');
  const reads = code.split(/\bFROM cloudtrail_logs\b/).slice(1);
  return reads.filter((read) => !/^\s+WHERE timestamp BETWEEN :\w+ AND :\w+\s+AND account = :\w+/.test(read))
    .length;
}

export function parseRunbook(id: string, source: string): Runbook {
  const declared = headerLines(source, 'runbook:')[0];
  if (declared !== id) throw new Error(`runbook ${id}: header names it ${declared ?? 'nothing'}`);
  const parameters = headerLines(source, 'param').map((line) => {
    const match = /^(\w+) ([\w-]+): (.+)$/.exec(line);
    if (!match || !(match[2]! in PARAMETER_TYPES))
      throw new Error(`runbook ${id}: bad parameter line "${line}"`);
    return { name: match[1]!, type: match[2] as ParameterType, description: match[3]! };
  });
  const outputs = headerLines(source, 'output').map((line) => {
    const [name, ...rest] = line.split(':');
    return { name: name!.trim(), description: rest.join(':').trim() };
  });
  const { sql, bindOrder } = positionalize(source);
  const declaredNames = new Set(parameters.map((parameter) => parameter.name));
  for (const name of bindOrder) {
    if (!declaredNames.has(name))
      throw new Error(`runbook ${id}: :${name} is used but not declared in the header`);
  }
  const unfiltered = unfilteredReads(source);
  if (unfiltered > 0) {
    throw new Error(
      `runbook ${id}: ${unfiltered} read(s) of cloudtrail_logs lack "WHERE timestamp BETWEEN :a AND :b AND account = :x"`,
    );
  }
  return {
    id,
    purpose: headerLines(source, 'purpose:')[0] ?? '',
    parameters,
    outputs,
    reading: headerLines(source, 'reading:')[0] ?? '',
    source,
    contentHash: createHash('sha256').update(source).digest('hex'),
    sql,
    bindOrder,
  };
}

export function loadRunbooks(directory = RUNBOOK_DIRECTORY): Map<string, Runbook> {
  const runbooks = new Map<string, Runbook>();
  for (const file of readdirSync(directory)
    .filter((name) => name.endsWith('.sql'))
    .sort()) {
    const id = file.replace(/\.sql$/, '');
    runbooks.set(id, parseRunbook(id, readFileSync(join(directory, file), 'utf8')));
  }
  return runbooks;
}

export class RunbookMissingError extends Error {
  override name = 'RunbookMissingError';
}

export function requireRunbook(runbooks: Map<string, Runbook>, id: string): Runbook {
  const runbook = runbooks.get(id);
  if (!runbook) throw new RunbookMissingError(`runbook ${id} is not in the catalog`);
  return runbook;
}

/**
 * Validate every value against its declared type and build the query to send. A partition
 * day `<name>_day` left out is derived from the instant `<name>`, so callers give times only.
 */
export function bindRunbook(
  runbook: Runbook,
  given: Record<string, string>,
  idempotencyKey?: string,
): QueryRequest {
  const values = withDerivedDays(runbook, given);
  const unknown = Object.keys(values).filter(
    (name) => !runbook.parameters.some((parameter) => parameter.name === name),
  );
  if (unknown.length > 0)
    throw new RunbookParameterError(`runbook ${runbook.id}: unknown parameters ${unknown.join(', ')}`);
  const bound = new Map<string, SqlValue>();
  for (const parameter of runbook.parameters) {
    const value = values[parameter.name];
    if (value === undefined)
      throw new RunbookParameterError(`runbook ${runbook.id}: parameter ${parameter.name} is missing`);
    const type = PARAMETER_TYPES[parameter.type];
    const checked = type.shape.safeParse(value);
    if (!checked.success) {
      throw new RunbookParameterError(
        `runbook ${runbook.id}: parameter ${parameter.name} is not ${checked.error.issues[0]?.message ?? parameter.type}`,
      );
    }
    bound.set(parameter.name, type.bind(value));
  }
  return {
    name: runbook.id,
    sql: runbook.sql,
    parameters: runbook.bindOrder.map((name) => bound.get(name)!),
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  };
}

function withDerivedDays(runbook: Runbook, given: Record<string, string>): Record<string, string> {
  const values = { ...given };
  // CloudTrail's times have whole seconds; JavaScript's toISOString() adds milliseconds. A time
  // given with them is taken to its second (the logs hold nothing finer to compare against).
  for (const parameter of runbook.parameters) {
    const value = values[parameter.name];
    if (parameter.type === 'instant' && value !== undefined)
      values[parameter.name] = value.replace(/^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.\d{1,9}Z$/, '$1Z');
  }
  for (const parameter of runbook.parameters) {
    if (parameter.type !== 'day' || values[parameter.name] !== undefined) continue;
    const instant = values[parameter.name.replace(/_day$/, '')];
    if (parameter.name.endsWith('_day') && instant !== undefined && Instant.safeParse(instant).success) {
      values[parameter.name] = toPartitionDay(new Date(instant));
    }
  }
  return values;
}
