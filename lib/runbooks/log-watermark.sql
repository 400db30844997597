-- runbook: log-watermark
-- purpose: How far the delivered logs reach for one account and region. "No activity after
--   the cutoff" means something only once the logs reach past the cutoff.
-- param account account: the account
-- param region region: the region whose logs are checked
-- param from_day day: first partition to look in
-- param until_day day: last partition to look in
-- output watermark: the latest eventtime delivered (NULL when nothing was delivered)
-- output events: calls delivered in the window
-- reading: compare watermark with the cutoff plus the verification margin.
SELECT
  max(eventtime) AS watermark,
  count(*) AS events
FROM cloudtrail_logs
WHERE timestamp BETWEEN :from_day AND :until_day
  AND account = :account
  AND region = :region
