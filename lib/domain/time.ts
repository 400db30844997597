// Time helpers: CloudTrail instants, partition days, and durations as people write them.
import * as z from 'zod';

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

/** `30d`, `12h`, `90m`, `45s`: how people write how long. */
const DURATION_UNITS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
export const Duration = z.string().regex(/^\d{1,6}[smhd]$/, 'a duration such as 30d, 12h, 90m or 45s');

/** A duration's seconds; the text must fit `Duration`. */
export function durationSeconds(text: string): number {
  return Number(text.slice(0, -1)) * DURATION_UNITS[text.slice(-1) as keyof typeof DURATION_UNITS];
}
