-- Report ranks are lexicographic on (status, revision): official = 2^32 + revision, automatic =
-- revision (farm::model::report_rank). 0001 stored official = 10^9 + revision, under which an
-- automatic revision of 10^9 or more outranked the official report. Rewrite the stored ranks;
-- a head row's rank is its head job's (withdrawal placeholders keep -1).
UPDATE jobs SET report_rank =
    (CASE report_status WHEN 'official' THEN 4294967296 ELSE 0 END) + revision;
UPDATE event_heads SET head_rank = (
    SELECT jobs.report_rank FROM jobs WHERE jobs.id = event_heads.head_job_id
) WHERE head_job_id IN (SELECT id FROM jobs);
