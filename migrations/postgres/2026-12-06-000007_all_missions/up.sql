-- Work on every mission is an explicit grant of the account, never the absence of missions.
-- Today's accounts of the roles that work on missions and have none keep their access.
ALTER TABLE users ADD COLUMN all_missions BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE users SET all_missions = TRUE
    WHERE role IN ('security_officer', 'legal_officer', 'leadership')
      AND NOT EXISTS (SELECT 1 FROM user_missions WHERE user_missions.user_id = users.id);
