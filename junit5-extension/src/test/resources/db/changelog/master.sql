--liquibase formatted sql

--changeset pglite:1
CREATE TABLE product (sku text PRIMARY KEY, price numeric NOT NULL);
--changeset pglite:2
INSERT INTO product VALUES ('A-1', 9.5), ('B-2', 20);
