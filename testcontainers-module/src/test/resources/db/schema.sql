-- The schema of the example application: what a Testcontainers user passes to withInitScript.
CREATE TABLE customer (
    id   bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE   -- names are unique
);

/* Reference data every test expects. */
INSERT INTO customer (name) VALUES ('alice'), ('bob');
CREATE EXTENSION IF NOT EXISTS pgcrypto;
