CREATE TABLE note (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body text NOT NULL CHECK (body <> ''),
    tags text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX note_tags ON note USING gin (tags);
