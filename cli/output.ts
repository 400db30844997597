// Small helpers for what the CLI prints.
import type { SqlCell } from '../lib/ports.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns, two spaces apart, indented by two. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [column, cell] of row.entries()) widths[column] = Math.max(widths[column] ?? 0, cell.length);
  }
  return rows
    .map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`.trimEnd())
    .join('\n');
}

/**
 * Log fields are attacker-chosen: show control and direction-changing characters as escapes
 * so a user agent cannot rewrite the terminal. Long cells are cut in the table (not in --json).
 */
export function printable(cell: SqlCell, width = 80): string {
  if (cell === null) return '-';
  const text = String(cell).replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u{${char.codePointAt(0)!.toString(16)}}`,
  );
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

export { plural } from '../lib/domain/words.ts';
