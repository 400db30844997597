-- runbook: access-key-activity
-- purpose: Everything done with one access key ID, long-term (AKIA) or temporary (ASIA), in
--   time order: the timeline of a leaked key.
-- param account account: the account the key belongs to
-- param access_key_id access-key: the access key ID
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
-- output principal_arn: the identity the key stands for
-- reading: the first 1,000 calls. More than one source address or user agent for one key is
--   the classic sign of a copied key.
SELECT
  eventtime,
  eventsource,
  eventname,
  awsregion,
  sourceipaddress,
  useragent,
  errorcode,
  useridentity.arn AS principal_arn
FROM cloudtrail_logs
WHERE timestamp BETWEEN :start_day AND :end_day
  AND account = :account
  AND useridentity.accesskeyid = :access_key_id
  AND eventtime >= :start
  AND eventtime < :end
ORDER BY eventtime, eventid
LIMIT 1000
