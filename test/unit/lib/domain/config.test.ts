import { describe, expect, it } from 'vitest';
import { ConfigError, isProtected, parseConfig } from '../../../../lib/domain/config.ts';
import { shippedConfig } from '../../../fixtures/config.ts';

describe('configuration', () => {
  it('accepts the shipped revoker.config.yaml', async () => {
    const config = await shippedConfig();

    expect(config.mode).toBe('enforce');
  });

  it('names the key, the value found and what was expected', async () => {
    const config = await shippedConfig();

    const attempt = () =>
      parseConfig({ ...config, mode: 'yolo', verify: { ...config.verify, marginMinutes: -1 } }, 'test.yaml');

    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/mode: found "yolo": Invalid option: expected one of "dry-run"\|"enforce"/);
    expect(attempt).toThrow(/verify\.marginMinutes: found -1/);
  });

  it('rejects unknown keys, and unknown rule IDs, rather than ignoring a typo', async () => {
    const config = await shippedConfig();

    expect(() => parseConfig({ ...config, guardRail: {} }, 'test.yaml')).toThrow(/guardRail/);
    expect(() =>
      parseConfig({ ...config, rules: { 'cloudtrail-stoped': { response: 'auto-revoke' } } }, 'test.yaml'),
    ).toThrow(/no rule has the ID "cloudtrail-stoped"/);
  });

  it('refuses a protected list it cannot read, so nothing automatic runs on it', async () => {
    const config = await shippedConfig();

    expect(() =>
      parseConfig(
        { ...config, guardRails: { ...config.guardRails, protectedPrincipals: 'break-glass' } },
        'test.yaml',
      ),
    ).toThrow(/guardRails\.protectedPrincipals: found "break-glass"/);
    expect(() =>
      parseConfig(
        { ...config, guardRails: { ...config.guardRails, protectedPrincipals: ['role/break-glass'] } },
        'test.yaml',
      ),
    ).toThrow(/an ARN pattern such as/);
    const { protectedTags: _dropped, ...withoutTags } = config.guardRails;
    expect(() => parseConfig({ ...config, guardRails: withoutTags }, 'test.yaml')).toThrow(
      /guardRails\.protectedTags/,
    );
  });

  it('needs the trail’s regions, each a region name', async () => {
    const config = await shippedConfig();
    const withRegions = (regions: unknown) =>
      parseConfig({ ...config, verify: { ...config.verify, regions } }, 'test.yaml');

    expect(config.verify.regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(() => withRegions([])).toThrow(/verify\.regions: found \[\]: at least one region/);
    expect(() => withRegions(['us-east-1', "eu-west-1' OR 1=1"])).toThrow(
      /verify\.regions\.1: found .*a region such as us-east-1/,
    );
    const { regions: _dropped, ...withoutRegions } = config.verify;
    expect(() => parseConfig({ ...config, verify: withoutRegions }, 'test.yaml')).toThrow(/verify\.regions/);
  });

  it('matches protected principals by ARN pattern', async () => {
    const config = await shippedConfig();

    expect(isProtected('arn:aws:iam::111122223333:role/break-glass-admin', config)).toBe(
      'arn:aws:iam::*:role/break-glass*',
    );
    expect(isProtected('arn:aws:iam::111122223333:role/service/app-server', config)).toBeNull();
  });

  it('protects whatever the case of the name and whatever its path: IAM finds a principal by its name alone', async () => {
    const config = await shippedConfig();

    for (const arn of [
      'arn:aws:iam::111122223333:role/Break-Glass-Admin',
      'arn:aws:iam::111122223333:role/emergency/break-glass',
      'arn:aws:iam::111122223333:role/team/REVOKER-detect',
    ])
      expect(isProtected(arn, config)).not.toBeNull();
    expect(isProtected('arn:aws:iam::111122223333:role/glass-break', config)).toBeNull();
  });
});
