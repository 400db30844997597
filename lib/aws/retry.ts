// Retrying what an AWS API says to retry (throttling, concurrent modification), with
// exponential backoff: 400 ms, 800 ms, 1.6 s... and the error passed on after the last attempt.

export interface RetryOptions {
  /** Error names worth another attempt. */
  retryable: ReadonlySet<string>;
  attempts: number;
  sleep: (millis: number) => Promise<void>;
}

export async function withRetries<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (!options.retryable.has(name) || attempt >= options.attempts) throw error;
      await options.sleep(200 * 2 ** attempt);
    }
  }
}
