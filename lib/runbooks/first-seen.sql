-- runbook: first-seen
-- purpose: Is the trigger's source address new for this role? Compares it with the role's
--   history over a baseline window that ends before the recent past, so the attack's own
--   reconnaissance cannot make its address look familiar.
-- param account account: the account the role lives in
-- param role_arn arn: the role whose sessions made the call
-- param source_ip ip: the trigger's source address
-- param user_agent text: the trigger's user agent
-- param baseline_start instant: start of the baseline window
-- param baseline_end instant: end of the baseline window (the trigger minus the excluded recent minutes)
-- param baseline_start_day day: partition of baseline_start
-- param baseline_end_day day: partition of baseline_end
-- output baseline_events: calls by the role in the baseline window
-- output from_source_ip: of those, calls from the trigger's address
-- output with_user_agent: of those, calls with the trigger's user agent
-- output distinct_source_ips: addresses the role used in the baseline window
-- reading: baseline_events well above zero with from_source_ip = 0 means the credentials
--   were used from somewhere the role has never been: the core sign of stolen credentials.
--   A small baseline means there is too little history to judge.
SELECT
  count(*) AS baseline_events,
  count_if(sourceipaddress = :source_ip) AS from_source_ip,
  count_if(useragent = :user_agent) AS with_user_agent,
  count(DISTINCT sourceipaddress) AS distinct_source_ips
FROM cloudtrail_logs
WHERE timestamp BETWEEN :baseline_start_day AND :baseline_end_day
  AND account = :account
  AND useridentity.sessioncontext.sessionissuer.arn = :role_arn
  AND eventtime >= :baseline_start
  AND eventtime < :baseline_end
