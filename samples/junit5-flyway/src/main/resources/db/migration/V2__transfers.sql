CREATE TABLE transfer (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_id    bigint      NOT NULL REFERENCES account (id),
    to_id      bigint      NOT NULL REFERENCES account (id),
    amount     bigint      NOT NULL CHECK (amount > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Reference data every environment starts with (and every test cluster, through the template).
INSERT INTO account (owner, balance) VALUES ('bank', 1000000);
