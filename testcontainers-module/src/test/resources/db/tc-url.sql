CREATE TABLE product (sku text PRIMARY KEY, price numeric(10, 2));
INSERT INTO product VALUES ('apple', 0.50), ('pear', 0.75);
