-- runbook: principal-activity
-- purpose: What a principal did in a window, by event source and name, with its errors.
-- param account account: the account the principal lives in
-- param principal arn: the IAM user or role (for a role, every session of it counts)
-- param start instant: start of the window
-- param end instant: end of the window (exclusive)
-- param start_day day: partition of start
-- param end_day day: partition of end
-- output eventsource: the service called
-- output eventname: the API called
-- output calls: how many calls
-- output succeeded: calls without an error
-- output denied: calls refused with an access-denied error
-- output source_ips: distinct source addresses of those calls
-- output first_call: the earliest call
-- output last_call: the latest call
-- reading: the principal's footprint, busiest first. Denied calls to many different APIs
--   are reconnaissance; a service it never used before deserves a look.
SELECT
  eventsource,
  eventname,
  count(*) AS calls,
  count_if(errorcode IS NULL) AS succeeded,
  count_if(errorcode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation',
                         'Client.UnauthorizedOperation', 'AuthorizationError')) AS denied,
  count(DISTINCT sourceipaddress) AS source_ips,
  min(eventtime) AS first_call,
  max(eventtime) AS last_call
FROM cloudtrail_logs
WHERE timestamp BETWEEN :start_day AND :end_day
  AND account = :account
  AND (useridentity.arn = :principal OR useridentity.sessioncontext.sessionissuer.arn = :principal)
  AND eventtime >= :start
  AND eventtime < :end
GROUP BY eventsource, eventname
ORDER BY calls DESC, eventsource, eventname
