-- runbook: persistence-created
-- purpose: Footholds a principal created in a window: users, access keys, login profiles,
--   roles and trust-policy changes, policy attachments and versions, functions and their
--   permissions, key pairs, instances, rules and identity providers.
-- param account account: the account the principal lives in
-- param principal arn: the IAM user or role (for a role, every session of it counts)
-- param start instant: start of the window
-- param end instant: end of the window (exclusive)
-- param start_day day: partition of start
-- param end_day day: partition of end
-- output eventtime: when the call was made
-- output eventsource: the service called
-- output eventname: the API called
-- output awsregion: the region called
-- output errorcode: the error, or NULL when the foothold was created
-- output target: the user, role, group, function, key pair or rule it was made on
-- output policy_arn: the managed policy attached, when one was
-- output created_access_key: the access key ID created, when one was
-- reading: every row with errorcode NULL is something to remove before the case is closed;
--   a created access key or login profile outlives any revocation of the principal itself.
SELECT
  eventtime,
  eventsource,
  eventname,
  awsregion,
  errorcode,
  coalesce(
    json_extract_scalar(requestparameters, '$.userName'),
    json_extract_scalar(requestparameters, '$.roleName'),
    json_extract_scalar(requestparameters, '$.groupName'),
    json_extract_scalar(requestparameters, '$.functionName'),
    json_extract_scalar(requestparameters, '$.keyName'),
    json_extract_scalar(requestparameters, '$.instanceProfileName'),
    json_extract_scalar(requestparameters, '$.name'),
    json_extract_scalar(requestparameters, '$.rule'),
    json_extract_scalar(requestparameters, '$.groupId'),
    json_extract_scalar(requestparameters, '$.url')
  ) AS target,
  json_extract_scalar(requestparameters, '$.policyArn') AS policy_arn,
  json_extract_scalar(responseelements, '$.accessKey.accessKeyId') AS created_access_key
FROM cloudtrail_logs
WHERE timestamp BETWEEN :start_day AND :end_day
  AND account = :account
  AND (useridentity.arn = :principal OR useridentity.sessioncontext.sessionissuer.arn = :principal)
  AND eventtime >= :start
  AND eventtime < :end
  AND eventname IN (
    'CreateUser', 'CreateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile',
    'CreateServiceSpecificCredential', 'UploadSSHPublicKey', 'UploadSigningCertificate',
    'AddUserToGroup', 'CreateRole', 'UpdateAssumeRolePolicy', 'AddRoleToInstanceProfile',
    'AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy',
    'PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy',
    'CreatePolicy', 'CreatePolicyVersion', 'SetDefaultPolicyVersion',
    'CreateOpenIDConnectProvider', 'CreateSAMLProvider', 'UpdateSAMLProvider',
    'CreateAccountAssignment', 'PutInlinePolicyToPermissionSet',
    'AttachManagedPolicyToPermissionSet',
    'CreateFunction20150331', 'UpdateFunctionCode20150331v2',
    'UpdateFunctionConfiguration20150331v2', 'AddPermission20150331v2',
    'CreateFunctionUrlConfig20211031',
    'RunInstances', 'CreateKeyPair', 'ImportKeyPair', 'AuthorizeSecurityGroupIngress',
    'PutRule', 'PutTargets'
  )
ORDER BY eventtime, eventid
