// Credentials for an enrolled member account: the member role there, assumed with STS and
// kept until shortly before they expire. Calls made meanwhile share one AssumeRole.
//
// Written here rather than taken from @aws-sdk/credential-providers' fromTemporaryCredentials:
// that one builds its own STS client inside, so the exact AssumeRole it sends cannot be
// asserted, and it is one package more for a dozen lines.
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** The member role's sessions last 15 minutes (STS's least): no Lambda invocation lasts longer. */
export const MEMBER_SESSION_SECONDS = 900;

/** Credentials are renewed this long before they expire, so none expires during a call. */
const RENEW_BEFORE_MS = 120_000;

/** A role session name from the function's name: `[\w+=,.@-]`, 2–64 characters. */
export function sessionNameFor(functionName: string): string {
  const cleaned = functionName.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  return cleaned.length >= 2 ? cleaned : 'revoker';
}

export function assumedRoleCredentials(
  sts: STSClient,
  roleArn: string,
  sessionName: string,
  now: () => number = Date.now,
): AwsCredentialIdentityProvider {
  const assume = async (): Promise<AwsCredentialIdentity> => {
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: sessionName,
        DurationSeconds: MEMBER_SESSION_SECONDS,
      }),
    );
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !Credentials.Expiration)
      throw new Error(`STS returned no credentials for ${roleArn}`);
    return {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken,
      expiration: Credentials.Expiration,
    };
  };
  let held: AwsCredentialIdentity | null = null;
  let pending: Promise<AwsCredentialIdentity> | null = null;
  return () => {
    if (held?.expiration && held.expiration.getTime() - RENEW_BEFORE_MS > now()) return Promise.resolve(held);
    // One AssumeRole at a time; a failed one is not kept, so the next call asks again.
    pending ??= assume()
      .then((credentials) => {
        held = credentials;
        return credentials;
      })
      .finally(() => {
        pending = null;
      });
    return pending;
  };
}
