// EventBridge pattern matching for the subset revoker's rules use: exact string values and
// prefixes (`{ prefix }`) in arrays, nested objects; used to replay logs as EventBridge would deliver them.

/** A value an event field may have: exactly this string, or any string with this prefix. */
export type PatternValue = string | { readonly prefix: string };

export type EventPattern = { [key: string]: EventPattern | readonly PatternValue[] };

export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const fields = event as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = fields[key];
    // As EventBridge does: a field holding an array matches when one of its items does.
    if (Array.isArray(actual))
      return actual.some((item) => matchesEventPattern({ [key]: expected } as EventPattern, { [key]: item }));
    if (Array.isArray(expected))
      return (
        typeof actual === 'string' &&
        (expected as readonly PatternValue[]).some((value) =>
          typeof value === 'string' ? value === actual : actual.startsWith(value.prefix),
        )
      );
    return matchesEventPattern(expected as EventPattern, actual);
  });
}
