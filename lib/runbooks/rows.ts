// Reading runbook result cells with the type the runbook's header promises. A cell of the
// wrong type means the SQL and its reader disagree: fail loudly rather than guess.
import type { SqlCell } from '../ports.ts';

export class RunbookResultError extends Error {
  override name = 'RunbookResultError';
}

export function countIn(row: Record<string, SqlCell> | undefined, column: string): number {
  const value = row?.[column];
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  throw new RunbookResultError(`column ${column} should hold a count, found ${JSON.stringify(value)}`);
}

export function textIn(row: Record<string, SqlCell> | undefined, column: string): string | null {
  const value = row?.[column];
  if (value === null || typeof value === 'string') return value;
  throw new RunbookResultError(`column ${column} should hold text, found ${JSON.stringify(value)}`);
}
