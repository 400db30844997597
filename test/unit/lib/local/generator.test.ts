import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ParsedRecord } from '../../../../lib/domain/documents.ts';
import { matchingRules } from '../../../../lib/domain/rules.ts';
import { generate, generateInParallel } from '../../../../lib/local/generator/generate.ts';
import type { AttackTruth } from '../../../../lib/local/generator/scenarios.ts';
import { listFiles, readRecordFiles, summarizeFiles } from '../../../../lib/local/record-files.ts';

const options = {
  days: 1,
  events: 3000,
  accounts: 2,
  seed: 'test',
  scenarios: ['compromised-role-session' as const],
  end: new Date('2026-01-15T12:00:00Z'),
};

/** Every record under the root that parsed and whose principal resolved. */
async function parsedRecords(root: string): Promise<(ParsedRecord & { principal: { ok: true } })[]> {
  const parsed: (ParsedRecord & { principal: { ok: true } })[] = [];
  for await (const entry of readRecordFiles([root])) {
    if (entry.kind === 'parsed' && entry.principal.ok) parsed.push({ ...entry, principal: entry.principal });
  }
  return parsed;
}

/** The records of an attack: its credential used from the attacker's address, in time order. */
function attackRecords<T extends ParsedRecord>(records: T[], truth: AttackTruth): T[] {
  return records
    .filter(
      ({ record }) =>
        record.userIdentity?.accessKeyId === truth.accessKeyId && record.sourceIPAddress === truth.attackerIp,
    )
    .sort((a, b) => a.record.eventTime.localeCompare(b.record.eventTime));
}

function ruleIds(entry: ParsedRecord & { principal: { ok: true } }): string[] {
  return matchingRules(entry.record, entry.principal.principal)
    .map((rule) => rule.id)
    .sort();
}

