CREATE TABLE product (
    sku   text    PRIMARY KEY,
    name  text    NOT NULL,
    stock integer NOT NULL CHECK (stock >= 0)
);

INSERT INTO product (sku, name, stock) VALUES
    ('KB-01', 'Keyboard', 12),
    ('MS-01', 'Mouse', 0);
