// Counts in words, for the summaries people read on cases and in the CLI.

/** `1 case`, `2 cases`: a count with its noun. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}
