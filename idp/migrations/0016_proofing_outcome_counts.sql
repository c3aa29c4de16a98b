-- How each proofing method fares, for an administrators' dashboard: counts per day,
-- method, outcome (passed, failed, abandoned, switched) and reason code. No account,
-- no agency, nothing personal: only counters.
CREATE TABLE proofing_outcome_counts (
    day date NOT NULL,
    method text NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('passed', 'failed', 'abandoned', 'switched')),
    reason text NOT NULL DEFAULT '',
    count bigint NOT NULL CHECK (count > 0),
    PRIMARY KEY (day, method, outcome, reason)
);
