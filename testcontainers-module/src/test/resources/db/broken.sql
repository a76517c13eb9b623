CREATE TABLE ok (v int);
INSERT INTO no_such_table VALUES (1);
