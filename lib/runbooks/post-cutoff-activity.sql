-- runbook: post-cutoff-activity
-- purpose: Calls after the revocation cutoff by the revoked credentials: the role's sessions
--   issued before the cutoff, which the deny policy covers. Split into succeeded and denied.
-- param account account: the account the role lives in
-- param role_arn arn: the revoked role
-- param cutoff instant: the revocation cutoff (sessions issued before it are denied)
-- param cutoff_day day: partition of the cutoff
-- param until_day day: last partition to look in
-- output succeeded: calls without an error: access that is still live
-- output denied: calls refused with an access-denied error: the attacker still trying
-- output other_errors: calls that failed for other reasons
-- output last_call: the latest such call
-- reading: succeeded > 0 means the access is not gone. denied > 0 with succeeded = 0 means
--   the deny holds and someone is still trying.
SELECT
  count_if(errorcode IS NULL) AS succeeded,
  count_if(errorcode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation',
                         'Client.UnauthorizedOperation')) AS denied,
  count_if(errorcode IS NOT NULL
           AND errorcode NOT IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation',
                                 'Client.UnauthorizedOperation')) AS other_errors,
  max(eventtime) AS last_call
FROM cloudtrail_logs
WHERE timestamp BETWEEN :cutoff_day AND :until_day
  AND account = :account
  AND useridentity.sessioncontext.sessionissuer.arn = :role_arn
  AND useridentity.sessioncontext.attributes.creationdate < :cutoff
  AND eventtime > :cutoff
