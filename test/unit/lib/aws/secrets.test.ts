// The approval signing keys and the Slack webhook, read at run time from Secrets Manager
// through Powertools Parameters: the exact GetSecretValue commands (AWSCURRENT, AWSPREVIOUS),
// the cache, a secret never rotated, and values that must never reach an error message.
import 'aws-sdk-client-mock-vitest/extend';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretFormatError, SecretsManagerSigningKeys, secretText } from '../../../../lib/aws/secrets.ts';

const secretsManager = mockClient(SecretsManagerClient);
const SECRET = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:ApprovalSecret-AbCdEf';
const CURRENT = { id: '2027-01', key: 'k'.repeat(64) };
const PREVIOUS = { id: 'initial', key: 'p'.repeat(64) };
const stage = (VersionStage: string) => ({ SecretId: SECRET, VersionStage });
const notFound = () =>
  new ResourceNotFoundException({
    message: "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS",
    $metadata: {},
  });

/** The secret as Secrets Manager holds it: one JSON value per version stage. */
function holds(versions: { AWSCURRENT: object; AWSPREVIOUS?: object }) {
  secretsManager.on(GetSecretValueCommand, stage('AWSCURRENT')).resolves({
    SecretString: JSON.stringify(versions.AWSCURRENT),
  });
  if (versions.AWSPREVIOUS)
    secretsManager.on(GetSecretValueCommand, stage('AWSPREVIOUS')).resolves({
      SecretString: JSON.stringify(versions.AWSPREVIOUS),
    });
  else secretsManager.on(GetSecretValueCommand, stage('AWSPREVIOUS')).rejects(notFound());
}

const sentStages = () =>
  secretsManager.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.VersionStage);

