-- runbook: identity-inventory
-- purpose: For offboarding: every credential and principal a person used or created in a
--   window. Their IAM user and its long-term access keys, role sessions carrying their
--   source identity, their Identity Center sessions, and the users, keys, login profiles and
--   roles they created.
-- param account account: the account to look in
-- param person iam-name: the person's IAM user name, source identity or Identity Center user name
-- param start instant: start of the window, such as 90 days back
-- param end instant: end of the window (exclusive)
-- param start_day day: partition of start
-- param end_day day: partition of end
-- output kind: iam-user, access-key, source-identity-role, identity-center-role, or created:<API>
-- output identifier: the user or role ARN, the access key ID, or what was created
-- output calls: calls made with it (for created things, how many times it was created)
-- output succeeded: of those, calls without an error
-- output first_seen: the earliest call
-- output last_seen: the latest call
-- reading: everything here must be revoked, handed over or deleted when the person leaves.
--   created: rows name footholds that outlive the person's own access.
SELECT
  kind,
  identifier,
  count(*) AS calls,
  count_if(errorcode IS NULL) AS succeeded,
  min(eventtime) AS first_seen,
  max(eventtime) AS last_seen
FROM (
  SELECT 'iam-user' AS kind, useridentity.arn AS identifier, eventtime, errorcode
  FROM cloudtrail_logs
  WHERE timestamp BETWEEN :start_day AND :end_day
    AND account = :account
    AND eventtime >= :start AND eventtime < :end
    AND useridentity.type = 'IAMUser' AND useridentity.username = :person
  UNION ALL
  SELECT 'access-key' AS kind, useridentity.accesskeyid AS identifier, eventtime, errorcode
  FROM cloudtrail_logs
  WHERE timestamp BETWEEN :start_day AND :end_day
    AND account = :account
    AND eventtime >= :start AND eventtime < :end
    AND useridentity.type = 'IAMUser' AND useridentity.username = :person
    AND starts_with(useridentity.accesskeyid, 'AKIA')
  UNION ALL
  SELECT 'source-identity-role' AS kind, useridentity.sessioncontext.sessionissuer.arn AS identifier,
         eventtime, errorcode
  FROM cloudtrail_logs
  WHERE timestamp BETWEEN :start_day AND :end_day
    AND account = :account
    AND eventtime >= :start AND eventtime < :end
    AND useridentity.sessioncontext.sourceidentity = :person
  UNION ALL
  SELECT 'identity-center-role' AS kind, useridentity.sessioncontext.sessionissuer.arn AS identifier,
         eventtime, errorcode
  FROM cloudtrail_logs
  WHERE timestamp BETWEEN :start_day AND :end_day
    AND account = :account
    AND eventtime >= :start AND eventtime < :end
    AND starts_with(useridentity.sessioncontext.sessionissuer.username, 'AWSReservedSSO_')
    AND useridentity.principalid = useridentity.sessioncontext.sessionissuer.principalid || ':' || :person
  UNION ALL
  SELECT 'created:' || eventname AS kind,
         coalesce(json_extract_scalar(responseelements, '$.accessKey.accessKeyId'),
                  json_extract_scalar(requestparameters, '$.userName'),
                  json_extract_scalar(requestparameters, '$.roleName')) AS identifier,
         eventtime, errorcode
  FROM cloudtrail_logs
  WHERE timestamp BETWEEN :start_day AND :end_day
    AND account = :account
    AND eventtime >= :start AND eventtime < :end
    AND eventname IN ('CreateUser', 'CreateAccessKey', 'CreateLoginProfile', 'CreateRole',
                      'CreateServiceSpecificCredential', 'UploadSSHPublicKey')
    AND ((useridentity.type = 'IAMUser' AND useridentity.username = :person)
         OR useridentity.sessioncontext.sourceidentity = :person
         OR (starts_with(useridentity.sessioncontext.sessionissuer.username, 'AWSReservedSSO_')
             AND useridentity.principalid = useridentity.sessioncontext.sessionissuer.principalid || ':' || :person))
) AS held
GROUP BY kind, identifier
ORDER BY kind, identifier
