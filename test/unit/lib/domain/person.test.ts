import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord, UserIdentity } from '../../../../lib/domain/cloudtrail.ts';
import { isPerson, personEvidence } from '../../../../lib/domain/person.ts';
import { type Principal, resolvePrincipal } from '../../../../lib/domain/principal.ts';
import {
  awsDocsRecords,
  documentedRoleConsoleLogin,
  identityCenterSession,
  lambdaSession,
  stratusCall,
  stratusRoleRecord,
  webIdentitySession,
} from '../../../fixtures/records.ts';

function principalOf(record: CloudTrailRecord): Principal {
  const resolution = resolvePrincipal(record.userIdentity);
  if (!resolution.ok) throw new Error(resolution.reason);
  return resolution.principal;
}

const evidence = (record: CloudTrailRecord) => personEvidence(principalOf(record), record);
/** A real Stratus SSM call, made instead by `identity`. */
const sendCommandBy = (identity: UserIdentity) =>
  ({
    ...stratusCall('execution.ssm-send-command', 'SendCommand'),
    userIdentity: identity,
  }) as CloudTrailRecord;

describe('personEvidence: a person, however they signed in', () => {
  it('counts an IAM user (Stratus) and the root user (AWS docs)', () => {
    expect(evidence(stratusCall('execution.ssm-send-command', 'SendCommand'))).toBe('iam-user');
    const root = awsDocsRecords().find((record) => record.userIdentity?.type === 'Root')!;
    expect(evidence(root)).toBe('root');
  });

  it('counts a federation token, which only an IAM user or root can mint (Stratus)', () => {
    expect(evidence(stratusCall('persistence.sts-federation-token', 'GetCallerIdentity'))).toBe(
      'federation-token',
    );
  });

  it('counts a session of an Identity Center permission set’s role, under the reserved path (Stratus)', () => {
    expect(evidence(sendCommandBy(identityCenterSession()))).toBe('identity-center');
  });

  it('does not count a role merely named AWSReservedSSO_ outside the reserved path, or one whose path is unknown', () => {
    const real = identityCenterSession();
    const issuer = real.sessionContext!.sessionIssuer!;
    const impostor = {
      ...real,
      sessionContext: {
        ...real.sessionContext,
        sessionIssuer: { ...issuer, arn: `arn:aws:iam::844015365555:role/${issuer.userName}` },
      },
    };
    const elsewhere = {
      ...real,
      sessionContext: {
        ...real.sessionContext,
        sessionIssuer: { ...issuer, arn: `arn:aws:iam::844015365555:role/people/${issuer.userName}` },
      },
    };
    const noIssuer = {
      type: 'AssumedRole',
      arn: `arn:aws:sts::844015365555:assumed-role/${issuer.userName}/alice@example.com`,
      accountId: '844015365555',
    };

    expect(evidence(sendCommandBy(impostor))).toBeNull();
    expect(evidence(sendCommandBy(elsewhere))).toBeNull();
    expect(evidence(sendCommandBy(noIssuer))).toBeNull();
  });

  it('counts an Identity Center user acting through an AWS app (CloudTrail User Guide)', () => {
    const record = sendCommandBy({
      type: 'IdentityCenterUser',
      accountId: '123456789012',
      onBehalfOf: {
        userId: '544894e8-80c1-707f-60e3-3ba6510dfac1',
        identityStoreArn: 'arn:aws:identitystore::123456789012:identitystore/d-9067642ac7',
      },
    });
    expect(evidence(record)).toBe('identity-center');
  });

  it('counts the AssumeRoleWithSAML call and a console sign-in through a SAML provider, not one without', () => {
    const samlUser = sendCommandBy({
      type: 'SAMLUser',
      principalId: 'SomeSAMLQualifier:alice@example.com',
      userName: 'alice@example.com',
      identityProvider: 'SomeSAMLQualifier',
    });
    const role = documentedRoleConsoleLogin();
    const viaSaml = {
      ...role,
      additionalEventData: {
        ...(role.additionalEventData as object),
        SamlProviderArn: 'arn:aws:iam::123456789012:saml-provider/Okta',
      },
    } as CloudTrailRecord;

    expect(evidence(samlUser)).toBe('saml');
    expect(evidence(viaSaml)).toBe('saml');
    expect(evidence(role)).toBeNull();
  });

  it('counts a consumer web identity (Google, Cognito), not an OIDC provider created in IAM (EKS, CI)', () => {
    expect(evidence(sendCommandBy(webIdentitySession('accounts.google.com')))).toBe('web-identity');
    expect(evidence(sendCommandBy(webIdentitySession('cognito-identity.amazonaws.com')))).toBe(
      'web-identity',
    );
    expect(
      evidence(
        sendCommandBy(
          webIdentitySession(
            'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
          ),
        ),
      ),
    ).toBeNull();
    expect(
      evidence(
        sendCommandBy(
          webIdentitySession('arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com'),
        ),
      ),
    ).toBeNull();
    const call = (identityProvider: string) =>
      sendCommandBy({ type: 'WebIdentityUser', userName: 'user-id', principalId: 'p', identityProvider });
    expect(evidence(call('accounts.google.com'))).toBe('web-identity');
    expect(evidence(call('token.actions.githubusercontent.com'))).toBeNull();
  });

  it('keeps EC2 instance, Lambda and service sessions out, and ordinary role sessions whatever they are named', () => {
    const instance = stratusRoleRecord('credential-access.ec2-steal-instance-credentials');
    const service = sendCommandBy({ type: 'AWSService', invokedBy: 'ssm.amazonaws.com' });
    const real = identityCenterSession();
    // A caller of AssumeRole names its session and source identity as it likes.
    const ordinary = sendCommandBy({
      type: 'AssumedRole',
      principalId: 'AROAIDPPEZS35WEXAMPLE:alice@example.com',
      arn: 'arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/alice@example.com',
      accountId: '123456789012',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAIDPPEZS35WEXAMPLE',
          arn: 'arn:aws:iam::123456789012:role/RoleToBeAssumed',
          accountId: '123456789012',
          userName: 'RoleToBeAssumed',
        },
        sourceIdentity: 'alice@example.com',
        webIdFederationData: {},
        attributes: { mfaAuthenticated: 'false', creationDate: '2024-11-26T15:14:58Z' },
      },
    });
    // Instance credentials delivered for a role even under the reserved path stay an instance's.
    const ssoOnInstance = sendCommandBy({
      ...real,
      sessionContext: { ...real.sessionContext, ec2RoleDelivery: '2.0' },
    });

    expect(isPerson(principalOf(instance), instance)).toBe(false);
    expect(isPerson(principalOf(sendCommandBy(lambdaSession())), sendCommandBy(lambdaSession()))).toBe(false);
    expect(isPerson(principalOf(service), service)).toBe(false);
    expect(isPerson(principalOf(ordinary), ordinary)).toBe(false);
    expect(isPerson(principalOf(ssoOnInstance), ssoOnInstance)).toBe(false);
  });
});
