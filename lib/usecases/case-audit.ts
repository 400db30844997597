import * as z from 'zod';

const LambdaError = z.object({ errorMessage: z.string() });

/**
 * A Step Functions error cause in words. A Lambda's error arrives as JSON text
 * (`{"errorType":…,"errorMessage":…}`); SendTaskFailure's and the local runner's as plain text.
 */
export function readableCause(cause: string): string {
  try {
    const parsed = LambdaError.safeParse(JSON.parse(cause));
    if (parsed.success) return parsed.data.errorMessage;
  } catch {
    // Plain text already.
  }
  return cause;
}
