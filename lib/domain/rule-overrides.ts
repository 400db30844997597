// Overrides of the catalog's default response, by rule ID: the configuration's top level, and
// each enrolled account's own (lib/domain/accounts.ts). An unknown ID is an error.
import * as z from 'zod';
import { RULE_IDS } from './rule-ids.ts';

export const ResponseSchema = z.enum(['auto-revoke', 'escalate', 'notify']);
export type RuleResponse = z.infer<typeof ResponseSchema>;

export const RuleOverridesSchema = z
  .record(z.string(), z.strictObject({ response: ResponseSchema }))
  .superRefine((rules, context) => {
    for (const id of Object.keys(rules)) {
      if (!RULE_IDS.includes(id)) {
        context.addIssue({
          code: 'custom',
          path: [id],
          message: `no rule has the ID ${JSON.stringify(id)} (revoker rules lists them)`,
        });
      }
    }
  });
export type RuleOverrides = z.infer<typeof RuleOverridesSchema>;
