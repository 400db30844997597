// The runbook catalog: each `.sql` file here, its header parsed into typed parameters.
// Runbooks name their parameters (`:role_arn`); the catalog turns them into positional `?`
// with the values in order, so a value only ever reaches SQL as a bound parameter.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AccountId, Arn, Instant, IpAddress, PartitionDay, Region } from '../domain/shapes.ts';
import type { QueryRequest } from '../ports.ts';

/** Each parameter type, as a validator of the value's shape. */
export const PARAMETER_TYPES = {
  account: AccountId,
  arn: Arn,
  region: Region,
  ip: IpAddress,
  instant: Instant,
  day: PartitionDay,
  // Free text is bound, never spliced, so any content is safe; only its length is capped.
  text: z.string().max(8192, 'at most 8192 characters'),
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

export function parseRunbook(id: string, source: string): Runbook {
  const declared = headerLines(source, 'runbook:')[0];
  if (declared !== id) throw new Error(`runbook ${id}: header names it ${declared ?? 'nothing'}`);
  const parameters = headerLines(source, 'param').map((line) => {
    const match = /^(\w+) (\w+): (.+)$/.exec(line);
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
  return {
    id,
    purpose: headerLines(source, 'purpose:')[0] ?? '',
    parameters,
    outputs,
    reading: headerLines(source, 'reading:')[0] ?? '',
    source,
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

/** Validate every value against its declared type and build the query to send. */
export function bindRunbook(runbook: Runbook, values: Record<string, string>): QueryRequest {
  for (const parameter of runbook.parameters) {
    const value = values[parameter.name];
    if (value === undefined)
      throw new RunbookParameterError(`runbook ${runbook.id}: parameter ${parameter.name} is missing`);
    const checked = PARAMETER_TYPES[parameter.type].safeParse(value);
    if (!checked.success) {
      throw new RunbookParameterError(
        `runbook ${runbook.id}: parameter ${parameter.name} is not ${checked.error.issues[0]?.message ?? parameter.type}`,
      );
    }
  }
  const unknown = Object.keys(values).filter(
    (name) => !runbook.parameters.some((parameter) => parameter.name === name),
  );
  if (unknown.length > 0)
    throw new RunbookParameterError(`runbook ${runbook.id}: unknown parameters ${unknown.join(', ')}`);
  return { name: runbook.id, sql: runbook.sql, parameters: runbook.bindOrder.map((name) => values[name]!) };
}
