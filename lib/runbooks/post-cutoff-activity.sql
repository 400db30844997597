-- runbook: post-cutoff-activity
-- purpose: Calls by the revoked credentials around the revocation cutoff, per region: where
--   they were active before it, and what they did after it, split into succeeded and denied.
--   For a role these are its sessions issued before the cutoff (the ones the deny covers),
--   or only those carrying one source identity (a person offboarded from a shared role);
--   for an IAM user, every call it makes.
-- param account account: the account the principal lives in
-- param principal arn: the revoked IAM user or role
-- param active_since instant: how far before the cutoff to look for where it was active
-- param cutoff instant: the revocation cutoff (sessions issued before it are denied)
-- param source_identity text: empty for every session; else only sessions with this source identity
-- param session_user_id text: empty for every session; else only the session with this aws:userid
-- param active_since_day day: partition of active_since
-- param until_day day: last partition to look in
-- output region: the log partition (the region whose trail delivered the calls)
-- output calls_before_cutoff: calls between active_since and the cutoff: the credentials were live here
-- output succeeded: calls after the cutoff without an error: access that is still live
-- output denied: calls after the cutoff refused with an access-denied error: someone still trying
-- output other_errors: calls after the cutoff that failed for other reasons
-- output last_call: the latest call after the cutoff
-- reading: succeeded > 0 in any region means the access is not gone. denied > 0 with
--   succeeded = 0 means the deny holds and someone is still trying. Silence after the cutoff
--   proves something only once log-watermark reaches past the cutoff in every region listed.
SELECT
  region,
  count_if(eventtime <= :cutoff) AS calls_before_cutoff,
  count_if(eventtime > :cutoff AND errorcode IS NULL) AS succeeded,
  count_if(eventtime > :cutoff AND errorcode IS NOT NULL
           AND errorcode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation',
                             'Client.UnauthorizedOperation', 'AuthorizationError')) AS denied,
  count_if(eventtime > :cutoff AND errorcode IS NOT NULL
           AND errorcode NOT IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation',
                                 'Client.UnauthorizedOperation', 'AuthorizationError')) AS other_errors,
  max(CASE WHEN eventtime > :cutoff THEN eventtime END) AS last_call
FROM cloudtrail_logs
WHERE timestamp BETWEEN :active_since_day AND :until_day
  AND account = :account
  AND (useridentity.arn = :principal
       OR (useridentity.sessioncontext.sessionissuer.arn = :principal
           AND useridentity.sessioncontext.attributes.creationdate < :cutoff))
  AND (:source_identity = '' OR useridentity.sessioncontext.sourceidentity = :source_identity)
  AND (:session_user_id = '' OR useridentity.principalid = :session_user_id)
  AND eventtime > :active_since
GROUP BY region
ORDER BY region
