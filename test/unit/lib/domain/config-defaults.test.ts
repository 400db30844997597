import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../../../lib/domain/config.ts';
import { CONFIG_DEFAULTS, configSources, withDefaults } from '../../../../lib/domain/config-defaults.ts';

describe('a configuration laid over the defaults', () => {
  it('takes a file of one key, everything else from the defaults', () => {
    const config = resolveConfig({ mode: 'dry-run' }, 'one-key.yaml');

    expect(config).toEqual({ ...CONFIG_DEFAULTS, mode: 'dry-run' });
  });

  it('takes an empty file as no settings: the defaults, which plan and change nothing', () => {
    expect(resolveConfig(null, 'empty.yaml').mode).toBe('dry-run');
  });

  it('merges objects key by key and replaces lists whole', () => {
    const config = resolveConfig(
      { confirm: { baselineDays: 7, weights: { newRegion: 30 } }, verify: { regions: ['eu-west-1'] } },
      'partial.yaml',
    );

    expect(config.confirm).toEqual({
      ...CONFIG_DEFAULTS.confirm,
      baselineDays: 7,
      weights: { ...CONFIG_DEFAULTS.confirm.weights, newRegion: 30 },
    });
    expect(config.verify.regions).toEqual(['eu-west-1']);
  });

  it('adds a file’s protections to the defaults’: a file protects more, never less', () => {
    const config = resolveConfig(
      { guardRails: { protectedPrincipals: ['arn:aws:iam::*:role/payments-admin'], protectedTags: [] } },
      'protections.yaml',
    );

    expect(config.guardRails.protectedPrincipals).toEqual([
      ...CONFIG_DEFAULTS.guardRails.protectedPrincipals,
      'arn:aws:iam::*:role/payments-admin',
    ]);
    expect(config.guardRails.protectedTags).toEqual(CONFIG_DEFAULTS.guardRails.protectedTags);
  });

  it('lets nobody approve or use the operator API by default, and refuses enforce mode without approvers', () => {
    const defaults = resolveConfig({}, 'empty.yaml');
    expect(defaults.escalation.approvers).toEqual([]);
    expect(defaults.access.groups).toEqual({});

    expect(() => resolveConfig({ mode: 'enforce' }, 'enforce.yaml')).toThrow(
      /escalation\.approvers: found \[\]: enforce mode needs at least one on-call engineer/,
    );
    expect(
      resolveConfig({ mode: 'enforce', escalation: { approvers: ['oncall@example.com'] } }, 'x').mode,
    ).toBe('enforce');
  });

  it('still rejects a key it does not know, naming it alone', () => {
    const resolving = () => resolveConfig({ mode: 'dry-run', verify: { marginMinute: 5 } }, 'typo.yaml');

    expect(resolving).toThrow(ConfigError);
    expect(resolving).toThrow(
      'invalid configuration in typo.yaml:\n  verify.marginMinute: no such setting (a misspelling? `revoker config show` prints every key)',
    );
  });

  it('leaves a value of the wrong kind for validation to name, protections too', () => {
    expect(() =>
      resolveConfig({ guardRails: { protectedPrincipals: 'arn:aws:iam::*:role/x' } }, 'bad.yaml'),
    ).toThrow(/guardRails\.protectedPrincipals: found "arn:aws:iam::\*:role\/x"/);
    expect(() => resolveConfig(['mode'], 'list.yaml')).toThrow(/expected keys such as mode:/);
  });

  it('says where each top-level value came from', () => {
    const document = { mode: 'dry-run', confirm: { baselineDays: 7 } };
    const effective = resolveConfig(document, 'partial.yaml');

    const sources = configSources(document, effective);

    expect(sources).toMatchObject({
      mode: 'file',
      confirm: 'file and defaults',
      verify: 'default',
      access: 'default',
    });
  });

  it('never changes the defaults it lays a file over', () => {
    const before = structuredClone(CONFIG_DEFAULTS);

    const merged = withDefaults({ guardRails: { protectedTags: ['x'] } });
    (merged.verify as { regions: string[] }).regions.push('eu-west-1');

    expect(CONFIG_DEFAULTS).toEqual(before);
  });
});
