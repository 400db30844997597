-- runbook: log-watermark
-- purpose: How far the delivered logs reach, per region of one account. "No activity after
--   the cutoff" means something only once the logs reach past the cutoff.
-- param account account: the account
-- param from_day day: first partition to look in
-- param until_day day: last partition to look in
-- output region: the log partition's region
-- output watermark: the latest eventtime delivered for that region
-- output events: calls delivered in the window
-- reading: compare each region's watermark with the cutoff plus the verification margin. A
--   region with no row has delivered nothing in the window.
SELECT
  region,
  max(eventtime) AS watermark,
  count(*) AS events
FROM cloudtrail_logs
WHERE timestamp BETWEEN :from_day AND :until_day
  AND account = :account
GROUP BY region
ORDER BY region