beforeEach(() => {
  secretsManager.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2027-01-15T12:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SecretsManagerSigningKeys', () => {
  it('signs with the AWSCURRENT version’s key, asking for exactly that version', async () => {
    holds({ AWSCURRENT: CURRENT, AWSPREVIOUS: PREVIOUS });

    const key = await new SecretsManagerSigningKeys(new SecretsManagerClient({}), SECRET).current();

    expect(key).toEqual(CURRENT);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, stage('AWSCURRENT'));
  });

  it('reads the secret once within maxAge, and again after it', async () => {
    holds({ AWSCURRENT: CURRENT });
    const keys = new SecretsManagerSigningKeys(new SecretsManagerClient({}), SECRET, { maxAgeSeconds: 300 });

    await keys.current();
    vi.setSystemTime(new Date('2027-01-15T12:04:59Z'));
    await keys.current();
    const withinMaxAge = secretsManager.commandCalls(GetSecretValueCommand).length;
    vi.setSystemTime(new Date('2027-01-15T12:05:01Z'));
    await keys.current();

    expect(withinMaxAge).toBe(1);
    expect(sentStages()).toEqual(['AWSCURRENT', 'AWSCURRENT']);
  });

  it('finds the current and the previous key by ID, each version read once', async () => {
    holds({ AWSCURRENT: CURRENT, AWSPREVIOUS: PREVIOUS });
    const keys = new SecretsManagerSigningKeys(new SecretsManagerClient({}), SECRET);

    const found = [await keys.find('2027-01'), await keys.find('initial'), await keys.find('initial')];

    expect(found).toEqual([CURRENT, PREVIOUS, PREVIOUS]);
    expect(secretsManager).toHaveReceivedNthCommandWith(GetSecretValueCommand, 1, stage('AWSCURRENT'));
    expect(secretsManager).toHaveReceivedNthCommandWith(GetSecretValueCommand, 2, stage('AWSPREVIOUS'));
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('takes a secret never rotated (no AWSPREVIOUS) as having no previous key, not as an error', async () => {
    holds({ AWSCURRENT: CURRENT });
    const keys = new SecretsManagerSigningKeys(new SecretsManagerClient({}), SECRET);

    expect(await keys.find('2027-01')).toEqual(CURRENT);
    expect(await keys.find('initial')).toBeNull();
  });

  it('re-reads at most once a minute for a key ID it does not hold, and never sends the ID to AWS', async () => {
    holds({ AWSCURRENT: CURRENT });
    const keys = new SecretsManagerSigningKeys(new SecretsManagerClient({}), SECRET, {
      keyMissRefreshSeconds: 60,
    });

    const first = await keys.find('forged');
    const readsAfterFirst = sentStages();
    for (const id of ['forged-2', 'forged-3', 'not a key ID']) expect(await keys.find(id)).toBeNull();
    const readsWithinTheMinute = secretsManager.commandCalls(GetSecretValueCommand).length;

    expect(first).toBeNull();
    // The cached read, then one forced re-read of both versions.
    expect(readsAfterFirst).toEqual(['AWSCURRENT', 'AWSPREVIOUS', 'AWSCURRENT', 'AWSPREVIOUS']);
    expect(readsWithinTheMinute).toBe(4);
    for (const call of secretsManager.commandCalls(GetSecretValueCommand))
      expect(Object.keys(call.args[0].input).sort()).toEqual(['SecretId', 'VersionStage']);
  });

  it('finds a key put since it last read the secret (another container signed with it)', async () => {
    holds({ AWSCURRENT: PREVIOUS });
    const keys = new SecretsManagerSigningKeys(new SecretsManagerClient({}), SECRET);
    expect(await keys.current()).toEqual(PREVIOUS);
    secretsManager.reset();
    holds({ AWSCURRENT: CURRENT, AWSPREVIOUS: PREVIOUS });

    const found = await keys.find('2027-01');

    expect(found).toEqual(CURRENT);
    expect(await keys.current()).toEqual(CURRENT);
    expect(await keys.find('initial')).toEqual(PREVIOUS);
  });

  it('refuses a value that is not {"id", "key"} with a 32-byte key, without quoting it', async () => {
    const keys = () => new SecretsManagerSigningKeys(new SecretsManagerClient({}), SECRET);
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'not-json-but-secret-text' });
    const notJson = await keys()
      .current()
      .catch((error: Error) => error);
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"id":"x","key":"short-secret"}' });
    const short = await keys()
      .current()
      .catch((error: Error) => error);

    expect(notJson).toEqual(new SecretFormatError(`the secret ${SECRET} (AWSCURRENT) is not JSON`));
    expect(short).toEqual(
      new SecretFormatError(
        `the secret ${SECRET} (AWSCURRENT) is not {"id": "<key id>", "key": "<at least 32 bytes>"}`,
      ),
    );
    expect(`${(notJson as Error).message}${(short as Error).message}`).not.toMatch(
      /secret-text|short-secret/,
    );
  });
  it('takes a previous value that is no key (a plain secret from before key IDs) as no previous key', async () => {
    secretsManager
      .on(GetSecretValueCommand, stage('AWSCURRENT'))
      .resolves({ SecretString: JSON.stringify(CURRENT) });
    secretsManager
      .on(GetSecretValueCommand, stage('AWSPREVIOUS'))
      .resolves({ SecretString: 'a-plain-secret-of-64-characters-from-before-key-ids-0123456789ab' });
    const keys = new SecretsManagerSigningKeys(new SecretsManagerClient({}), SECRET);

    expect(await keys.find('initial')).toBeNull();
    expect(await keys.find('2027-01')).toEqual(CURRENT);
  });
});

describe('secretText', () => {
  it('reads the webhook URL at run time, once within maxAge', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'revoker/slack' })
      .resolves({ SecretString: 'https://hooks.slack.com/services/T0/B0/x' });
    const url = secretText(new SecretsManagerClient({}), 'revoker/slack', 300);

    const read = [await url(), await url()];

    expect(read).toEqual([
      'https://hooks.slack.com/services/T0/B0/x',
      'https://hooks.slack.com/services/T0/B0/x',
    ]);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'revoker/slack' });
  });
});
