CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL, written_by text NOT NULL DEFAULT current_user);
CREATE FUNCTION note_count() RETURNS bigint AS $$ SELECT count(*) FROM note $$ LANGUAGE sql;
