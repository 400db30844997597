// template.yaml as operations need it: each alarm on the metric it is about (revoker's own
// metrics as lib/domain/case-events.ts names them), the feed heartbeat matching the event the
// heartbeat really causes, the dashboard showing every metric, what survives the stack's
// deletion, each function's log group, the audit bucket, and tracing.
import { describe, expect, it } from 'vitest';
import { METRICS, METRICS_NAMESPACE, SERVICE_NAME } from '../../lib/domain/case-events.ts';
import type { CloudTrailRecord } from '../../lib/domain/cloudtrail.ts';
import { envelopeFor } from '../../lib/domain/envelope.ts';
import { type EventPattern, matchesEventPattern } from '../../lib/domain/event-pattern.ts';
import { loadTemplate } from '../fixtures/template.ts';
import { DEPLOYMENT, TemplateResolver } from '../fixtures/template-resolve.ts';

const template = loadTemplate();
const stack = new TemplateResolver(template);
const resources = template.Resources;
const propertiesOf = (name: string) => stack.resolve(resources[name]!.Properties) as Record<string, unknown>;
const functions = Object.keys(resources).filter(
  (name) => resources[name]!.Type === 'AWS::Serverless::Function',
);
const alarms = Object.keys(resources).filter((name) => resources[name]!.Type === 'AWS::CloudWatch::Alarm');

interface Alarm {
  Namespace: string;
  MetricName: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Statistic: string;
  Period: number;
  EvaluationPeriods: unknown;
  Threshold: number;
  ComparisonOperator: string;
  TreatMissingData: string;
  AlarmActions: unknown[];
}
const alarm = (name: string) => propertiesOf(name) as unknown as Alarm;
/** The alarm's metric, its dimensions by name. */
const watched = (name: string) => {
  const { Namespace, MetricName, Dimensions = [] } = alarm(name);
  return { Namespace, MetricName, Dimensions: Object.fromEntries(Dimensions.map((d) => [d.Name, d.Value])) };
};
const ref = (name: string) => stack.ref(name);

