// Which partitions a query reads, from its text and bound values, so the local engine hands
// DuckDB only those log files. Runbooks start every read's WHERE with
// `timestamp BETWEEN ? AND ? AND account = ?` (the catalog checks it); a read in that shape,
// whose WHERE has no OR beside those conditions, needs only the files of that account and
// those days. Any other read of the table needs every file.
import type { SqlValue } from '../ports.ts';

export interface PartitionWindow {
  /** First and last partition day, `yyyy/MM/dd`, inclusive. */
  startDay: string;
  endDay: string;
  account: string;
}

const TABLE = 'cloudtrail_logs';

const PARTITION_PREFIX = /^\s+WHERE\s+timestamp\s+BETWEEN\s+\?\s+AND\s+\?\s+AND\s+account\s*=\s*\?/i;

/** Words that end a WHERE clause at its own nesting depth. */
const CLAUSE_END = new Set([
  'GROUP',
  'HAVING',
  'WINDOW',
  'QUALIFY',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'UNION',
  'EXCEPT',
  'INTERSECT',
]);

interface Token {
  kind: 'word' | 'placeholder' | 'open' | 'close' | 'end' | 'other';
  text: string;
  start: number;
  end: number;
}

/** The query's tokens outside string literals, quoted identifiers and comments. */
function tokenize(sql: string): Token[] | null {
  const tokens: Token[] = [];
  let index = 0;
  while (index < sql.length) {
    const char = sql[index]!;
    const start = index;
    if (char === "'" || char === '"') {
      // A doubled quote inside is an escaped one: the loop simply continues past it.
      const close = sql.indexOf(char, index + 1);
      if (close === -1) return null;
      index = close + 1;
    } else if (char === '-' && sql[index + 1] === '-') {
      const close = sql.indexOf('\n', index);
      index = close === -1 ? sql.length : close + 1;
    } else if (char === '/' && sql[index + 1] === '*') {
      const close = sql.indexOf('*/', index + 2);
      if (close === -1) return null;
      index = close + 2;
    } else if (/[A-Za-z_]/.test(char)) {
      const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(index))![0];
      index += word.length;
      tokens.push({ kind: 'word', text: word, start, end: index });
    } else if (char === '?') {
      index += 1;
      tokens.push({ kind: 'placeholder', text: char, start, end: index });
    } else if (char === '$') {
      // Numbered or named parameters: their order is not the text's, so nothing is pruned.
      return null;
    } else if (char === '(' || char === ')' || char === ';') {
      index += 1;
      tokens.push({
        kind: char === '(' ? 'open' : char === ')' ? 'close' : 'end',
        text: char,
        start,
        end: index,
      });
    } else {
      index += 1;
      if (!/\s/.test(char)) tokens.push({ kind: 'other', text: char, start, end: index });
    }
  }
  return tokens;
}

/**
 * The partition window of each read of `cloudtrail_logs` in the query, or null when some read
 * may need any file (it does not start its WHERE with the partition filter, its WHERE has a
 * top-level OR, or its bound values are not plain text).
 */
export function partitionWindows(sql: string, parameters: readonly SqlValue[]): PartitionWindow[] | null {
  const tokens = tokenize(sql);
  if (tokens === null) return null;
  const windows: PartitionWindow[] = [];
  let placeholders = 0;
  for (let position = 0; position < tokens.length; position++) {
    const token = tokens[position]!;
    if (token.kind === 'placeholder') placeholders += 1;
    if (token.kind !== 'word' || token.text.toLowerCase() !== TABLE) continue;
    const prefix = PARTITION_PREFIX.exec(sql.slice(token.end));
    if (!prefix) return null;
    const [startDay, endDay, account] = parameters.slice(placeholders, placeholders + 3);
    if (
      ![startDay, endDay, account].every((value) => typeof value === 'string' && /^[\x20-\x7e]*$/.test(value))
    ) {
      return null;
    }
    // Skip the prefix's tokens, then the rest of this WHERE: any OR at its depth could let
    // rows of other partitions through.
    const prefixEnd = token.end + prefix[0].length;
    let cursor = position + 1;
    while (cursor < tokens.length && tokens[cursor]!.start < prefixEnd) cursor += 1;
    // `account = ? AND …`, or the clause ends: nothing may bind to the last value (`IS NULL`, `||`).
    const follower = tokens[cursor];
    if (
      follower !== undefined &&
      follower.kind !== 'close' &&
      follower.kind !== 'end' &&
      !(
        follower.kind === 'word' &&
        (follower.text.toUpperCase() === 'AND' || CLAUSE_END.has(follower.text.toUpperCase()))
      )
    ) {
      return null;
    }
    let depth = 0;
    for (; cursor < tokens.length; cursor++) {
      const inner = tokens[cursor]!;
      if (inner.kind === 'open') depth += 1;
      else if (inner.kind === 'close') {
        if (depth === 0) break;
        depth -= 1;
      } else if (inner.kind === 'end' && depth === 0) break;
      else if (inner.kind === 'word' && depth === 0) {
        const word = inner.text.toUpperCase();
        if (word === 'OR') return null;
        if (CLAUSE_END.has(word)) break;
      }
    }
    // The placeholders passed over are counted by the main loop as it walks them again.
    windows.push({ startDay: startDay as string, endDay: endDay as string, account: account as string });
  }
  return windows;
}
