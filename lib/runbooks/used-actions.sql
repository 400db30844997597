-- runbook: used-actions
-- purpose: The distinct APIs a principal called successfully over a window, for a
--   least-privilege restore. The catalog adds the IAM action each needs where the
--   CloudTrail event name differs (ListBuckets needs s3:ListAllMyBuckets).
-- param account account: the account the principal lives in
-- param principal arn: the IAM user or role (for a role, every session of it counts)
-- param start instant: start of the window, such as 90 days back
-- param end instant: end of the window (exclusive)
-- param start_day day: partition of start
-- param end_day day: partition of end
-- output eventsource: the service called
-- output eventname: the API called, as CloudTrail names it
-- output calls: successful calls
-- output first_used: the earliest successful call
-- output last_used: the latest successful call
-- reading: the actions a restored policy needs, judged from use. Management events only,
--   unless the trail logs data events too: reads of objects or items will be missing.
SELECT
  eventsource,
  eventname,
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
GROUP BY eventsource, eventname
ORDER BY eventsource, eventname
