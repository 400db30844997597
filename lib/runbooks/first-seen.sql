-- runbook: first-seen
-- purpose: Is the trigger new for this principal? Compares its source address, user agent,
--   region and API with the principal's history over a baseline window that ends before the
--   recent past, so the attack's own reconnaissance cannot make it look familiar.
-- param account account: the account the principal lives in
-- param principal arn: the IAM user or role (for a role, every session of it counts)
-- param source_ip ip: the trigger's source address
-- param user_agent_prefix text: the first 500 characters of the trigger's user agent
-- param event_region region: the region the trigger's call was made in
-- param event_source text: the trigger's event source, such as iam.amazonaws.com
-- param event_name text: the trigger's event name, such as AttachRolePolicy
-- param baseline_start instant: start of the baseline window
-- param baseline_end instant: end of the baseline window (the trigger minus the excluded recent minutes)
-- param baseline_start_day day: partition of baseline_start
-- param baseline_end_day day: partition of baseline_end
-- output baseline_events: calls by the principal in the baseline window
-- output from_source_ip: of those, calls from the trigger's address
-- output with_user_agent: of those, calls whose user agent starts like the trigger's
-- output in_region: of those, calls in the trigger's region
-- output with_event_name: of those, calls to the trigger's API
-- output distinct_source_ips: addresses the principal used in the baseline window
-- output distinct_user_agents: user agents the principal used in the baseline window
-- reading: baseline_events well above zero with from_source_ip = 0 means the credentials
--   were used from somewhere the principal has never been: the core sign of stolen
--   credentials. A new user agent, region or API adds to it. A small baseline means there is
--   too little history to judge.
SELECT
  count(*) AS baseline_events,
  count_if(sourceipaddress = :source_ip) AS from_source_ip,
  count_if(substr(useragent, 1, 500) = :user_agent_prefix) AS with_user_agent,
  count_if(awsregion = :event_region) AS in_region,
  count_if(eventsource = :event_source AND eventname = :event_name) AS with_event_name,
  count(DISTINCT sourceipaddress) AS distinct_source_ips,
  count(DISTINCT useragent) AS distinct_user_agents
FROM cloudtrail_logs
WHERE timestamp BETWEEN :baseline_start_day AND :baseline_end_day
  AND account = :account
  AND (useridentity.arn = :principal OR useridentity.sessioncontext.sessionissuer.arn = :principal)
  AND eventtime >= :baseline_start
  AND eventtime < :baseline_end
