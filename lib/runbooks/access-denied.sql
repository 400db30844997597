-- runbook: access-denied
-- purpose: The calls a principal was refused over a window, API by API and resource by
--   resource (each object key, table, function…), per region: what a workload needs and
--   lacks, or what an intruder probed.
-- param account account: the account the principal lives in
-- param principal arn: the IAM user or role (for a role, every session of it counts)
-- param start instant: start of the window
-- param end instant: end of the window (exclusive)
-- param start_day day: partition of start
-- param end_day day: partition of end
-- output eventsource: the service called
-- output eventname: the API called, as CloudTrail names it
-- output errorcode: how it was refused
-- output region: the region it was called in
-- output bucket: the bucket an S3 call named (NULL for other services)
-- output object_key: the object key it named (NULL without one)
-- output resource: the name or ARN another service's call named (NULL when it named none)
-- output source_ips: different addresses the refused calls came from
-- output calls: refused calls
-- output first_denied: the earliest of them
-- output last_denied: the latest of them
-- reading: a few refusals of one API from the workload's usual address are a permission it
--   needs; many APIs refused from a new address are someone probing (see error-burst).
SELECT
  eventsource,
  eventname,
  errorcode,
  awsregion AS region,
  json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
  json_extract_scalar(requestparameters, '$.key') AS object_key,
  coalesce(
    json_extract_scalar(requestparameters, '$.functionName'),
    json_extract_scalar(requestparameters, '$.tableName'),
    json_extract_scalar(requestparameters, '$.secretId'),
    json_extract_scalar(requestparameters, '$.queueUrl'),
    json_extract_scalar(requestparameters, '$.topicArn'),
    json_extract_scalar(requestparameters, '$.keyId'),
    json_extract_scalar(requestparameters, '$.name')
  ) AS resource,
  count(DISTINCT sourceipaddress) AS source_ips,
  count(*) AS calls,
  min(eventtime) AS first_denied,
  max(eventtime) AS last_denied
FROM cloudtrail_logs
WHERE timestamp BETWEEN :start_day AND :end_day
  AND account = :account
  AND (useridentity.arn = :principal OR useridentity.sessioncontext.sessionissuer.arn = :principal)
  AND eventtime >= :start
  AND eventtime < :end
  AND errorcode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation',
                    'Client.UnauthorizedOperation', 'AuthorizationError')
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY calls DESC, eventsource, eventname, region, bucket, object_key, resource
