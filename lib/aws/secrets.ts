// Secrets read at run time from Secrets Manager through Powertools Parameters, cached in the
// container for a few minutes: nothing secret is in a Lambda's environment (where
// lambda:GetFunctionConfiguration would show it), and a new value takes effect without a deploy.
//
// The approval signing keys are one secret whose value is `{"id": "<key id>", "key": "<at
// least 32 bytes>"}`: links are signed with the AWSCURRENT version's key, and verify with the
// key their `kid` names while it is the AWSCURRENT or the AWSPREVIOUS version's. Putting a new
// value rotates: the old one becomes AWSPREVIOUS, so open links keep working until they expire,
// and links two rotations old stop.
import { ParameterNotFoundError, TransformParameterError } from '@aws-lambda-powertools/parameters/errors';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KeyIdSchema, type SigningKey, SigningKeySchema } from '../domain/approval.ts';
import type { SigningKeys } from '../ports.ts';

/** How long a value read is reused before it is read again. */
export const SECRET_MAX_AGE_SECONDS = 300;
/** A link naming a key not in the cache re-reads the secret (a rotation since), at most this often. */
export const KEY_MISS_REFRESH_SECONDS = 60;

export class SecretReadError extends Error {
  override name = 'SecretReadError';
}

/** The secret was read, but its value is not what it should hold. */
export class SecretFormatError extends SecretReadError {
  override name = 'SecretFormatError';
}

type Stage = 'AWSCURRENT' | 'AWSPREVIOUS';

export interface SecretsOptions {
  maxAgeSeconds?: number;
  keyMissRefreshSeconds?: number;
}

export class SecretsManagerSigningKeys implements SigningKeys {
  // One provider per version stage: Powertools caches by name and transform, not by
  // VersionStage, so one provider would hand back the current key when asked for the previous.
  private readonly stages: Record<Stage, SecretsProvider>;
  private readonly maxAgeSeconds: number;
  private readonly keyMissRefreshSeconds: number;
  /** Until when "no AWSPREVIOUS version" (a secret never rotated) is taken as read. */
  private noPreviousUntil = Number.NEGATIVE_INFINITY;
  private lastMissRefresh = Number.NEGATIVE_INFINITY;

  constructor(
    client: SecretsManagerClient,
    /** The secret's ARN or name. */
    private readonly secretId: string,
    options: SecretsOptions = {},
  ) {
    this.stages = {
      AWSCURRENT: new SecretsProvider({ awsSdkV3Client: client }),
      AWSPREVIOUS: new SecretsProvider({ awsSdkV3Client: client }),
    };
    this.maxAgeSeconds = options.maxAgeSeconds ?? SECRET_MAX_AGE_SECONDS;
    this.keyMissRefreshSeconds = options.keyMissRefreshSeconds ?? KEY_MISS_REFRESH_SECONDS;
  }

  async current(): Promise<SigningKey> {
    return this.currentKey(false);
  }

  async find(id: string): Promise<SigningKey | null> {
    // The ID comes from the link, so from anyone: it is compared, never sent to AWS.
    if (!KeyIdSchema.safeParse(id).success) return null;
    const cached = await this.lookUp(id, false);
    if (cached) return cached;
    // Another container may have signed with a key put since this one read the secret.
    if (Date.now() - this.lastMissRefresh < this.keyMissRefreshSeconds * 1000) return null;
    this.lastMissRefresh = Date.now();
    return this.lookUp(id, true);
  }

  private async lookUp(id: string, forceFetch: boolean): Promise<SigningKey | null> {
    const current = await this.currentKey(forceFetch);
    if (current.id === id) return current;
    const previous = await this.previous(forceFetch);
    return previous?.id === id ? previous : null;
  }

  private async currentKey(forceFetch: boolean): Promise<SigningKey> {
    const key = await this.read('AWSCURRENT', forceFetch);
    if (!key) throw new SecretReadError(`the secret ${this.secretId} has no AWSCURRENT version`);
    return key;
  }

  /** The key before the last rotation; null when the secret was never rotated. */
  private async previous(forceFetch: boolean): Promise<SigningKey | null> {
    if (!forceFetch && Date.now() < this.noPreviousUntil) return null;
    let key: SigningKey | null;
    try {
      key = await this.read('AWSPREVIOUS', forceFetch);
    } catch (error) {
      // A previous value that is no key (the plain secret of a stack from before key IDs) never
      // signed a link with a key ID: no previous key, rather than a page that fails.
      if (!(error instanceof SecretFormatError)) throw error;
      key = null;
    }
    if (!key) this.noPreviousUntil = Date.now() + this.maxAgeSeconds * 1000;
    return key;
  }

  private async read(stage: Stage, forceFetch: boolean): Promise<SigningKey | null> {
    let value: unknown;
    try {
      value = await this.stages[stage].get(this.secretId, {
        transform: 'json',
        maxAge: this.maxAgeSeconds,
        forceFetch,
        throwOnMissing: true,
        sdkOptions: { VersionStage: stage },
      });
    } catch (error) {
      if (error instanceof ParameterNotFoundError) return null;
      // A transform error quotes the text it could not parse: never let the secret into a log.
      if (error instanceof TransformParameterError)
        throw new SecretFormatError(`the secret ${this.secretId} (${stage}) is not JSON`);
      throw new SecretReadError(
        `could not read the secret ${this.secretId} (${stage}): ${(error as Error).message}`,
        { cause: error },
      );
    }
    const parsed = SigningKeySchema.safeParse(value);
    if (!parsed.success) {
      throw new SecretFormatError(
        `the secret ${this.secretId} (${stage}) is not {"id": "<key id>", "key": "<at least 32 bytes>"}`,
      );
    }
    return parsed.data;
  }
}

/** A secret's text (a Slack webhook URL), read at run time and cached like the keys. */
export function secretText(
  client: SecretsManagerClient,
  secretId: string,
  maxAgeSeconds = SECRET_MAX_AGE_SECONDS,
): () => Promise<string> {
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  return async () => {
    let value: unknown;
    try {
      value = await provider.get(secretId, { maxAge: maxAgeSeconds });
    } catch (error) {
      throw new SecretReadError(`could not read the secret ${secretId}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (typeof value !== 'string' || value === '')
      throw new SecretReadError(`the secret ${secretId} holds no text`);
    return value;
  };
}
