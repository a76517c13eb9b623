CREATE TABLE note (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body text NOT NULL CHECK (body <> ''),
    tags text[] NOT NULL DEFAULT '{}'
);
