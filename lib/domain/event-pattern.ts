// EventBridge pattern matching for the subset revoker's rules use: exact string values in
// arrays, nested objects. Used to replay logs as EventBridge would have delivered them.

export type EventPattern = { [key: string]: EventPattern | readonly string[] };

export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const fields = event as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = fields[key];
    if (Array.isArray(expected)) return typeof actual === 'string' && expected.includes(actual);
    return matchesEventPattern(expected as EventPattern, actual);
  });
}
