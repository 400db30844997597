// What applying a revocation plan leaves on the case: the scope read, the state before, each
// change with its exact undo, and the state after. Undo and reconcile act on it, so it is
// validated when read back.
import * as z from 'zod';
import { type IamAccountState, IamAccountStateSchema, type IamScope } from '../iam-state.ts';
import { parseAction, type RevocationAction } from './actions.ts';

export const IamScopeSchema = z.object({
  accountId: z.string(),
  roles: z.array(z.string()),
  users: z.array(z.string()),
  managedPolicies: z.array(z.string()),
  identityCenter: z.boolean(),
}) satisfies z.ZodType<IamScope>;

/** A catalog action, checked against the catalog's input schema. */
export const ActionSchema = z.unknown().transform((value, context): RevocationAction => {
  try {
    return parseAction(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: `not a catalog action: ${(error as Error).message}` });
    return z.NEVER;
  }
});

export const AppliedStepSchema = z.object({
  action: ActionSchema,
  description: z.string(),
  /** `already-applied`: IAM showed it before the revocation began, so its undo is nothing. */
  status: z.enum(['applied', 'already-applied']),
  /** The actions that restore what this one changed, from the state just before it. */
  undo: z.array(ActionSchema),
});
export type AppliedStep = z.output<typeof AppliedStepSchema>;

export const AppliedPlanSchema = z.object({
  scope: IamScopeSchema,
  before: IamAccountStateSchema,
  steps: z.array(AppliedStepSchema),
  after: IamAccountStateSchema,
});
/** What an application changed: enough to undo it exactly, or to see that it drifted. */
export interface AppliedPlan {
  scope: IamScope;
  before: IamAccountState;
  steps: AppliedStep[];
  after: IamAccountState;
}
