// The heartbeat in AWS: STS GetCallerIdentity at the regional endpoint of each trail region.
// CloudTrail records the call in the region of the endpoint called, and GetCallerIdentity
// needs no IAM permission, so each region's logs gain an event by revoker every few minutes.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { RegionHeartbeat } from '../ports.ts';

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

  constructor(private readonly clientFor: (region: string) => STSClient = regionalStsClient) {}

  async ping(region: string): Promise<void> {
    let client = this.clients.get(region);
    if (!client) {
      client = this.clientFor(region);
      this.clients.set(region, client);
    }
    await client.send(new GetCallerIdentityCommand({}));
  }
}
