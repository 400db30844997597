// Time helpers shared by runbook parameters: CloudTrail instants and partition days.

/** `2026-01-15T12:00:00Z`: CloudTrail's format, which compares correctly as text. */
export function toInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The `timestamp` partition value for a time: `2026/01/15`. */
export function toPartitionDay(date: Date): string {
  return date.toISOString().slice(0, 10).replaceAll('-', '/');
}

export function addMinutes(date: Date, minutes: number): Date {
  return new Date(date.getTime() + minutes * 60_000);
}
