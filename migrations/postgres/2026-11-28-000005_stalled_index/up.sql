-- The stalled list reads open cases from the longest idle on: an index of open cases alone, by
-- their last step, lets it stop at the page instead of sorting every open case.
CREATE INDEX cases_open_by_last_step ON cases (last_moved_on, reference)
    WHERE status NOT IN ('final', 'closed');
