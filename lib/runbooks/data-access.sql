-- runbook: data-access
-- purpose: What data a principal read or shared out in a window: secrets, parameters,
--   objects (when S3 data events are logged), instance passwords, and snapshots, images,
--   buckets opened to others.
-- param account account: the account the principal lives in
-- param principal arn: the IAM user or role (for a role, every session of it counts)
-- param start instant: start of the window
-- param end instant: end of the window (exclusive)
-- param start_day day: partition of start
-- param end_day day: partition of end
-- output eventsource: the service called
-- output eventname: the API called
-- output resource: the secret, parameter, bucket, snapshot or image (NULL when the call named several)
-- output calls: how many calls
-- output succeeded: calls without an error
-- output shared_out: successful calls that opened the resource to others
-- output first_call: the earliest call
-- output last_call: the latest call
-- reading: shared_out > 0 is data leaving the account: check who it was shared with in the
--   request parameters. Reads of secrets the principal never needed before are the usual
--   next step after stolen credentials.
SELECT
  eventsource,
  eventname,
  coalesce(
    json_extract_scalar(requestparameters, '$.secretId'),
    json_extract_scalar(requestparameters, '$.name'),
    json_extract_scalar(requestparameters, '$.path'),
    json_extract_scalar(requestparameters, '$.bucketName'),
    json_extract_scalar(requestparameters, '$.snapshotId'),
    json_extract_scalar(requestparameters, '$.dBSnapshotIdentifier'),
    json_extract_scalar(requestparameters, '$.dBClusterSnapshotIdentifier'),
    json_extract_scalar(requestparameters, '$.imageId'),
    json_extract_scalar(requestparameters, '$.instanceId')
  ) AS resource,
  count(*) AS calls,
  count_if(errorcode IS NULL) AS succeeded,
  count_if(errorcode IS NULL AND eventname IN (
    'ModifySnapshotAttribute', 'ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute',
    'ModifyImageAttribute', 'PutBucketPolicy', 'PutBucketAcl')) AS shared_out,
  min(eventtime) AS first_call,
  max(eventtime) AS last_call
FROM cloudtrail_logs
WHERE timestamp BETWEEN :start_day AND :end_day
  AND account = :account
  AND (useridentity.arn = :principal OR useridentity.sessioncontext.sessionissuer.arn = :principal)
  AND eventtime >= :start
  AND eventtime < :end
  AND eventname IN (
    'GetSecretValue', 'BatchGetSecretValue', 'GetParameter', 'GetParameters',
    'GetParametersByPath', 'GetObject', 'GetPasswordData',
    'ModifySnapshotAttribute', 'ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute',
    'ModifyImageAttribute', 'PutBucketPolicy', 'PutBucketAcl'
  )
GROUP BY 1, 2, 3
ORDER BY shared_out DESC, calls DESC, eventsource, eventname, resource
