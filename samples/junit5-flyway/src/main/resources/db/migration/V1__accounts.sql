CREATE TABLE account (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner   text   NOT NULL UNIQUE,
    balance bigint NOT NULL CHECK (balance >= 0)
);
