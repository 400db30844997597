import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CloudTrailRecord, UserIdentity } from '../../../../lib/domain/cloudtrail.ts';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import { matchesEventPattern } from '../../../../lib/domain/event-pattern.ts';
import { FINDING_EVENT_PATTERNS } from '../../../../lib/domain/findings.ts';
import { type Principal, resolvePrincipal } from '../../../../lib/domain/principal.ts';
import {
  forwardingPatterns,
  instanceCredentialsIamEscalation,
  matchingRules,
  RULES,
  RuleIndex,
} from '../../../../lib/domain/rules.ts';
import { generate } from '../../../../lib/local/generator/generate.ts';
import { readRecordFiles } from '../../../../lib/local/record-files.ts';
import { SHARED_CLOUDTRAIL } from '../../../fixtures/paths.ts';
import {
  awsDocsRecords,
  documentedRoleConsoleLogin,
  identityCenterSession,
  lambdaSession,
  stolenInstanceCredentialsGrant,
  stratusCall,
  stratusRecord,
  stratusRoleRecord,
  webIdentitySession,
} from '../../../fixtures/records.ts';
import { RULE_SOURCES } from '../../../fixtures/rule-sources.ts';

function principalOf(record: CloudTrailRecord): Principal {
  const resolution = resolvePrincipal(record.userIdentity);
  if (!resolution.ok) throw new Error(resolution.reason);
  return resolution.principal;
}

/** Where each rule fires in the shared data, by source file (the packaged log-file copies aside). */
const fired = new Map<string, Set<string>>();
const firedRecords: { ruleId: string; record: CloudTrailRecord }[] = [];
/** Every shared call, with its principal: what the rule index is checked against. */
const sharedCalls: { record: CloudTrailRecord; principal: Principal }[] = [];
beforeAll(async () => {
  for await (const entry of readRecordFiles([SHARED_CLOUDTRAIL])) {
    if (entry.kind !== 'parsed' || !entry.principal.ok) continue;
    sharedCalls.push({ record: entry.record, principal: entry.principal.principal });
    const file = entry.file.slice(SHARED_CLOUDTRAIL.length + 1);
    for (const rule of matchingRules(entry.record, entry.principal.principal)) {
      firedRecords.push({ ruleId: rule.id, record: entry.record });
      if (file.startsWith('log-files/')) continue;
      fired.set(
        rule.id,
        (fired.get(rule.id) ?? new Set()).add(file.replace(/^stratus-red-team\/aws\.|\.json$/g, '')),
      );
    }
  }
});

