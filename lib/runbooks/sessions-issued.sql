-- runbook: sessions-issued
-- purpose: The role sessions a principal obtained in a window (its successful sts:AssumeRole
--   calls). When a just-in-time grant ends, these are the sessions it let the principal open:
--   their temporary credentials outlive the grant unless each is denied.
-- param account account: the account the principal lives in
-- param principal arn: the IAM user or role that held the grant
-- param start instant: start of the window (the grant's start)
-- param end instant: end of the window (exclusive; the grant's end)
-- param start_day day: partition of start
-- param end_day day: partition of end
-- output role_arn: the role assumed
-- output session_name: the role session name asked for
-- output session_user_id: the session's aws:userid (role ID:session name), to deny it alone
-- output access_key_id: the session's temporary access key
-- output issued_at: when the session was issued
-- output expires_at: when its credentials expire, as STS wrote it
-- reading: every row is a live credential until it expires; deny each one by its
--   session_user_id on its role when the grant ends.
SELECT
  json_extract_scalar(requestparameters, '$.roleArn') AS role_arn,
  json_extract_scalar(requestparameters, '$.roleSessionName') AS session_name,
  json_extract_scalar(responseelements, '$.assumedRoleUser.assumedRoleId') AS session_user_id,
  json_extract_scalar(responseelements, '$.credentials.accessKeyId') AS access_key_id,
  eventtime AS issued_at,
  json_extract_scalar(responseelements, '$.credentials.expiration') AS expires_at
FROM cloudtrail_logs
WHERE timestamp BETWEEN :start_day AND :end_day
  AND account = :account
  AND eventsource = 'sts.amazonaws.com'
  AND eventname = 'AssumeRole'
  AND errorcode IS NULL
  AND (useridentity.arn = :principal OR useridentity.sessioncontext.sessionissuer.arn = :principal)
  AND eventtime >= :start
  AND eventtime < :end
ORDER BY eventtime
