CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customer (id), total numeric(10, 2));
INSERT INTO orders (customer_id, total) SELECT id, 9.99 FROM customer WHERE name = 'alice';
