import { describe, expect, it } from 'vitest';
import type { RegionHeartbeat } from '../../../../lib/ports.ts';
import { HeartbeatFailedError, heartbeat } from '../../../../lib/usecases/heartbeat.ts';

/** Records each ping; the regions in `failing` refuse. */
function fakeHeartbeat(failing: Record<string, string> = {}): RegionHeartbeat & { pinged: string[] } {
  const pinged: string[] = [];
  return {
    pinged,
    async ping(region) {
      pinged.push(region);
      if (failing[region]) throw new Error(failing[region]);
    },
  };
}

const config = (regions: string[]) => ({
  verify: { marginMinutes: 5, waitSeconds: 300, maxAttempts: 6, regions },
});

describe('heartbeat', () => {
  it('makes one call in every region of the trail', async () => {
    const regions = fakeHeartbeat();

    const result = await heartbeat({
      heartbeat: regions,
      config: config(['us-east-1', 'eu-west-1', 'ap-southeast-2']),
    });

    expect(regions.pinged.sort()).toEqual(['ap-southeast-2', 'eu-west-1', 'us-east-1']);
    expect(result.pinged).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-2']);
  });

  it('still calls the other regions when one fails, then fails naming it and why', async () => {
    const regions = fakeHeartbeat({ 'eu-west-1': 'connect ETIMEDOUT' });

    const running = heartbeat({
      heartbeat: regions,
      config: config(['us-east-1', 'eu-west-1', 'ap-southeast-2']),
    });

    await expect(running).rejects.toThrow(HeartbeatFailedError);
    await expect(running).rejects.toThrow(
      'heartbeat failed in eu-west-1 (connect ETIMEDOUT); sent in us-east-1, ap-southeast-2.',
    );
    expect(regions.pinged.sort()).toEqual(['ap-southeast-2', 'eu-west-1', 'us-east-1']);
  });
});
