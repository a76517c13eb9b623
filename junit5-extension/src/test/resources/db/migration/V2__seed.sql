INSERT INTO account SELECT g, 'owner ' || g, 100 FROM generate_series(1, 5) g;
