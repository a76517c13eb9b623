-- A PostgreSQL array column, mapped by Hibernate 6 to a Java list.
ALTER TABLE book ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
CREATE INDEX book_tags_idx ON book USING gin (tags);
