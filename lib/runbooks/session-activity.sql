-- runbook: session-activity
-- purpose: Everything done in one role session (a role and a session name, such as an EC2
--   instance ID or a person's name), in time order.
-- param account account: the account the role lives in
-- param role_arn arn: the role
-- param session_name session-name: the role session name
-- param start instant: start of the window
-- param end instant: end of the window (exclusive)
-- param start_day day: partition of start
-- param end_day day: partition of end
-- output eventtime: when the call was made
-- output eventsource: the service called
-- output eventname: the API called
-- output awsregion: the region called
-- output sourceipaddress: where the call came from
-- output useragent: the client's user agent (attacker-chosen text)
-- output errorcode: the error, or NULL when the call succeeded
-- output accesskeyid: the session's temporary access key
-- output session_issued_at: when the session's credentials were issued
-- reading: the first 1,000 calls. Instance credentials used from an address that is not the
--   instance's are stolen credentials.
SELECT
  eventtime,
  eventsource,
  eventname,
  awsregion,
  sourceipaddress,
  useragent,
  errorcode,
  useridentity.accesskeyid AS accesskeyid,
  useridentity.sessioncontext.attributes.creationdate AS session_issued_at
FROM cloudtrail_logs
WHERE timestamp BETWEEN :start_day AND :end_day
  AND account = :account
  AND useridentity.sessioncontext.sessionissuer.arn = :role_arn
  AND useridentity.principalid = useridentity.sessioncontext.sessionissuer.principalid || ':' || :session_name
  AND eventtime >= :start
  AND eventtime < :end
ORDER BY eventtime, eventid
LIMIT 1000
