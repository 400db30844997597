// Retrying what an AWS API says to retry and the SDK's own retry strategy does not (concurrent
// modification; Athena's throttling of its query API), with exponential backoff — 400 ms, 800 ms,
// 1.6 s... — optionally jittered, and the error passed on after the last attempt.

export interface RetryOptions {
  /** Error names worth another attempt. */
  retryable: ReadonlySet<string>;
  attempts: number;
  sleep: (millis: number) => Promise<void>;
  /**
   * A number in [0, 1) that spreads each wait over its upper half, so that callers who collided
   * do not collide again in step; without it, the waits are exact.
   */
  jitter?: () => number;
}

export async function withRetries<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (!options.retryable.has(name) || attempt >= options.attempts) throw error;
      const backoff = 200 * 2 ** attempt;
      await options.sleep(
        options.jitter ? Math.round(backoff / 2 + (backoff / 2) * options.jitter()) : backoff,
      );
    }
  }
}