describe('the detection rule catalog', () => {
  it('has at least 20 complete rules with unique IDs', () => {
    expect(RULES.length).toBeGreaterThanOrEqual(20);
    expect(new Set(RULES.map((rule) => rule.id)).size).toBe(RULES.length);
    for (const rule of RULES) {
      expect(rule.id).toMatch(/^[a-z0-9-]+$/);
      expect(rule.title.length, rule.id).toBeGreaterThan(10);
      expect(rule.rationale.length, rule.id).toBeGreaterThan(40);
      expect(rule.confirmWith, rule.id).toContain('first-seen');
    }
  });

  // Each rule, and the real techniques it fires on; every other shared record leaves it quiet.
  it.each(RULE_SOURCES)('%s fires on exactly its techniques in the shared data', (ruleId, techniques) => {
    expect([...(fired.get(ruleId) ?? [])].sort()).toEqual([...techniques].sort());
  });

  it('leaves no rule without a test of where it fires', () => {
    const crafted = [
      'guardduty-disabled',
      'config-recording-stopped',
      'compromised-key-quarantine',
      'identity-center-permissions-changed',
      'instance-credentials-iam-escalation',
    ];
    for (const rule of RULES) {
      expect(fired.has(rule.id) || crafted.includes(rule.id), rule.id).toBe(true);
    }
  });

  it('lets EventBridge deliver every record a rule fires on (the pattern is no narrower than the rule)', () => {
    for (const { ruleId, record } of firedRecords) {
      const rule = RULES.find((candidate) => candidate.id === ruleId)!;
      expect(
        matchesEventPattern(rule.eventPattern, envelopeFor(record, 'test')),
        `${ruleId} ${record.eventName}`,
      ).toBe(true);
    }
  });

  it('forwards to the detect bus every record a rule fires on, from any account, in few patterns', () => {
    const patterns = forwardingPatterns();
    for (const { ruleId, record } of firedRecords) {
      const envelope = envelopeFor(record, 'test');
      expect(
        patterns.some((pattern) => matchesEventPattern(pattern, envelope)),
        `${ruleId} ${record.eventName}`,
      ).toBe(true);
    }
    // The named calls merge into one pattern; only differently shaped ones (root's) stand alone.
    expect(patterns.length - FINDING_EVENT_PATTERNS.length).toBeLessThan(4);
    // And not everything: a call no rule names stays in its account.
    const describe = {
      ...firedRecords[0]!.record,
      eventSource: 'ec2.amazonaws.com',
      eventName: 'DescribeVolumes',
    };
    expect(patterns.some((pattern) => matchesEventPattern(pattern, envelopeFor(describe, 'test')))).toBe(
      false,
    );
  });

  it('stays quiet on a generated organisation’s ordinary traffic', async () => {
    const out = mkdtempSync(join(tmpdir(), 'revoker-rules-'));
    generate({
      out,
      days: 2,
      events: 6000,
      accounts: 2,
      seed: 'quiet',
      scenarios: [],
      end: new Date('2026-01-15T12:00:00Z'),
    });
    const noisy: string[] = [];
    for await (const entry of readRecordFiles([out])) {
      if (entry.kind !== 'parsed' || !entry.principal.ok) continue;
      for (const rule of matchingRules(entry.record, entry.principal.principal))
        noisy.push(`${rule.id}: ${entry.record.eventName}`);
    }

    expect(noisy).toEqual([]);
  });
});

describe('the rule index (by eventSource and eventName)', () => {
  /** Every rule asked in catalog order, then most severe first: what the index must equal. */
  const askingEveryRule = (record: CloudTrailRecord, principal: Principal) =>
    RULES.filter((rule) => rule.matches(record, principal))
      .map((rule) => rule.id)
      .sort(
        (a, b) =>
          ['critical', 'high', 'medium', 'low'].indexOf(RULES.find((rule) => rule.id === a)!.severity) -
          ['critical', 'high', 'medium', 'low'].indexOf(RULES.find((rule) => rule.id === b)!.severity),
      );

  it('matches exactly what asking every rule matches, in the same order, on every shared call', () => {
    expect(sharedCalls.length).toBeGreaterThan(500);
    for (const { record, principal } of sharedCalls)
      expect(
        matchingRules(record, principal).map((rule) => rule.id),
        `${record.eventSource} ${record.eventName}`,
      ).toEqual(askingEveryRule(record, principal));
  });

  it('puts a call whose source no rule names before no rule but those that name no calls (root)', () => {
    const index = new RuleIndex(RULES);
    const unnamed = RULES.filter(
      (rule) => (rule.eventPattern.detail as { eventSource?: unknown }).eventSource === undefined,
    );

    expect(unnamed.map((rule) => rule.id)).toEqual(['root-user-activity']);
    expect(index.candidates('example.amazonaws.com', 'DescribeThings')).toEqual(unnamed);
    // A name a rule knows, from another service, is not that rule's call.
    expect(index.candidates('example.amazonaws.com', 'StopLogging')).toEqual(unnamed);
    expect(index.candidates('cloudtrail.amazonaws.com', 'DescribeTrails').map((rule) => rule.id)).toEqual([
      'root-user-activity',
      'instance-credentials-outside-recon',
    ]);
  });

  it('asks no rule about such a call, whoever made it but the root user', () => {
    const asked: string[] = [];
    const spied = RULES.map((rule) => ({
      ...rule,
      matches: (record: CloudTrailRecord, principal: Principal) => {
        asked.push(rule.id);
        return rule.matches(record, principal);
      },
    }));
    const record = { ...stolenInstanceCredentialsGrant(), eventSource: 'example.amazonaws.com' };

    expect(new RuleIndex(spied).matching(record, principalOf(record))).toEqual([]);
    expect(asked).toEqual(['root-user-activity']);
  });
});

