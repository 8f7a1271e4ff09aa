-- The product catalogue: what the company sells, so a journey's offer, its
-- requires and goal, a customer's products and an order name only products
-- that exist. A typo ("erp-cor") used to pass: a cross-sell of it went to
-- every account, since none owned it. Marketing keeps the catalogue through
-- PUT /v1/products/{id}; the name is what sales and the console show.
--
-- Installations from before the catalogue keep working: every product
-- already named by a customer, an order or a published journey is entered
-- with its ID as its name, to be renamed at leisure.

-- +goose Up
CREATE TABLE products (
    id          text PRIMARY KEY CHECK (id ~ '^[^/[:space:]]{1,200}$'),
    name        text NOT NULL CHECK (name <> '' AND char_length(name) <= 200),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO products (id, name)
SELECT id, id FROM (
    SELECT product AS id FROM customer_products
    UNION SELECT product FROM events WHERE type = 'order'
    UNION SELECT definition #>> '{offer,product}' FROM journey_versions
    UNION SELECT jsonb_array_elements_text(
              CASE WHEN jsonb_typeof(definition #> '{offer,requires}') = 'array'
                   THEN definition #> '{offer,requires}' ELSE '[]'::jsonb END)
          FROM journey_versions
    UNION SELECT definition #>> '{goal,product}' FROM journey_versions
) named
WHERE id ~ '^[^/[:space:]]{1,200}$'
ON CONFLICT DO NOTHING;

ALTER TABLE customer_products ADD CONSTRAINT customer_products_product_fkey
    FOREIGN KEY (product) REFERENCES products (id);

-- +goose Down
ALTER TABLE customer_products DROP CONSTRAINT customer_products_product_fkey;
DROP TABLE products;
