// The heartbeat in AWS: STS at the regional endpoint of each trail region. CloudTrail records
// the call in the region of the endpoint called: in the stack's own account GetCallerIdentity
// (it needs no permission); in a member account AssumeRole of its reader role, which CloudTrail
// records in the account that owns the role too. So every enrolled account's logs gain an event
// by revoker in every region every few minutes, and verification there can count silence.
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { RegionHeartbeat } from '../ports.ts';
import { MEMBER_SESSION_SECONDS } from './assumed-role.ts';

/** A client for the region's own STS endpoint, never the global one (which logs in us-east-1). */
export function regionalStsClient(region: string): STSClient {
  // A region that does not answer fails its ping, named, instead of holding the others to the
  // function's timeout.
  return new STSClient({
    region,
    useGlobalEndpoint: false,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 10_000 },
  });
}

export class StsRegionHeartbeat implements RegionHeartbeat {
  /** One client per region, created on its first ping and reused for the container's life. */
  private readonly clients = new Map<string, STSClient>();

  constructor(
    /** The reader role to assume in an account, or null for the stack's own (a call of its own). */
    private readonly memberRoleIn: (accountId: string) => string | null = () => null,
    private readonly clientFor: (region: string) => STSClient = regionalStsClient,
  ) {}

  async ping(region: string, accountId: string): Promise<void> {
    let client = this.clients.get(region);
    if (!client) {
      client = this.clientFor(region);
      this.clients.set(region, client);
    }
    const roleArn = this.memberRoleIn(accountId);
    if (roleArn === null) {
      await client.send(new GetCallerIdentityCommand({}));
      return;
    }
    // The credentials are not used: the call itself is the heartbeat.
    await client.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: 'revoker-heartbeat',
        DurationSeconds: MEMBER_SESSION_SECONDS,
      }),
    );
  }
}
