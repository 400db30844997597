// Secrets Manager: the approval links' signing keys and the Slack webhook, read at run time.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerSigningKeys, secretText } from '../../aws/secrets.ts';
import type { SigningKeys } from '../../ports.ts';
import { once, setting } from './deployed.ts';

const client = once(() => new SecretsManagerClient({}));

/** The approval links' signing keys: the secret's ARN is in the environment, the keys are read at run time. */
export const signingKeys = once(
  (): SigningKeys => new SecretsManagerSigningKeys(client(), setting('APPROVAL_KEYS_SECRET')),
);

/** A secret's text, read when first needed (then cached by the reader). */
export function secretNamed(name: string) {
  return secretText(client(), name);
}
