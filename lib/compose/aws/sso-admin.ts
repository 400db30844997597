// IAM Identity Center's admin API, shared by the IAM gateways and the identity directory.
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { once } from './deployed.ts';

/**
 * IAM and Identity Center throttle per account: the SDK's standard retry strategy (exponential
 * backoff with jitter) gets five attempts; the gateway itself retries only concurrent changes.
 */
export const IAM_RETRIES = { retryMode: 'standard', maxAttempts: 5 } as const;

export const ssoAdmin = once(() => new SSOAdminClient(IAM_RETRIES));
