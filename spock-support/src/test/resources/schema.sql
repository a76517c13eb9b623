CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL);
-- Written once, when the script runs into the template: every cluster started from it sees the same time.
CREATE TABLE migrated (at timestamptz NOT NULL);
INSERT INTO migrated VALUES (clock_timestamp());
