// Validation at the edge of a handler: input that does not fit becomes a named error.
import type * as z from 'zod';
import { describeIssues } from './domain/cloudtrail.ts';

export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

export function parseAtEdge<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new InvalidInputError(`invalid ${what}: ${describeIssues(result.error)}`, { cause: result.error });
  return result.data;
}
