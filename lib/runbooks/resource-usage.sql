-- runbook: resource-usage
-- purpose: What a principal did successfully over a window, API by API and resource by
--   resource, for a least-privilege policy: objects by bucket and folder, and the function,
--   table, secret, parameter, queue, topic or key each other call named. Management and data
--   events alike (objects, invocations and items appear only when the trail logs data events).
-- param account account: the account the principal lives in
-- param principal arn: the IAM user or role (for a role, every session of it counts)
-- param start instant: start of the window, such as 90 days back
-- param end instant: end of the window (exclusive)
-- param start_day day: partition of start
-- param end_day day: partition of end
-- output eventsource: the service called
-- output eventname: the API called, as CloudTrail names it
-- output region: the region it was called in
-- output bucket: the bucket an S3 call named (NULL for other services)
-- output folder: the object key up to its last slash ('' at the bucket's top; NULL without a key)
-- output sample_key: one object key in that folder, to check a policy against
-- output resource: the name or ARN another service's call named (NULL when it named none)
-- output index_name: the DynamoDB index a query or scan named (NULL without one)
-- output copy_source: the object a copy read, `bucket/key` (NULL for other calls)
-- output calls: successful calls
-- output first_used: the earliest of them
-- output last_used: the latest of them
-- reading: each row is a permission the principal really used; anything it holds beyond
--   these is unused in the window. Failed calls are left out: see access-denied.
SELECT
  eventsource,
  eventname,
  awsregion AS region,
  json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
  CASE
    WHEN strpos(json_extract_scalar(requestparameters, '$.key'), '/') = 0 THEN ''
    ELSE substr(
      json_extract_scalar(requestparameters, '$.key'),
      1,
      length(json_extract_scalar(requestparameters, '$.key'))
        - strpos(reverse(json_extract_scalar(requestparameters, '$.key')), '/') + 1)
  END AS folder,
  min(json_extract_scalar(requestparameters, '$.key')) AS sample_key,
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
  count(*) AS calls,
  min(eventtime) AS first_used,
  max(eventtime) AS last_used
FROM cloudtrail_logs
WHERE timestamp BETWEEN :start_day AND :end_day
  AND account = :account
  AND (useridentity.arn = :principal OR useridentity.sessioncontext.sessionissuer.arn = :principal)
  AND eventtime >= :start
  AND eventtime < :end
  AND errorcode IS NULL
GROUP BY 1, 2, 3, 4, 5, 7, 8, 9
ORDER BY eventsource, eventname, region, bucket, folder, resource
