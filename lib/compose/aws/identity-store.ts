// Identity Center's identity store: who a person is, for offboarding and detection.
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { AwsIdentityDirectory } from '../../aws/identity-directory.ts';
import { once } from './deployed.ts';
import { ssoAdmin } from './sso-admin.ts';

export const directory = once(() => new AwsIdentityDirectory(new IdentitystoreClient({}), ssoAdmin()));