describe('the alarms', () => {
  it('every alarm pages the notifications topic', () => {
    for (const name of alarms) expect(alarm(name).AlarmActions, name).toEqual([ref('NotifyTopic')]);
  });

  it('dead letters waiting: any message in the dead-letter queue', () => {
    expect(watched('DeadLettersWaiting')).toEqual({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: { QueueName: stack.getAtt('DetectDeadLetterQueue', 'QueueName') },
    });
    expect(alarm('DeadLettersWaiting')).toMatchObject({
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it.each([
    ['ExecutionsFailed', 'ExecutionsFailed'],
    ['ExecutionsTimedOut', 'ExecutionsTimedOut'],
    ['ExecutionsAborted', 'ExecutionsAborted'],
  ])('%s: any case execution that ended so', (name, metric) => {
    expect(watched(name)).toEqual({
      Namespace: 'AWS/States',
      MetricName: metric,
      Dimensions: { StateMachineArn: ref('RevocationStateMachine') },
    });
    expect(alarm(name)).toMatchObject({
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it.each(functions)('%s: throttled at all', (name) => {
    expect(watched(`${name}Throttles`)).toEqual({
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: { FunctionName: ref(name) },
    });
    expect(alarm(`${name}Throttles`)).toMatchObject({ Statistic: 'Sum', Threshold: 0 });
  });

  it('a missed decision deadline: the metric the handlers emit, with the dimensions they give it', () => {
    expect(METRICS.DecisionDeadlinesMissed.byRule).toBe(false);
    expect(watched('DecisionDeadlinesMissed')).toEqual({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'DecisionDeadlinesMissed',
      // Powertools' default dimension; a metric counted without a rule carries no other.
      Dimensions: { service: SERVICE_NAME },
    });
    expect(alarm('DecisionDeadlinesMissed')).toMatchObject({ Statistic: 'Maximum', Threshold: 0 });
  });

  it('alarms on revoker’s own metrics by their Maximum: anyone allowed PutMetricData may write the namespace, and a negative value would cancel a Sum', () => {
    const own = alarms.filter((name) => alarm(name).Namespace === METRICS_NAMESPACE);

    expect(own).toContain('DecisionDeadlinesMissed');
    for (const name of own)
      expect(alarm(name), name).toMatchObject({
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
  });

  describe('the CloudTrail feed', () => {
    const rule = propertiesOf('FeedHeartbeatRule') as {
      Name: string;
      EventBusName: string;
      State: string;
      EventPattern: EventPattern;
      Targets: { Arn: unknown }[];
    };
    /** The heartbeat function's STS call in the stack's account, as CloudTrail delivers it to EventBridge. */
    const heartbeatCall = (roleArn: unknown, account = DEPLOYMENT.accountId) =>
      envelopeFor(
        {
          eventVersion: '1.08',
          userIdentity: {
            type: 'AssumedRole',
            principalId: 'AROAEXAMPLE:revoker-HeartbeatFunction',
            arn: `arn:aws:sts::${account}:assumed-role/x/revoker-HeartbeatFunction`,
            accountId: account,
            sessionContext: {
              sessionIssuer: {
                type: 'Role',
                principalId: 'AROAEXAMPLE',
                arn: String(roleArn),
                accountId: account,
              },
            },
          },
          eventTime: '2026-01-15T11:05:00Z',
          eventSource: 'sts.amazonaws.com',
          eventName: 'GetCallerIdentity',
          awsRegion: DEPLOYMENT.region,
          sourceIPAddress: '3.210.1.1',
          userAgent: 'aws-sdk-js/3',
          requestParameters: null,
          responseElements: null,
          eventID: 'e-1',
          readOnly: true,
          eventType: 'AwsApiCall',
          recipientAccountId: account,
        } as unknown as CloudTrailRecord,
        'e-1',
      );
    const call = heartbeatCall(stack.getAtt('HeartbeatFunctionRole', 'Arn'));

    it('the heartbeat’s call reaches the detect bus and the heartbeat rule there', () => {
      const forward = propertiesOf('DetectForwardNamedCalls') as {
        EventPattern: EventPattern;
        State: string;
      };

      expect(matchesEventPattern(forward.EventPattern, call)).toBe(true);
      expect(rule.EventBusName).toBe(ref('DetectBus'));
      expect(matchesEventPattern(rule.EventPattern, call)).toBe(true);
      // A read-only call reaches only rules in this state, the forwarding one and this one.
      expect(forward.State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
      expect(rule.State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    });

    it('only the heartbeat’s own call in this account keeps it quiet', () => {
      expect(
        matchesEventPattern(rule.EventPattern, heartbeatCall(stack.getAtt('DetectFunctionRole', 'Arn'))),
      ).toBe(false);
      expect(
        matchesEventPattern(
          rule.EventPattern,
          heartbeatCall(stack.getAtt('HeartbeatFunctionRole', 'Arn'), '222233334444'),
        ),
      ).toBe(false);
    });

    it('has a target (EventBridge reports a rule’s metrics only then), which only the rule may send to', () => {
      const policy = propertiesOf('FeedHeartbeatQueuePolicy') as {
        Queues: unknown[];
        PolicyDocument: { Statement: { Principal: unknown; Action: string; Condition: unknown }[] };
      };

      expect(rule.Targets.map((target) => target.Arn)).toEqual([stack.getAtt('FeedHeartbeatQueue', 'Arn')]);
      expect(policy.Queues).toEqual([ref('FeedHeartbeatQueue')]);
      expect(policy.PolicyDocument.Statement).toEqual([
        expect.objectContaining({
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Condition: { ArnEquals: { 'aws:SourceArn': stack.getAtt('FeedHeartbeatRule', 'Arn') } },
        }),
      ]);
    });

    it('alarms when the rule has not matched for FeedSilenceMinutes, silence counting as breaching', () => {
      const silence = template.Parameters?.FeedSilenceMinutes as { Default: number; MinValue: number };

      expect(watched('CloudTrailFeedSilent')).toEqual({
        Namespace: 'AWS/Events',
        MetricName: 'TriggeredRules',
        // A rule on a bus of its own is reported by bus and rule name.
        Dimensions: { EventBusName: ref('DetectBus'), RuleName: rule.Name },
      });
      expect(template.Resources.CloudTrailFeedSilent!.Properties.EvaluationPeriods).toEqual({
        '!Ref': 'FeedSilenceMinutes',
      });
      expect(alarm('CloudTrailFeedSilent')).toMatchObject({
        Period: 60,
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
      // The heartbeat calls every five minutes: never less than two of its beats.
      expect(silence.MinValue).toBeGreaterThanOrEqual(10);
      expect(silence.Default).toBeGreaterThanOrEqual(silence.MinValue);
    });
  });
});

describe('the dashboard', () => {
  const body = JSON.parse(String(propertiesOf('Dashboard').DashboardBody)) as {
    widgets: { type: string; properties: { region?: string; metrics?: unknown[] } }[];
  };
  const text = JSON.stringify(body);

  it('shows each of revoker’s metrics', () => {
    for (const [name, { byRule }] of Object.entries(METRICS))
      expect(text, name).toContain(
        byRule
          ? // Every rule's series, found by the dimensions the handlers give the metric.
            `{${METRICS_NAMESPACE},rule,service} MetricName=\\"${name}\\"`
          : `"${METRICS_NAMESPACE}","${name}","service","${SERVICE_NAME}"`,
      );
  });

  it('shows what the alarms watch: the dead-letter queue, the executions, the feed, every function', () => {
    expect(text).toContain(String(stack.getAtt('DetectDeadLetterQueue', 'QueueName')));
    expect(text).toContain(String(ref('RevocationStateMachine')));
    expect(text).toContain(`"RuleName","${(propertiesOf('FeedHeartbeatRule') as { Name: string }).Name}"`);
    for (const name of functions) expect(text, name).toContain(`"FunctionName","${ref(name)}"`);
  });

  it('names the stack’s region in every metric widget', () => {
    const metricWidgets = body.widgets.filter((widget) => widget.type === 'metric');

    expect(metricWidgets.length).toBeGreaterThan(5);
    for (const widget of metricWidgets) expect(widget.properties.region).toBe(DEPLOYMENT.region);
  });
});

describe('what outlives the stack', () => {
  it.each(['CasesTable', 'AuditBucket'])(
    '%s is retained when the stack is deleted or it is replaced',
    (name) => {
      expect(resources[name]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    },
  );
});

describe('each function’s log group', () => {
  it.each(functions)(
    '%s writes to a group of its own, made before it, with the retention parameter',
    (name) => {
      const config = resources[name]!.Properties.LoggingConfig as { LogGroup: { '!Ref': string } };
      const group = resources[config.LogGroup['!Ref']]!;

      expect(group.Type).toBe('AWS::Logs::LogGroup');
      expect(group.Properties.RetentionInDays).toEqual({ '!Ref': 'LogRetentionDays' });
      // Named without the function, so the group is made first (the function refers to it).
      expect(JSON.stringify(group.Properties)).not.toContain(name);
    },
  );

  it('no two functions share one', () => {
    const groups = functions.map(
      (name) =>
        (resources[name]!.Properties.LoggingConfig as { LogGroup: { '!Ref': string } }).LogGroup['!Ref'],
    );

    expect(new Set(groups.map((group) => stack.ref(group))).size).toBe(functions.length);
  });
});

describe('the audit bucket', () => {
  const bucket = propertiesOf('AuditBucket');

  it('is encrypted, private, versioned, and refuses anything but TLS', () => {
    const policy = propertiesOf('AuditBucketPolicy') as {
      Bucket: unknown;
      PolicyDocument: { Statement: unknown[] };
    };

    expect(bucket).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(policy.Bucket).toBe(ref('AuditBucket'));
    expect(policy.PolicyDocument.Statement).toContainEqual({
      Sid: 'OnlyOverTls',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:*'],
      Resource: [stack.getAtt('AuditBucket', 'Arn'), `${stack.getAtt('AuditBucket', 'Arn')}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('takes objects from the close function alone and lets nobody delete one: a forged or pre-empted case would stand as the record', () => {
    const policy = propertiesOf('AuditBucketPolicy') as { PolicyDocument: { Statement: unknown[] } };
    const objects = `${stack.getAtt('AuditBucket', 'Arn')}/*`;

    expect(policy.PolicyDocument.Statement).toContainEqual({
      Sid: 'OnlyTheCloseFunctionWrites',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:PutObject'],
      Resource: objects,
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': stack.getAtt('CloseFunctionRole', 'Arn') } },
    });
    expect(policy.PolicyDocument.Statement).toContainEqual({
      Sid: 'ClosedCasesStay',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
      Resource: objects,
    });
  });

  it('locks each object for AuditObjectLockDays when asked, and not otherwise', () => {
    const locked = new TemplateResolver(template, {
      ...DEPLOYMENT,
      parameters: { ...DEPLOYMENT.parameters, AuditObjectLockDays: '365', AuditObjectLockMode: 'COMPLIANCE' },
    }).resolve(resources.AuditBucket!.Properties) as Record<string, unknown>;

    expect(bucket.ObjectLockEnabled).toBeUndefined();
    expect(bucket.ObjectLockConfiguration).toBeUndefined();
    expect(locked).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: '365' } },
      },
    });
  });

  it('the close function is told its name (AUDIT_BUCKET) and may put objects in it; no other function may write it', () => {
    const writers = functions.filter((name) =>
      JSON.stringify(resources[name]!.Properties.Policies ?? []).includes('AuditBucket'),
    );
    const close = propertiesOf('CloseFunction') as {
      Environment: { Variables: Record<string, unknown> };
      Policies: { Statement?: { Action: unknown; Resource: unknown; Effect: string }[] }[];
    };

    expect(writers).toEqual(['CloseFunction']);
    expect(close.Environment.Variables.AUDIT_BUCKET).toBe(ref('AuditBucket'));
    expect(close.Policies.flatMap((policy) => policy.Statement ?? [])).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: `${stack.getAtt('AuditBucket', 'Arn')}/*`,
      }),
    );
  });
});

describe('tracing', () => {
  it('X-Ray traces every function and the state machine’s executions', () => {
    expect((template.Globals?.Function as { Tracing?: string } | undefined)?.Tracing).toBe('Active');
    expect(resources.RevocationStateMachine!.Properties.Tracing).toEqual({ Enabled: true });
  });
});
