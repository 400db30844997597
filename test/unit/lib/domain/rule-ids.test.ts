// The configuration validates rule overrides against RULE_IDS, not RULES (so only detect's
// bundle carries the rules): the two lists must name the same rules.
import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../../../../lib/domain/rule-ids.ts';
import { RULES } from '../../../../lib/domain/rules.ts';

describe('the rule IDs', () => {
  it('are the rules’ IDs, each once, in the catalog’s order', () => {
    expect(RULE_IDS).toEqual(RULES.map((rule) => rule.id));
  });
});