describe('rules without a real detonation in the shared data, on real records adjusted', () => {
  const base = stratusRecord('persistence.iam-create-admin-user');
  const person = {
    ...base,
    userIdentity: {
      type: 'IAMUser',
      arn: 'arn:aws:iam::111122223333:user/mallory',
      userName: 'mallory',
      accountId: '111122223333',
      principalId: 'AIDAEXAMPLE',
    },
  };
  const call = (overrides: Partial<CloudTrailRecord>) =>
    ({ ...person, errorCode: null, ...overrides }) as CloudTrailRecord;
  const fires = (ruleId: string, record: CloudTrailRecord) =>
    matchingRules(record, principalOf(record)).some((rule) => rule.id === ruleId);

  it.each([
    [
      'guardduty-disabled',
      {
        eventSource: 'guardduty.amazonaws.com',
        eventName: 'DeleteDetector',
        requestParameters: { detectorId: 'abc' },
      },
      true,
    ],
    [
      'guardduty-disabled',
      {
        eventSource: 'guardduty.amazonaws.com',
        eventName: 'UpdateDetector',
        requestParameters: { enable: false },
      },
      true,
    ],
    [
      'guardduty-disabled',
      {
        eventSource: 'guardduty.amazonaws.com',
        eventName: 'UpdateDetector',
        requestParameters: { enable: true },
      },
      false,
    ],
    [
      'config-recording-stopped',
      { eventSource: 'config.amazonaws.com', eventName: 'StopConfigurationRecorder', requestParameters: {} },
      true,
    ],
    [
      'compromised-key-quarantine',
      {
        eventSource: 'iam.amazonaws.com',
        eventName: 'AttachUserPolicy',
        requestParameters: {
          userName: 'mallory',
          policyArn: 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3',
        },
      },
      true,
    ],
    [
      'compromised-key-quarantine',
      {
        eventSource: 'iam.amazonaws.com',
        eventName: 'AttachUserPolicy',
        requestParameters: { userName: 'mallory', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      },
      false,
    ],
    [
      'identity-center-permissions-changed',
      { eventSource: 'sso.amazonaws.com', eventName: 'CreateAccountAssignment', requestParameters: {} },
      true,
    ],
    [
      'identity-center-permissions-changed',
      {
        eventSource: 'sso.amazonaws.com',
        eventName: 'CreateAccountAssignment',
        errorCode: 'AccessDeniedException',
      },
      false,
    ],
  ] as const)('%s on %j → %s', (ruleId, overrides, expected) => {
    expect(fires(ruleId, call(overrides as Partial<CloudTrailRecord>))).toBe(expected);
  });

  it('instance-credentials-iam-escalation fires on stolen instance credentials granting IAM access, not when refused', () => {
    const record = stolenInstanceCredentialsGrant();
    const denied = stolenInstanceCredentialsGrant({ errorCode: 'AccessDenied' });

    expect(instanceCredentialsIamEscalation.matches(record, principalOf(record))).toBe(true);
    expect(instanceCredentialsIamEscalation.matches(denied, principalOf(denied))).toBe(false);
  });

  it('instance-credentials-iam-escalation stays quiet when the role session is not an instance', () => {
    const record = stolenInstanceCredentialsGrant();
    const session = {
      ...record,
      userIdentity: {
        ...record.userIdentity,
        arn: 'arn:aws:sts::017622104382:assumed-role/stratus-red-team-ec2-steal-credentials-role/alice',
        sessionContext: { ...record.userIdentity?.sessionContext, ec2RoleDelivery: null },
      },
    };

    expect(instanceCredentialsIamEscalation.matches(session, principalOf(session))).toBe(false);
  });
});

// Each rule below once fired on a benign shape as well: the malicious real record still fires, the
// same record changed to the benign shape (as AWS documents it) stays quiet.
describe('precision: the malicious shape fires, the benign one stays quiet', () => {
  const fires = (ruleId: string, record: CloudTrailRecord) =>
    matchingRules(record, principalOf(record)).some((rule) => rule.id === ruleId);
  const withParameters = (record: CloudTrailRecord, requestParameters: unknown) =>
    ({ ...record, requestParameters }) as CloudTrailRecord;

  describe('snapshot-or-image-shared', () => {
    const snapshot = stratusCall('exfiltration.ec2-share-ebs-snapshot', 'ModifySnapshotAttribute');
    const image = stratusCall('exfiltration.ec2-share-ami', 'ModifyImageAttribute');
    const snapshotId = get(snapshot.requestParameters, 'snapshotId');
    const imageId = get(image.requestParameters, 'imageId');

    it('fires on a snapshot or image shared with another account (Stratus)', () => {
      expect(fires('snapshot-or-image-shared', snapshot)).toBe(true);
      expect(fires('snapshot-or-image-shared', image)).toBe(true);
    });

    it('fires on a snapshot or image made public (group all)', () => {
      const everyone = { add: { items: [{ group: 'all' }] } };
      expect(
        fires(
          'snapshot-or-image-shared',
          withParameters(snapshot, {
            snapshotId,
            attributeType: 'CREATE_VOLUME_PERMISSION',
            createVolumePermission: everyone,
          }),
        ),
      ).toBe(true);
      expect(
        fires(
          'snapshot-or-image-shared',
          withParameters(image, { imageId, attributeType: 'launchPermission', launchPermission: everyone }),
        ),
      ).toBe(true);
    });

    it('stays quiet on an add that names no account and no group, or only the caller’s own account', () => {
      const own = snapshot.recipientAccountId ?? snapshot.userIdentity?.accountId;
      expect(
        fires(
          'snapshot-or-image-shared',
          withParameters(snapshot, {
            snapshotId,
            attributeType: 'CREATE_VOLUME_PERMISSION',
            createVolumePermission: { add: { items: [] } },
          }),
        ),
      ).toBe(false);
      expect(
        fires(
          'snapshot-or-image-shared',
          withParameters(snapshot, {
            snapshotId,
            attributeType: 'CREATE_VOLUME_PERMISSION',
            createVolumePermission: { add: { items: [{ userId: own }] } },
          }),
        ),
      ).toBe(false);
    });

    it('stays quiet when an image stops being shared (remove)', () => {
      expect(
        fires(
          'snapshot-or-image-shared',
          withParameters(image, {
            imageId,
            attributeType: 'launchPermission',
            launchPermission: { remove: { items: [{ userId: '846424999548' }, { group: 'all' }] } },
          }),
        ),
      ).toBe(false);
    });
  });

  describe('rds-snapshot-shared', () => {
    const shared = stratusCall('exfiltration.rds-share-snapshot', 'ModifyDBSnapshotAttribute');

    it('fires on a snapshot’s restore attribute given another account (Stratus), or all', () => {
      expect(fires('rds-snapshot-shared', shared)).toBe(true);
      expect(
        fires('rds-snapshot-shared', {
          ...shared,
          eventName: 'ModifyDBClusterSnapshotAttribute',
          requestParameters: {
            attributeName: 'restore',
            dBClusterSnapshotIdentifier: 'exfiltration',
            valuesToAdd: ['all'],
          },
        }),
      ).toBe(true);
    });

    it('stays quiet on an empty valuesToAdd, or one that only removes', () => {
      expect(
        fires(
          'rds-snapshot-shared',
          withParameters(shared, {
            attributeName: 'restore',
            dBSnapshotIdentifier: 'exfiltration',
            valuesToAdd: [],
          }),
        ),
      ).toBe(false);
      expect(
        fires(
          'rds-snapshot-shared',
          withParameters(shared, {
            attributeName: 'restore',
            dBSnapshotIdentifier: 'exfiltration',
            valuesToRemove: ['503161813013'],
          }),
        ),
      ).toBe(false);
    });
  });

  describe('cloudtrail-selectors-narrowed', () => {
    const selectors = stratusCall('defense-evasion.cloudtrail-event-selectors', 'PutEventSelectors');
    const trailName = get(selectors.requestParameters, 'trailName');
    const put = (request: Record<string, unknown>) => withParameters(selectors, { trailName, ...request });
    const classic = (...eventSelectors: Record<string, unknown>[]) => put({ eventSelectors });
    const advanced = (...fieldSelectors: Record<string, unknown>[][]) =>
      put({ advancedEventSelectors: fieldSelectors.map((conditions) => ({ fieldSelectors: conditions })) });
    const management = { field: 'eventCategory', equals: ['Management'] };
    const s3Objects = [{ type: 'AWS::S3::Object', values: ['arn:aws:s3'] }];

    it('fires when management events are dropped for data events only (Stratus)', () => {
      expect(fires('cloudtrail-selectors-narrowed', selectors)).toBe(true);
    });

    it.each([
      ['reads only', classic({ readWriteType: 'ReadOnly', includeManagementEvents: true })],
      ['writes only', classic({ readWriteType: 'WriteOnly', includeManagementEvents: true })],
      [
        'KMS events excluded',
        classic({
          readWriteType: 'All',
          includeManagementEvents: true,
          excludeManagementEventSources: ['kms.amazonaws.com'],
        }),
      ],
      ['no selector', classic()],
      ['advanced, writes only', advanced([management, { field: 'readOnly', equals: ['false'] }])],
      [
        'advanced, one source left out',
        advanced([management, { field: 'eventSource', notEquals: ['iam.amazonaws.com'] }]),
      ],
      [
        'advanced, data events only',
        advanced([
          { field: 'eventCategory', equals: ['Data'] },
          { field: 'resources.type', equals: ['AWS::S3::Object'] },
        ]),
      ],
    ])(
      'fires on classic or advanced selectors that keep less than all management events: %s',
      (_shape, record) => {
        expect(fires('cloudtrail-selectors-narrowed', record)).toBe(true);
      },
    );

    it.each([
      [
        'classic, management and data',
        classic({
          readWriteType: 'All',
          includeManagementEvents: true,
          dataResources: s3Objects,
          excludeManagementEventSources: [],
        }),
      ],
      ['classic, the defaults', classic({ dataResources: s3Objects })],
      [
        'classic, reads and writes in two selectors',
        classic(
          { readWriteType: 'ReadOnly', includeManagementEvents: true },
          { readWriteType: 'WriteOnly', includeManagementEvents: true },
        ),
      ],
      ['advanced, all management events', advanced([management])],
      [
        'advanced, management events beside S3 data events',
        advanced(
          [management],
          [
            { field: 'eventCategory', equals: ['Data'] },
            { field: 'resources.type', equals: ['AWS::S3::Object'] },
          ],
        ),
      ],
      [
        'advanced, reads and writes in two selectors',
        advanced(
          [management, { field: 'readOnly', equals: ['true'] }],
          [management, { field: 'readOnly', equals: ['false'] }],
        ),
      ],
      // The CLI documentation writes the selectors' keys capitalised.
      [
        'advanced, capitalised keys',
        put({
          AdvancedEventSelectors: [
            { Name: 'all', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
          ],
        }),
      ],
    ])('stays quiet on selectors that still record every management event: %s', (_shape, record) => {
      expect(fires('cloudtrail-selectors-narrowed', record)).toBe(false);
    });

    // The CloudTrail User Guide's UpdateTrail example, which failed; here as if it had succeeded.
    const update = awsDocsRecords().find((record) => record.eventName === 'UpdateTrail')!;
    const updated = (requestParameters: Record<string, unknown>) =>
      ({
        ...update,
        errorCode: null,
        errorMessage: null,
        requestParameters: { name: 'myTrail2', ...requestParameters },
      }) as CloudTrailRecord;

    it('fires on an UpdateTrail that drops global services or regions, or moves the logs', () => {
      expect(fires('cloudtrail-selectors-narrowed', updated({ includeGlobalServiceEvents: false }))).toBe(
        true,
      );
      expect(fires('cloudtrail-selectors-narrowed', updated({ isMultiRegionTrail: false }))).toBe(true);
      expect(fires('cloudtrail-selectors-narrowed', updated({ enableLogFileValidation: false }))).toBe(true);
      expect(fires('cloudtrail-selectors-narrowed', updated({ s3BucketName: 'somewhere-else' }))).toBe(true);
    });

    it('stays quiet on an UpdateTrail that turns features on or changes the SNS topic, and on a refused one', () => {
      expect(
        fires(
          'cloudtrail-selectors-narrowed',
          updated({ enableLogFileValidation: true, isMultiRegionTrail: true }),
        ),
      ).toBe(false);
      expect(fires('cloudtrail-selectors-narrowed', updated({ snsTopicName: 'trail-deliveries' }))).toBe(
        false,
      );
      expect(
        fires('cloudtrail-selectors-narrowed', {
          ...update,
          requestParameters: { name: 'myTrail2', includeGlobalServiceEvents: false },
        }),
      ).toBe(false);
    });

    it('fires on PutInsightSelectors turning Insights off, not on one turning it on', () => {
      const insights = (insightSelectors: unknown[]) =>
        ({
          ...selectors,
          eventName: 'PutInsightSelectors',
          requestParameters: { trailName, insightSelectors },
        }) as CloudTrailRecord;
      expect(fires('cloudtrail-selectors-narrowed', insights([]))).toBe(true);
      expect(fires('cloudtrail-selectors-narrowed', insights([{ insightType: 'ApiCallRateInsight' }]))).toBe(
        false,
      );
    });
  });

  describe('console-login-without-mfa', () => {
    const documented = awsDocsRecords().filter((record) => record.eventName === 'ConsoleLogin');
    const byType = (type: string, mfa: string) =>
      documented.find(
        (record) =>
          record.userIdentity?.type === type &&
          get(record.responseElements, 'ConsoleLogin') === 'Success' &&
          get(record.additionalEventData, 'MFAUsed') === mfa,
      )!;

    it('fires on an IAM user (Stratus) or the root user (AWS docs) signing in with a password alone', () => {
      expect(
        fires(
          'console-login-without-mfa',
          stratusCall('initial-access.console-login-without-mfa', 'ConsoleLogin'),
        ),
      ).toBe(true);
      expect(fires('console-login-without-mfa', byType('Root', 'No'))).toBe(true);
    });

    it('stays quiet when the IAM user or root used MFA (AWS docs, Yes and YES)', () => {
      expect(fires('console-login-without-mfa', byType('IAMUser', 'Yes'))).toBe(false);
      expect(fires('console-login-without-mfa', byType('Root', 'YES'))).toBe(false);
    });

    it('stays quiet on a federated sign-in: an assumed role, through SAML or not (AWS CLI docs)', () => {
      const role = documentedRoleConsoleLogin();
      const saml = {
        ...role,
        additionalEventData: {
          ...(role.additionalEventData as object),
          SamlProviderArn: 'arn:aws:iam::123456789012:saml-provider/Okta',
        },
      } as CloudTrailRecord;

      expect(fires('console-login-without-mfa', role)).toBe(false);
      expect(fires('console-login-without-mfa', saml)).toBe(false);
    });

    it('stays quiet on any sign-in that names a SAML provider, whatever identity type it carries', () => {
      const user = stratusCall('initial-access.console-login-without-mfa', 'ConsoleLogin');
      const saml = {
        ...user,
        additionalEventData: {
          ...(user.additionalEventData as object),
          SamlProviderArn: 'arn:aws:iam::562283505220:saml-provider/Okta',
        },
      } as CloudTrailRecord;

      expect(fires('console-login-without-mfa', saml)).toBe(false);
    });
  });
});

/** A key of a record's part (requestParameters, responseElements...), or undefined. */
function get(part: unknown, key: string): unknown {
  return typeof part === 'object' && part !== null ? (part as Record<string, unknown>)[key] : undefined;
}

describe('people are people however they sign in: the person rules, on real calls by other identities', () => {
  // Each rule's real Stratus call, and the identities that make it: a person's fire the rule, a
  // workload's or service's leave it quiet.
  const calls = [
    [
      'secrets-bulk-read',
      'GetSecretValue',
      stratusCall('credential-access.secretsmanager-retrieve-secrets', 'GetSecretValue'),
    ],
    [
      'securestring-parameters-decrypted',
      'GetParameters',
      stratusCall('credential-access.ssm-retrieve-securestring-parameters', 'GetParameters'),
    ],
    [
      'lambda-code-changed-by-person',
      'UpdateFunctionCode',
      stratusCall('persistence.lambda-overwrite-code', 'UpdateFunctionCode20150331v2'),
    ],
    ['ssm-command-by-person', 'SendCommand', stratusCall('execution.ssm-send-command', 'SendCommand')],
    ['ssm-command-by-person', 'StartSession', stratusCall('execution.ssm-start-session', 'StartSession')],
  ] as const;
  const sso = identityCenterSession();
  const people: [string, UserIdentity][] = [
    ['an Identity Center session (Stratus)', sso],
    [
      'a federation token (Stratus)',
      stratusCall('persistence.sts-federation-token', 'GetCallerIdentity').userIdentity!,
    ],
    ['a Google web identity (documented)', webIdentitySession('accounts.google.com')],
  ];
  const others: [string, UserIdentity][] = [
    [
      'an EC2 instance role (Stratus)',
      stratusRoleRecord('credential-access.ec2-steal-instance-credentials').userIdentity!,
    ],
    ['a Lambda execution role (documented)', lambdaSession()],
    ['an AWS service (documented)', { type: 'AWSService', invokedBy: 'ssm.amazonaws.com' }],
    [
      'an EKS service account (documented)',
      webIdentitySession(
        'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE',
      ),
    ],
    [
      'a role named AWSReservedSSO_ outside the reserved path',
      {
        ...sso,
        sessionContext: {
          ...sso.sessionContext,
          sessionIssuer: {
            ...sso.sessionContext!.sessionIssuer,
            arn: `arn:aws:iam::844015365555:role/${sso.sessionContext!.sessionIssuer!.userName}`,
          },
        },
      },
    ],
  ];
  const by = (record: CloudTrailRecord, identity: UserIdentity) =>
    ({ ...record, userIdentity: identity }) as CloudTrailRecord;
  const fires = (ruleId: string, record: CloudTrailRecord) =>
    matchingRules(record, principalOf(record)).some((rule) => rule.id === ruleId);

  describe.each(calls)('%s on a real %s', (ruleId, _call, record) => {
    it.each(people)('fires when the caller is %s, and EventBridge delivers the call', (_who, identity) => {
      const call = by(record, identity);
      const rule = RULES.find((candidate) => candidate.id === ruleId)!;
      expect(fires(ruleId, call)).toBe(true);
      expect(matchesEventPattern(rule.eventPattern, envelopeFor(call, 'test'))).toBe(true);
      expect(
        forwardingPatterns().some((pattern) => matchesEventPattern(pattern, envelopeFor(call, 'test'))),
      ).toBe(true);
    });

    it.each(others)('stays quiet when the caller is %s', (_who, identity) => {
      expect(fires(ruleId, by(record, identity))).toBe(false);
    });
  });

  it('still asks more than a person for SecureString and Lambda: no decryption, no code or layers, no fire', () => {
    const parameters = stratusCall('credential-access.ssm-retrieve-securestring-parameters', 'GetParameters');
    const plain = by(
      {
        ...parameters,
        requestParameters: { ...(parameters.requestParameters as object), withDecryption: false },
      },
      sso,
    );
    const lambda = stratusCall('persistence.lambda-overwrite-code', 'UpdateFunctionCode20150331v2');
    const memory = by(
      {
        ...lambda,
        eventName: 'UpdateFunctionConfiguration20150331v2',
        requestParameters: { memorySize: 512 },
      },
      sso,
    );

    expect(fires('securestring-parameters-decrypted', plain)).toBe(false);
    expect(fires('lambda-code-changed-by-person', memory)).toBe(false);
  });
});

describe('instance credentials at their first calls from outside (issue 14)', () => {
  // Stratus's real detonation: the role session EC2 named after the instance, with
  // ec2RoleDelivery, calling from the machine the credentials were taken to.
  const whoAmI = stratusCall('credential-access.ec2-steal-instance-credentials', 'GetCallerIdentity');
  const describeInstances = stratusCall(
    'credential-access.ec2-steal-instance-credentials',
    'DescribeInstances',
  );
  const fires = (record: CloudTrailRecord) =>
    matchingRules(record, principalOf(record)).some(
      (rule) => rule.id === 'instance-credentials-outside-recon',
    );
  const rule = RULES.find((candidate) => candidate.id === 'instance-credentials-outside-recon')!;

  it('fires on the who-am-I and the listing from a public address, and EventBridge delivers both', () => {
    for (const record of [whoAmI, describeInstances]) {
      expect(fires(record), record.eventName).toBe(true);
      expect(matchesEventPattern(rule.eventPattern, envelopeFor(record, 'test')), record.eventName).toBe(
        true,
      );
    }
    // Read-only calls reach EventBridge only in ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
    expect(rule.readOnlyEvents).toBe(true);
  });

  it('fires on a refused probe too: the credential was used from outside all the same', () => {
    expect(
      fires({
        ...whoAmI,
        eventName: 'DescribeInstances',
        eventSource: 'ec2.amazonaws.com',
        errorCode: 'Client.UnauthorizedOperation',
      }),
    ).toBe(true);
  });

  it('stays quiet through the account’s own VPC endpoint, from a private address, or from an AWS service', () => {
    const own = whoAmI.recipientAccountId!;
    expect(fires({ ...whoAmI, sourceIPAddress: '10.0.12.7', vpcEndpointId: 'vpce-0a1b2c3d4e5f60718' })).toBe(
      false,
    );
    expect(
      fires({
        ...whoAmI,
        sourceIPAddress: '10.0.12.7',
        vpcEndpointId: 'vpce-0a1b2c3d4e5f60718',
        vpcEndpointAccountId: own,
      }),
    ).toBe(false);
    for (const address of ['172.31.5.9', '192.168.1.20', 'fd00:ec2::23', 'ec2.amazonaws.com', 'AWS Internal'])
      expect(fires({ ...whoAmI, sourceIPAddress: address }), address).toBe(false);
  });

  it('fires through another account’s VPC endpoint, whatever the address (the way round GuardDuty)', () => {
    expect(
      fires({
        ...whoAmI,
        sourceIPAddress: '10.0.12.7',
        vpcEndpointId: 'vpce-0a1b2c3d4e5f60718',
        vpcEndpointAccountId: '999988887777',
      }),
    ).toBe(true);
  });

  it('stays quiet on other roles, and on calls that are not reconnaissance', () => {
    expect(fires({ ...whoAmI, userIdentity: lambdaSession() })).toBe(false);
    expect(fires({ ...whoAmI, eventSource: 'ec2.amazonaws.com', eventName: 'DescribeTags' })).toBe(false);
    expect(fires({ ...whoAmI, eventSource: 'kms.amazonaws.com', eventName: 'GetCallerIdentity' })).toBe(
      false,
    );
  });

  it('opens before the bucket listing and the IAM grant: the case starts at the who-am-I', () => {
    const order = RULES.map((candidate) => candidate.id);
    expect(rule).toMatchObject({ severity: 'high', response: 'auto-revoke' });
    // Same severity as the bucket listing: a ListBuckets keeps its own rule's name.
    expect(order.indexOf('instance-credentials-bucket-listing')).toBeLessThan(order.indexOf(rule.id));
  });
});
