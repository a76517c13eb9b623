CREATE TABLE account (id int PRIMARY KEY, owner text NOT NULL, balance numeric NOT NULL);
CREATE TABLE migrated (at timestamptz NOT NULL);
INSERT INTO migrated VALUES (clock_timestamp());
