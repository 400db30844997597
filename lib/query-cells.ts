// Result cells decoded the same way from either engine: both hand over a column type name
// and the value as text, so a runbook's answer has the same JS types on Athena and DuckDB.
import type { SqlCell } from './ports.ts';

const NUMERIC_TYPES =
  /^(tinyint|smallint|integer|int|bigint|hugeint|utinyint|usmallint|uinteger|ubigint|double|real|float|decimal)\b/i;

/** Decode one cell from its engine's type name and its text (null for SQL NULL). */
export function cellFromText(typeName: string, text: string | null): SqlCell {
  if (text === null) return null;
  if (/^boolean$/i.test(typeName)) return text === 'true';
  if (NUMERIC_TYPES.test(typeName)) {
    const number = Number(text);
    // A 64-bit count beyond 2^53 stays text rather than silently losing digits.
    return Number.isFinite(number) && (Number.isSafeInteger(number) || !/^-?\d+$/.test(text)) ? number : text;
  }
  return text;
}
