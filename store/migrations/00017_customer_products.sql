-- What each account owns: the products it bought, since when, and when
-- they renew. Offers are chosen by it: a cross-sell only for accounts that
-- do not own the product, an upsell only for those that own every product
-- it requires, a repeat only for those that own the product.
--
-- An `order` event names the product ordered in its own column, so a
-- product never passes for a content topic (the detectors count topics).

-- +goose Up
CREATE TABLE customer_products (
    customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    product     text NOT NULL CHECK (product ~ '^[^/[:space:]]{1,200}$'),
    -- The order of the customer's PUT, so GET answers as it was written.
    position    int  NOT NULL DEFAULT 0,
    since       date NOT NULL,
    renews_at   date CONSTRAINT customer_products_renews_at_check CHECK (renews_at >= since),
    PRIMARY KEY (customer_id, product)
);

-- The accounts that own a product, and what renews when (renews_within).
CREATE INDEX customer_products_product_idx ON customer_products (product, renews_at);

ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN (
    'open', 'click', 'visit', 'download', 'webinar', 'reply', 'fast-lane', 'order'));
ALTER TABLE events ADD COLUMN product text NOT NULL DEFAULT ''
    CONSTRAINT events_product_check CHECK (
        CASE WHEN type = 'order' THEN product ~ '^[^/[:space:]]{1,200}$' ELSE product = '' END);

-- +goose Down
ALTER TABLE events DROP COLUMN product;
DELETE FROM events WHERE type = 'order';
ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN (
    'open', 'click', 'visit', 'download', 'webinar', 'reply', 'fast-lane'));
DROP TABLE customer_products;
