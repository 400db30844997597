-- runbook: resource-calls
-- purpose: Every distinct resource a principal called successfully over a window, API by API:
--   each object key, function, table, secret, parameter, queue, topic or key, with how often.
--   What a refined policy is proved against, call by call (resource-usage summarises it).
-- param account account: the account the principal lives in
-- param principal arn: the IAM user or role (for a role, every session of it counts)
-- param start instant: start of the window
-- param end instant: end of the window (exclusive)
-- param start_day day: partition of start
-- param end_day day: partition of end
-- output eventsource: the service called
-- output eventname: the API called, as CloudTrail names it
-- output region: the region it was called in
-- output bucket: the bucket an S3 call named (NULL for other services)
-- output object_key: the object key it named (NULL without one)
-- output resource: the name or ARN another service's call named (NULL when it named none)
-- output index_name: the DynamoDB index a query or scan named (NULL without one)
-- output copy_source: the object a copy read, `bucket/key` (NULL for other calls)
-- output calls: successful calls
-- reading: one row per resource really used; a policy that allows every row allows every
--   successful call of the window.
SELECT
  eventsource,
  eventname,
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
  json_extract_scalar(requestparameters, '$.indexName') AS index_name,
  json_extract_scalar(requestparameters, '$["x-amz-copy-source"]') AS copy_source,
  count(*) AS calls
FROM cloudtrail_logs
WHERE timestamp BETWEEN :start_day AND :end_day
  AND account = :account
  AND (useridentity.arn = :principal OR useridentity.sessioncontext.sessionissuer.arn = :principal)
  AND eventtime >= :start
  AND eventtime < :end
  AND errorcode IS NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
ORDER BY eventsource, eventname, region, bucket, object_key, resource