describe('generate', () => {
  it('writes exactly the requested events in the S3 layout, all of them parseable', async () => {
    const out = mkdtempSync(join(tmpdir(), 'revoker-gen-'));

    const result = generate({ ...options, out });
    const summary = await summarizeFiles([out]);

    expect(result.records).toBe(3000);
    expect(summary.parsed).toBe(3000);
    expect(summary.rejected).toBe(0);
    const files = (await listFiles([out])).filter((file) => file.endsWith('.json.gz'));
    for (const file of files)
      expect(file).toMatch(
        /AWSLogs\/\d{12}\/CloudTrail\/[a-z0-9-]+\/\d{4}\/\d{2}\/\d{2}\/\d{12}_CloudTrail_/,
      );
  });

  it('is byte-for-byte deterministic for a seed and end time', async () => {
    const [first, second] = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'revoker-gen-')));

    generate({ ...options, out: first! });
    generate({ ...options, out: second! });

    const relative = async (root: string) => (await listFiles([root])).map((file) => file.slice(root.length));
    expect(await relative(first!)).toEqual(await relative(second!));
    for (const file of await relative(first!)) {
      expect(readFileSync(join(first!, file)).equals(readFileSync(join(second!, file)))).toBe(true);
    }
  });

  it('writes the same files, byte for byte, with its gzip and writes on worker threads', async () => {
    const [single, parallel] = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'revoker-gen-')));

    const alone = generate({ ...options, out: single! });
    const spread = await generateInParallel({ ...options, out: parallel! }, 2);

    expect(spread).toEqual(alone);
    const relative = async (root: string) => (await listFiles([root])).map((file) => file.slice(root.length));
    expect(await relative(parallel!)).toEqual(await relative(single!));
    for (const file of await relative(single!))
      expect(readFileSync(join(parallel!, file)).equals(readFileSync(join(single!, file))), file).toBe(true);
  });

  it('injects the attack with its ground truth: the stolen session used from outside', async () => {
    const out = mkdtempSync(join(tmpdir(), 'revoker-gen-'));

    const { scenarios } = generate({ ...options, out });
    const summary = await summarizeFiles([out]);

    expect(scenarios).toHaveLength(1);
    expect(scenarios[0]).toMatchObject({ scenario: 'compromised-role-session', attackerIp: '198.51.100.23' });
    expect(summary.principalsByKind['assumed-role']).toBeGreaterThan(1000);
  });

  it('injects the escalating attack: one person’s access key used from outside, call after call', async () => {
    const out = mkdtempSync(join(tmpdir(), 'revoker-gen-'));

    const { scenarios, accounts } = generate({ ...options, scenarios: ['escalating-attack'], out });
    const summary = await summarizeFiles([out]);
    const attack = attackRecords(await parsedRecords(out), scenarios[0]!);

    const truth = scenarios[0]!;
    expect(summary.rejected).toBe(0);
    expect(truth).toMatchObject({
      scenario: 'escalating-attack',
      kind: 'iam-user',
      attackerIp: '192.0.2.146',
    });
    expect(attack.map(({ record }) => [record.eventTime, record.eventName, record.awsRegion])).toEqual(
      truth.calls.map((call) => [call.time.replace('.000', ''), call.eventName, call.region]),
    );
    const mainRegion = accounts.find((account) => account.id === truth.account)!.regions[0];
    expect(truth.calls.map((call) => call.region)).toEqual(
      truth.calls.map((call) => (call.eventSource === 'iam.amazonaws.com' ? 'us-east-1' : mainRegion)),
    );
    const principals = new Set(
      attack.map(({ principal: { principal } }) =>
        JSON.stringify([
          principal.kind,
          principal.kind === 'iam-user' ? principal.arn : null,
          principal.accessKeyId,
        ]),
      ),
    );
    expect([...principals]).toEqual([JSON.stringify(['iam-user', truth.principalArn, truth.accessKeyId])]);
    expect(truth.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(Date.parse(truth.endedAt) - Date.parse(truth.startedAt)).toBeLessThanOrEqual(5 * 60_000);
  });

  it('makes the escalating attack trip a notify-only rule first, then rules that revoke or escalate', async () => {
    const out = mkdtempSync(join(tmpdir(), 'revoker-gen-'));

    const { scenarios } = generate({ ...options, scenarios: ['escalating-attack'], out });
    const attack = attackRecords(await parsedRecords(out), scenarios[0]!);

    const [first, ...rest] = attack.map((entry) => matchingRules(entry.record, entry.principal.principal));
    expect(first!.length).toBeGreaterThan(0);
    expect(first!.map((rule) => rule.response)).toEqual(first!.map(() => 'notify'));
    expect([...new Set(rest.flat().map((rule) => rule.id))]).toEqual(
      expect.arrayContaining([
        'cloudtrail-stopped-or-deleted',
        'snapshot-or-image-shared',
        'access-key-for-another-user',
        'admin-policy-attached',
      ]),
    );
    expect(attack.map(ruleIds)).toEqual(scenarios[0]!.calls.map((call) => call.rules));
  });

  it('lets no other traffic signed with the attacked person’s key match a rule', async () => {
    const out = mkdtempSync(join(tmpdir(), 'revoker-gen-'));

    const { scenarios } = generate({ ...options, scenarios: ['escalating-attack'], out });
    const records = await parsedRecords(out);

    const truth = scenarios[0]!;
    const withKey = records.filter(({ record }) => record.userIdentity?.accessKeyId === truth.accessKeyId);
    const others = withKey.filter(({ record }) => record.sourceIPAddress !== truth.attackerIp);
    expect(withKey.length - others.length).toBe(truth.calls.length);
    expect(others.length).toBeGreaterThan(10);
    expect(others.flatMap(ruleIds)).toEqual([]);
  });

  it('injects stolen instance credentials: who-am-I from outside first, then reconnaissance, nothing else tripped', async () => {
    const out = mkdtempSync(join(tmpdir(), 'revoker-gen-'));

    const { scenarios } = generate({ ...options, scenarios: ['stolen-instance-credentials'], out });
    const records = await parsedRecords(out);
    const truth = scenarios[0]!;
    const attack = attackRecords(records, truth);

    expect(truth).toMatchObject({
      scenario: 'stolen-instance-credentials',
      kind: 'assumed-role',
      triggerEventName: 'GetCallerIdentity',
    });
    expect(attack.map(({ record }) => [record.eventTime, record.eventName])).toEqual(
      truth.calls.map((call) => [call.time.replace('.000', ''), call.eventName]),
    );
    expect(attack[0]!.record).toMatchObject({
      eventName: 'GetCallerIdentity',
      sourceIPAddress: truth.attackerIp,
    });
    expect(attack[0]!.record.vpcEndpointId).toBeUndefined();
    expect(attack.map(ruleIds)).toEqual(truth.calls.map((call) => call.rules));
    // The same role's sessions on the instances, through their VPC endpoints, trip nothing.
    const instances = records.filter(
      ({ record }) => record.userIdentity?.sessionContext?.sessionIssuer?.arn === truth.roleArn,
    );
    const own = instances.filter(({ record }) => record.sourceIPAddress !== truth.attackerIp);
    expect(own.length).toBeGreaterThan(100);
    expect(own.every(({ record }) => record.vpcEndpointId?.startsWith('vpce-'))).toBe(true);
    expect(own.flatMap(ruleIds)).toEqual([]);
  });

  it('injects both scenarios, each in its own window, byte-for-byte the same for a seed', async () => {
    const [first, second] = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'revoker-gen-')));
    const both = {
      ...options,
      accounts: 1,
      scenarios: ['compromised-role-session' as const, 'escalating-attack' as const],
    };

    const { scenarios } = generate({ ...both, out: first! });
    generate({ ...both, out: second! });
    const records = await parsedRecords(first!);

    expect(scenarios.map((truth) => truth.scenario)).toEqual([
      'compromised-role-session',
      'escalating-attack',
    ]);
    expect(Date.parse(scenarios[0]!.endedAt)).toBeLessThan(Date.parse(scenarios[1]!.startedAt));
    for (const truth of scenarios)
      expect(attackRecords(records, truth).map(ruleIds)).toEqual(truth.calls.map((call) => call.rules));
    const relative = async (root: string) => (await listFiles([root])).map((file) => file.slice(root.length));
    expect(await relative(first!)).toEqual(await relative(second!));
    for (const file of await relative(first!)) {
      expect(readFileSync(join(first!, file)).equals(readFileSync(join(second!, file)))).toBe(true);
    }
  });

  describe('the overprivileged workload (issue 15)', () => {
    const workload = {
      ...options,
      accounts: 1,
      days: 2,
      events: 4000,
      scenarios: ['overprivileged-workload' as const],
    };

    it('writes only the role’s PutObject data events under data/, all parseable, as many as the truth says', async () => {
      const out = mkdtempSync(join(tmpdir(), 'revoker-gen-'));

      const result = generate({ ...workload, out });
      const truth = result.scenarios[0]!;
      let rejected = 0;
      for await (const entry of readRecordFiles([out])) if (entry.kind === 'rejected') rejected += 1;
      const records = await parsedRecords(out);
      const byRole = records.filter(
        ({ record }) => record.userIdentity?.sessionContext?.sessionIssuer?.arn === truth.roleArn,
      );
      const dataEvents = records.filter(({ record }) => record.eventCategory === 'Data');

      expect(rejected).toBe(0);
      expect(records).toHaveLength(4000);
      expect(truth).toMatchObject({
        scenario: 'overprivileged-workload',
        account: result.accounts[0]!.id,
        roleName: expect.stringMatching(/^report-exporter-role-[a-z2-7]{8}$/),
        functionName: 'report-exporter',
        keyPrefix: 'data/',
        currentPolicy: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
        },
        refinedStatement: {
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${truth.bucket}/data/*`,
        },
      });
      expect(truth.roleArn).toBe(`arn:aws:iam::${truth.account}:role/service-role/${truth.roleName}`);
      expect(byRole).toHaveLength(truth.putObjectCalls);
      expect(dataEvents).toHaveLength(truth.putObjectCalls);
      for (const entry of byRole) {
        const { record, principal } = entry;
        const key = (record.requestParameters as { key: string }).key;
        expect(record).toMatchObject({
          eventSource: 's3.amazonaws.com',
          eventName: 'PutObject',
          eventType: 'AwsApiCall',
          eventCategory: 'Data',
          managementEvent: false,
          readOnly: false,
          awsRegion: truth.region,
          recipientAccountId: truth.account,
          requestParameters: {
            bucketName: truth.bucket,
            Host: `${truth.bucket}.s3.${truth.region}.amazonaws.com`,
            key,
          },
          resources: [
            { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${truth.bucket}/${key}` },
            { accountId: truth.account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${truth.bucket}` },
          ],
          additionalEventData: {
            SignatureVersion: 'SigV4',
            bytesTransferredIn: expect.any(Number),
            bytesTransferredOut: 0,
            AuthenticationMethod: 'AuthHeader',
          },
          userIdentity: {
            type: 'AssumedRole',
            arn: `arn:aws:sts::${truth.account}:assumed-role/${truth.roleName}/${truth.functionName}`,
            sessionContext: { sessionIssuer: { type: 'Role', userName: truth.roleName } },
          },
        });
        expect(key).toMatch(/^data\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.json$/);
        expect(key.slice(5, 15)).toBe(record.eventTime.slice(0, 10).replaceAll('-', '/'));
        expect(record.userAgent).toMatch(/^\[aws-sdk-js\/3\.\d+\.\d+ .*exec-env\/AWS_Lambda_nodejs/);
        // Outside any VPC: a public AWS address, no endpoint.
        expect(record.sourceIPAddress).toMatch(/^3\.\d+\.\d+\.\d+$/);
        expect(record.vpcEndpointId).toBeUndefined();
        expect(principal.principal).toMatchObject({ kind: 'assumed-role', sessionName: truth.functionName });
        expect(ruleIds(entry)).toEqual([]);
      }
      expect(byRole.map(({ record }) => record.eventTime).sort()).toEqual([
        truth.startedAt.replace('.000', ''),
        ...byRole.slice(1, -1).map(() => expect.any(String)),
        truth.endedAt.replace('.000', ''),
      ]);
    });

    it('spreads the calls over the whole window, several an hour', () => {
      const out = mkdtempSync(join(tmpdir(), 'revoker-gen-'));

      const { scenarios, start, end } = generate({ ...workload, out });
      const truth = scenarios[0]!;

      const hours = (end.getTime() - start.getTime()) / 3600_000;
      expect(truth.putObjectCalls).toBeGreaterThanOrEqual(3 * hours);
      expect(truth.putObjectCalls).toBeLessThanOrEqual(8 * hours);
      expect(Date.parse(truth.startedAt) - start.getTime()).toBeLessThan(3600_000);
      expect(end.getTime() - Date.parse(truth.endedAt)).toBeLessThan(3600_000);
    });

    it('is byte-for-byte the same for a seed, and takes no attack’s slot', async () => {
      const [first, second, alone] = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), 'revoker-gen-')));
      const both = {
        ...workload,
        scenarios: ['overprivileged-workload' as const, 'compromised-role-session' as const],
      };

      const { scenarios } = generate({ ...both, out: first! });
      generate({ ...both, out: second! });
      const attackAlone = generate({ ...workload, scenarios: ['compromised-role-session'], out: alone! });

      const relative = async (root: string) =>
        (await listFiles([root])).map((file) => file.slice(root.length));
      expect(await relative(first!)).toEqual(await relative(second!));
      for (const file of await relative(first!)) {
        expect(readFileSync(join(first!, file)).equals(readFileSync(join(second!, file)))).toBe(true);
      }
      const attack = scenarios[1]!;
      expect(attack.scenario).toBe('compromised-role-session');
      expect(attack.startedAt).toBe(attackAlone.scenarios[0]!.startedAt);
      const records = await parsedRecords(first!);
      if (attack.scenario !== 'compromised-role-session') throw new Error('unreachable');
      expect(attackRecords(records, attack).map(ruleIds)).toEqual(attack.calls.map((call) => call.rules));
    });
  });
});
