-- runbook: error-burst
-- purpose: Bursts of access-denied errors (AccessDenied, UnauthorizedOperation and their
--   service spellings) by a principal: the noise reconnaissance makes when it probes what
--   stolen credentials can do.
-- param account account: the account the principal lives in
-- param principal arn: the IAM user or role (for a role, every session of it counts)
-- param start instant: start of the window
-- param end instant: end of the window (exclusive)
-- param start_day day: partition of start
-- param end_day day: partition of end
-- param burst_window duration: the length of one burst window, such as 10m
-- param min_denied integer: report only windows with at least this many denied calls
-- output first_denied: the first denied call in the burst window
-- output last_denied: the last denied call in the burst window
-- output denied: denied calls in the burst window
-- output distinct_actions: different APIs denied in the burst window
-- reading: many denials across many different APIs within minutes is someone enumerating
--   permissions. A few denials of one API is usually a misconfigured job.
SELECT
  min(eventtime) AS first_denied,
  max(eventtime) AS last_denied,
  count(*) AS denied,
  count(DISTINCT eventsource || ':' || eventname) AS distinct_actions
FROM cloudtrail_logs
WHERE timestamp BETWEEN :start_day AND :end_day
  AND account = :account
  AND (useridentity.arn = :principal OR useridentity.sessioncontext.sessionissuer.arn = :principal)
  AND eventtime >= :start
  AND eventtime < :end
  AND errorcode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation',
                    'Client.UnauthorizedOperation', 'AuthorizationError')
GROUP BY floor(to_unixtime(from_iso8601_timestamp(eventtime)) / :burst_window)
HAVING count(*) >= :min_denied
ORDER BY denied DESC, first_denied
