package store_test

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store/storetest"
)

// constraintRecords are one valid record of each table; every case below
// breaks exactly one rule against them.
const constraintRecords = `
INSERT INTO owners (id, email) VALUES ('rep-eva', 'eva@seller.example');
INSERT INTO console_users (id, email, role) VALUES ('ina', 'ina@ripen.example', 'marketing');
INSERT INTO personas (id, name) VALUES ('ops-lead', 'Head of Operations');
INSERT INTO webhooks (id, url, events, format, secret) VALUES ('crm', 'https://crm.example/hook', '{run.ended,handoff.created}', 'standard', 'whsec_MDEyMzQ1Njc4OWFiY2RlZg==');
INSERT INTO customers (id, name, persona_id, owner_id) VALUES ('acme', 'Acme GmbH', 'ops-lead', 'rep-eva');
INSERT INTO contacts (id, customer_id, email) VALUES ('acme-max', 'acme', 'max@acme.example');
INSERT INTO products (id, name) VALUES ('erp-core', 'ERP Core'), ('crm', 'CRM');
INSERT INTO customer_products (customer_id, product, since) VALUES ('acme', 'erp-core', '2024-03-01');
INSERT INTO content (id, title, topic, email_template_id) VALUES ('checklist', 'Checklist', 'automation', 'd-1');
INSERT INTO content_personas (content_id, persona_id, position) VALUES ('checklist', 'ops-lead', 0);
INSERT INTO journeys (id, latest_version) VALUES ('j', 1);
INSERT INTO journey_versions (journey_id, version, status, definition, published_at)
VALUES ('j', 1, 'published', '{"id": "j", "offer": {"kind": "upsell"}}', now());
INSERT INTO runs (workflow_id, journey_id, version, customer_id, owner_id, status, stage, started_at, updated_at)
VALUES ('ripen/j/acme', 'j', 1, 'acme', 'rep-eva', 'running', 'nurturing', now(), now());
INSERT INTO ended_runs (workflow_id, journey_id, version, customer_id, owner_id, status, stage, score, mqn, cycle, outcome, started_at, updated_at, ended_at)
VALUES ('ripen/j/acme', 'j', 1, 'acme', 'rep-eva', 'completed', 'done', 0, false, 1, 'won', '2026-01-01', '2026-01-02', '2026-01-02');
INSERT INTO events (id, customer_id, type, occurred_at) VALUES ('ev-1', 'acme', 'click', now());
INSERT INTO suppressions (email, reason) VALUES ('gone@acme.example', 'bounce');
INSERT INTO webhook_events (id) VALUES ('sg-1');
INSERT INTO handoffs (id, run_key, workflow_id, journey_id, customer_id, owner_id, cycle, reason, sla_due_at)
VALUES ('h-1', 'ripen/j/acme/r1', 'ripen/j/acme', 'j', 'acme', 'rep-eva', 1, 'score', now());
INSERT INTO handoffs (id, customer_id, owner_id, cycle, reason, sla_due_at, event_id)
VALUES ('h-2', 'acme', 'rep-eva', 0, 'fast-lane', now(), 'ev-fl');
INSERT INTO outbox (run_key, step_id, cycle, contact_id, kind, status, message_id, sent_at)
VALUES ('ripen/j/acme/r1', 'checklist', 1, 'acme-max', 'content', 'sent', 'msg-1', now());
INSERT INTO api_keys (role, prefix, hash) VALUES ('sales', 'rpn_abc', sha256('key'));
INSERT INTO pending_feedback_notes (workflow_id, outcome, note) VALUES ('ripen/j/acme', 'lost', 'budget gone');
INSERT INTO link_fetches (customer_id, run_id, step, cycle, contact_id, link, machine, fetched_at)
VALUES ('acme', 'ripen/j/acme', 'checklist', 1, 'acme-max', 'l1', false, now());
INSERT INTO renewal_enrolments (journey_id, customer_id, renews_at) VALUES ('j', 'acme', '2027-03-01');
INSERT INTO experiment_arms (journey_id, customer_id, step_id, arm, version) VALUES ('j', 'acme', 'subject-test', 'a', 1);
INSERT INTO sites (id, origins, consent) VALUES ('www', '{https://www.example.com}', 'required');
INSERT INTO run_touches (run_key, content_id, contact_id, type, first_at) VALUES ('ripen/j/acme/r1', 'checklist', 'acme-max', 'open', now());
INSERT INTO web_visitors (site_id, visitor_id, customer_id, contact_id) VALUES ('www', 'v-0123456789abcdef', 'acme', 'acme-max');
INSERT INTO web_views (site_id, visitor_id, kind, page, occurred_at) VALUES ('www', 'v-fedcba9876543210', 'visit', 'https://www.example.com/', now());
INSERT INTO web_claims (site_id, visitor_id, customer_id, contact_id) VALUES ('www', 'v-0123456789abcdef', 'acme', 'acme-max');
INSERT INTO webhook_deliveries (webhook_id, event_id, message_id, attempt, at, duration_ms, delivered) VALUES ('crm', 'handoff.created:h-1', 'msg_1', 1, now(), 5, true);
`

// Shorthands for the many inserts into the same tables.
const (
	insertHandoff = `INSERT INTO handoffs (run_key, workflow_id, journey_id, customer_id, owner_id, cycle, reason, sla_due_at`
	insertOutbox  = `INSERT INTO outbox (run_key, step_id, cycle, contact_id, kind`
	insertRun     = `INSERT INTO runs (workflow_id, journey_id, version, customer_id, owner_id, status, stage, started_at, updated_at`
	insertEnded   = `INSERT INTO ended_runs (workflow_id, journey_id, version, customer_id, owner_id, status, stage, score, mqn, cycle, outcome, started_at, updated_at, ended_at`
	insertVersion = `INSERT INTO journey_versions (journey_id, version, status, definition`
	insertVariant = `INSERT INTO content_variants (content_id, position, persona_id, locale, email_template_id)`
	insertWebhook = `INSERT INTO webhooks (id, url, events, format, secret) VALUES `
)

// constraintCases trigger every named constraint and unique index of the
// schema with a duplicate, an orphan or an impossible value.
var constraintCases = []struct {
	constraint string
	sql        string
}{
	{"owners_pkey", `INSERT INTO owners (id, email) VALUES ('rep-eva', 'other@seller.example')`},
	{"owners_id_check", `INSERT INTO owners (id, email) VALUES ('rep eva', 'eva@seller.example')`},
	{"owners_email_check", `INSERT INTO owners (id, email) VALUES ('rep-tom', 'tom at seller')`},

	{"personas_pkey", `INSERT INTO personas (id, name) VALUES ('ops-lead', 'Again')`},
	{"personas_id_check", `INSERT INTO personas (id, name) VALUES ('', 'Nobody')`},
	{"personas_name_check", `INSERT INTO personas (id, name) VALUES ('cfo', '')`},

	{"customers_pkey", `INSERT INTO customers (id, name, owner_id) VALUES ('acme', 'Acme again', 'rep-eva')`},
	{"customers_id_check", `INSERT INTO customers (id, name, owner_id) VALUES ('acme/de', 'Acme DE', 'rep-eva')`},
	{"customers_name_check", `INSERT INTO customers (id, name, owner_id) VALUES ('globex', '', 'rep-eva')`},
	{"customers_owner_id_fkey", `INSERT INTO customers (id, name, owner_id) VALUES ('globex', 'Globex', 'rep-ghost')`},
	{"customers_persona_id_fkey", `INSERT INTO customers (id, name, owner_id, persona_id) VALUES ('globex', 'Globex', 'rep-eva', 'ghost')`},

	{"contacts_pkey", `INSERT INTO contacts (id, customer_id, email) VALUES ('acme-max', 'acme', 'max2@acme.example')`},
	{"contacts_id_check", `INSERT INTO contacts (id, customer_id, email) VALUES (repeat('x', 201), 'acme', 'x@acme.example')`},
	{"contacts_email_check", `INSERT INTO contacts (id, customer_id, email) VALUES ('acme-ann', 'acme', 'ann')`},
	{"contacts_customer_id_fkey", `INSERT INTO contacts (id, customer_id, email) VALUES ('ghost-ann', 'ghost', 'ann@ghost.example')`},
	{"contacts_persona_id_fkey", `INSERT INTO contacts (id, customer_id, email, persona_id) VALUES ('acme-ann', 'acme', 'ann@acme.example', 'ghost')`},

	{"content_variants_pkey", insertVariant + ` VALUES ('checklist', 0, NULL, 'de', 'd-1'), ('checklist', 0, NULL, 'en', 'd-2')`},
	{"content_variants_content_id_fkey", insertVariant + ` VALUES ('ghost', 0, NULL, 'de', 'd-1')`},
	{"content_variants_persona_id_fkey", insertVariant + ` VALUES ('checklist', 0, 'ghost', '', 'd-1')`},
	{"content_variants_target_check", insertVariant + ` VALUES ('checklist', 0, NULL, '', 'd-1')`},
	{"content_variants_email_check", `INSERT INTO content_variants (content_id, position, locale, email_subject) VALUES ('checklist', 0, 'de', 'no body')`},
	{"content_variants_key", insertVariant + ` VALUES ('checklist', 0, 'ops-lead', 'de', 'd-1'), ('checklist', 1, 'ops-lead', 'de', 'd-2')`},

	{"customer_products_pkey", `INSERT INTO customer_products (customer_id, product, since) VALUES ('acme', 'erp-core', '2025-01-01')`},
	{"customer_products_customer_id_fkey", `INSERT INTO customer_products (customer_id, product, since) VALUES ('ghost', 'erp-core', '2025-01-01')`},
	{"customer_products_product_check", `INSERT INTO customer_products (customer_id, product, since) VALUES ('acme', 'erp core', '2025-01-01')`},
	{"customer_products_product_fkey", `INSERT INTO customer_products (customer_id, product, since) VALUES ('acme', 'erp-cor', '2025-01-01')`},
	{"customer_products_renews_at_check", `INSERT INTO customer_products (customer_id, product, since, renews_at) VALUES ('acme', 'crm', '2025-01-01', '2024-12-31')`},

	{"products_pkey", `INSERT INTO products (id, name) VALUES ('erp-core', 'again')`},
	{"products_id_check", `INSERT INTO products (id, name) VALUES ('erp core', 'ERP Core')`},
	{"products_name_check", `INSERT INTO products (id, name) VALUES ('hr', '')`},
	{"products_description_check", `INSERT INTO products (id, name, description) VALUES ('hr', 'HR', repeat('x', 2001))`},

	{"renewal_enrolments_pkey", `INSERT INTO renewal_enrolments (journey_id, customer_id, renews_at) VALUES ('j', 'acme', '2027-03-01')`},
	{"renewal_enrolments_journey_id_fkey", `INSERT INTO renewal_enrolments (journey_id, customer_id, renews_at) VALUES ('ghost', 'acme', '2027-03-01')`},
	{"renewal_enrolments_customer_id_fkey", `INSERT INTO renewal_enrolments (journey_id, customer_id, renews_at) VALUES ('j', 'ghost', '2027-03-01')`},
	{"renewal_enrolments_status_check", `INSERT INTO renewal_enrolments (journey_id, customer_id, renews_at, status) VALUES ('j', 'acme', '2028-03-01', 'maybe')`},

	{"experiment_arms_pkey", `INSERT INTO experiment_arms (journey_id, customer_id, step_id, arm, version) VALUES ('j', 'acme', 'subject-test', 'b', 1)`},
	{"experiment_arms_journey_id_fkey", `INSERT INTO experiment_arms (journey_id, customer_id, step_id, arm, version) VALUES ('ghost', 'acme', 'subject-test', 'a', 1)`},
	{"experiment_arms_customer_id_fkey", `INSERT INTO experiment_arms (journey_id, customer_id, step_id, arm, version) VALUES ('j', 'ghost', 'subject-test', 'a', 1)`},
	{"experiment_arms_step_id_check", `INSERT INTO experiment_arms (journey_id, customer_id, step_id, arm, version) VALUES ('j', 'acme', '', 'a', 1)`},
	{"experiment_arms_arm_check", `INSERT INTO experiment_arms (journey_id, customer_id, step_id, arm, version) VALUES ('j', 'acme', 'other-test', '', 1)`},
	{"experiment_arms_version_check", `INSERT INTO experiment_arms (journey_id, customer_id, step_id, arm, version) VALUES ('j', 'acme', 'other-test', 'a', 0)`},
	{"run_touches_pkey", `INSERT INTO run_touches (run_key, content_id, contact_id, type, first_at) VALUES ('ripen/j/acme/r1', 'checklist', 'acme-max', 'open', now())`},
	{"run_touches_content_id_check", `INSERT INTO run_touches (run_key, content_id, contact_id, type, first_at) VALUES ('ripen/j/acme/r1', '', 'acme-max', 'open', now())`},
	{"run_touches_type_check", `INSERT INTO run_touches (run_key, content_id, contact_id, type, first_at) VALUES ('ripen/j/acme/r1', 'checklist', 'acme-max', 'visit', now())`},
	{"sites_pkey", `INSERT INTO sites (id, origins, consent) VALUES ('www', '{https://blog.example.com}', 'implied')`},
	{"sites_id_check", `INSERT INTO sites (id, origins, consent) VALUES ('w w', '{https://blog.example.com}', 'implied')`},
	{"sites_origins_check", `INSERT INTO sites (id, origins, consent) VALUES ('blog', '{}', 'implied')`},
	{"sites_topics_check", `INSERT INTO sites (id, origins, topics, consent) VALUES ('blog', '{https://blog.example.com}', '{}', 'implied')`},
	{"sites_consent_check", `INSERT INTO sites (id, origins, consent) VALUES ('blog', '{https://blog.example.com}', 'maybe')`},
	{"web_visitors_pkey", `INSERT INTO web_visitors (site_id, visitor_id, customer_id, contact_id) VALUES ('www', 'v-0123456789abcdef', 'acme', 'acme-max')`},
	{"web_visitors_site_id_fkey", `INSERT INTO web_visitors (site_id, visitor_id, customer_id, contact_id) VALUES ('ghost', 'v-0123456789abcdef', 'acme', 'acme-max')`},
	{"web_visitors_visitor_id_check", `INSERT INTO web_visitors (site_id, visitor_id, customer_id, contact_id) VALUES ('www', 'short', 'acme', 'acme-max')`},
	{"web_visitors_customer_id_fkey", `INSERT INTO web_visitors (site_id, visitor_id, customer_id, contact_id) VALUES ('www', 'v-1111111111111111', 'ghost', 'acme-max')`},
	{"web_views_pkey", `INSERT INTO web_views (id, site_id, visitor_id, kind, page, occurred_at) OVERRIDING SYSTEM VALUE VALUES (1, 'www', 'v-fedcba9876543210', 'visit', 'https://www.example.com/', now())`},
	{"web_views_site_id_fkey", `INSERT INTO web_views (site_id, visitor_id, kind, page, occurred_at) VALUES ('ghost', 'v-fedcba9876543210', 'visit', 'https://www.example.com/', now())`},
	{"web_views_kind_check", `INSERT INTO web_views (site_id, visitor_id, kind, page, occurred_at) VALUES ('www', 'v-fedcba9876543210', 'click', 'https://www.example.com/', now())`},
	{"web_claims_pkey", `INSERT INTO web_claims (site_id, visitor_id, customer_id, contact_id) VALUES ('www', 'v-0123456789abcdef', 'acme', 'acme-max')`},
	{"web_claims_site_id_fkey", `INSERT INTO web_claims (site_id, visitor_id, customer_id, contact_id) VALUES ('ghost', 'v-0123456789abcdef', 'acme', 'acme-max')`},
	{"web_claims_visitor_id_check", `INSERT INTO web_claims (site_id, visitor_id, customer_id, contact_id) VALUES ('www', 'short', 'acme', 'acme-max')`},
	{"web_claims_customer_id_fkey", `INSERT INTO web_claims (site_id, visitor_id, customer_id, contact_id) VALUES ('www', 'v-0123456789abcdef', 'ghost', 'acme-max')`},
	{"web_views_page_check", `INSERT INTO web_views (site_id, visitor_id, kind, page, occurred_at) VALUES ('www', 'v-fedcba9876543210', 'visit', '', now())`},

	{"content_pkey", `INSERT INTO content (id, title, topic, email_template_id) VALUES ('checklist', 'T', 'automation', 'd-1')`},
	{"content_id_check", `INSERT INTO content (id, title, topic, email_template_id) VALUES ('a b', 'T', 'automation', 'd-1')`},
	{"content_title_check", `INSERT INTO content (id, title, topic, email_template_id) VALUES ('guide', '', 'automation', 'd-1')`},
	{"content_topic_check", `INSERT INTO content (id, title, topic, email_template_id) VALUES ('guide', 'Guide', '', 'd-1')`},
	{"content_url_check", `INSERT INTO content (id, title, topic, url, email_template_id) VALUES ('guide', 'Guide', 'automation', 'ftp://x', 'd-1')`},
	{"content_email_check", `INSERT INTO content (id, title, topic, email_subject) VALUES ('guide', 'Guide', 'automation', 'Subject only')`},
	{"content_personas_pkey", `INSERT INTO content_personas (content_id, persona_id, position) VALUES ('checklist', 'ops-lead', 1)`},
	{"content_personas_content_id_fkey", `INSERT INTO content_personas (content_id, persona_id, position) VALUES ('ghost', 'ops-lead', 0)`},
	{"content_personas_persona_id_fkey", `INSERT INTO content_personas (content_id, persona_id, position) VALUES ('checklist', 'ghost', 1)`},

	{"journeys_pkey", `INSERT INTO journeys (id, latest_version) VALUES ('j', 1)`},
	{"journeys_id_check", `INSERT INTO journeys (id, latest_version) VALUES ('j/2', 1)`},
	{"journeys_latest_version_check", `INSERT INTO journeys (id, latest_version) VALUES ('k', 0)`},
	{"journey_versions_pkey", insertVersion + `) VALUES ('j', 1, 'draft', '{"offer": {"kind": "upsell"}}')`},
	{"journey_versions_journey_id_fkey", insertVersion + `) VALUES ('ghost', 1, 'draft', '{"offer": {"kind": "upsell"}}')`},
	{"journey_versions_version_check", insertVersion + `) VALUES ('j', 0, 'draft', '{"offer": {"kind": "upsell"}}')`},
	{"journey_versions_status_check", insertVersion + `) VALUES ('j', 2, 'live', '{"offer": {"kind": "upsell"}}')`},
	{"journey_versions_definition_check", insertVersion + `) VALUES ('j', 2, 'draft', '["upsell"]')`},
	{"journey_versions_definition_id_check", insertVersion + `) VALUES ('j', 2, 'draft', '{"id": "k", "offer": {"kind": "upsell"}}')`},
	{"journey_versions_offer_kind_check", insertVersion + `) VALUES ('j', 2, 'draft', '{"offer": {"kind": "resell"}}')`},
	{"journey_versions_published_at_check", insertVersion + `) VALUES ('j', 2, 'published', '{"offer": {"kind": "upsell"}}')`},
	{"journey_versions_immutable", `UPDATE journey_versions SET name = 'renamed' WHERE journey_id = 'j' AND version = 1`},

	{"runs_pkey", insertRun + `) VALUES ('ripen/j/acme', 'j', 1, 'acme', 'rep-eva', 'running', 'nurturing', now(), now())`},
	{"runs_workflow_id_check", insertRun + `) VALUES ('', 'j', 1, 'acme', 'rep-eva', 'running', 'nurturing', now(), now())`},
	{"runs_customer_id_fkey", insertRun + `) VALUES ('ripen/j/ghost', 'j', 1, 'ghost', 'rep-eva', 'running', 'nurturing', now(), now())`},
	{"runs_owner_id_fkey", insertRun + `) VALUES ('ripen/j/acme2', 'j', 1, 'acme', 'rep-ghost', 'running', 'nurturing', now(), now())`},
	{"runs_journey_id_version_fkey", insertRun + `) VALUES ('ripen/j/acme2', 'j', 9, 'acme', 'rep-eva', 'running', 'nurturing', now(), now())`},
	{"runs_status_check", insertRun + `, ended_at) VALUES ('ripen/j/acme2', 'j', 1, 'acme', 'rep-eva', 'sleeping', 'nurturing', now(), now(), now())`},
	{"runs_stage_check", insertRun + `) VALUES ('ripen/j/acme2', 'j', 1, 'acme', 'rep-eva', 'running', 'dozing', now(), now())`},
	{"runs_score_check", insertRun + `, score) VALUES ('ripen/j/acme2', 'j', 1, 'acme', 'rep-eva', 'running', 'nurturing', now(), now(), -1)`},
	{"runs_cycle_check", insertRun + `, cycle) VALUES ('ripen/j/acme2', 'j', 1, 'acme', 'rep-eva', 'running', 'nurturing', now(), now(), -1)`},
	{"runs_ended_at_check", insertRun + `) VALUES ('ripen/j/acme2', 'j', 1, 'acme', 'rep-eva', 'completed', 'done', now(), now())`},

	{"ended_runs_pkey", insertEnded + `) VALUES ('ripen/j/acme', 'j', 1, 'acme', 'rep-eva', 'failed', 'done', 0, false, 1, '', '2026-01-01', now(), now())`},
	{"ended_runs_workflow_id_check", insertEnded + `) VALUES ('', 'j', 1, 'acme', 'rep-eva', 'completed', 'done', 0, false, 1, '', now(), now(), now())`},
	{"ended_runs_customer_id_fkey", insertEnded + `) VALUES ('ripen/j/ghost', 'j', 1, 'ghost', 'rep-eva', 'completed', 'done', 0, false, 1, '', now(), now(), now())`},
	{"ended_runs_owner_id_fkey", insertEnded + `) VALUES ('ripen/j/acme', 'j', 1, 'acme', 'rep-ghost', 'completed', 'done', 0, false, 1, '', now(), now(), now())`},
	{"ended_runs_journey_id_version_fkey", insertEnded + `) VALUES ('ripen/j/acme', 'j', 9, 'acme', 'rep-eva', 'completed', 'done', 0, false, 1, '', now(), now(), now())`},
	{"ended_runs_status_check", insertEnded + `) VALUES ('ripen/j/acme', 'j', 1, 'acme', 'rep-eva', 'running', 'done', 0, false, 1, '', now(), now(), now())`},
	{"ended_runs_stage_check", insertEnded + `) VALUES ('ripen/j/acme', 'j', 1, 'acme', 'rep-eva', 'completed', 'dozing', 0, false, 1, '', now(), now(), now())`},
	{"ended_runs_score_check", insertEnded + `) VALUES ('ripen/j/acme', 'j', 1, 'acme', 'rep-eva', 'completed', 'done', -1, false, 1, '', now(), now(), now())`},
	{"ended_runs_cycle_check", insertEnded + `) VALUES ('ripen/j/acme', 'j', 1, 'acme', 'rep-eva', 'completed', 'done', 0, false, -1, '', now(), now(), now())`},
	{"ended_runs_ended_at_check", insertEnded + `) VALUES ('ripen/j/acme', 'j', 1, 'acme', 'rep-eva', 'completed', 'done', 0, false, 1, '', now(), now(), now() - interval '1 hour')`},

	{"events_pkey", `INSERT INTO events (id, customer_id, type, occurred_at) VALUES ('ev-1', 'acme', 'open', now())`},
	{"events_id_check", `INSERT INTO events (id, customer_id, type, occurred_at) VALUES (repeat('é', 201), 'acme', 'open', now())`},
	{"events_customer_id_fkey", `INSERT INTO events (id, customer_id, type, occurred_at) VALUES ('ev-2', 'ghost', 'open', now())`},
	{"events_type_check", `INSERT INTO events (id, customer_id, type, occurred_at) VALUES ('ev-2', 'acme', 'like', now())`},
	{"events_product_check", `INSERT INTO events (id, customer_id, type, occurred_at) VALUES ('ev-2', 'acme', 'order', now())`},
	{"events_source_check", `INSERT INTO events (id, customer_id, type, source, occurred_at) VALUES ('ev-2', 'acme', 'open', 'Web Site', now())`},
	{"events_note_check", `INSERT INTO events (id, customer_id, type, note, occurred_at) VALUES ('ev-2', 'acme', 'fast-lane', repeat('é', 4001), now())`},

	{"suppressions_pkey", `INSERT INTO suppressions (email, reason) VALUES ('gone@acme.example', 'spam')`},
	{"suppressions_email_check", `INSERT INTO suppressions (email, reason) VALUES ('Max@Acme.example', 'spam')`},
	{"suppressions_reason_check", `INSERT INTO suppressions (email, reason) VALUES ('max@acme.example', '')`},

	{"webhook_events_pkey", `INSERT INTO webhook_events (id) VALUES ('sg-1')`},
	{"webhook_events_id_check", `INSERT INTO webhook_events (id) VALUES ('')`},

	{"handoffs_pkey", insertHandoff + `, id) VALUES ('r2', 'w', 'j', 'acme', 'rep-eva', 1, 'score', now(), 'h-1')`},
	{"handoffs_id_check", insertHandoff + `, id) VALUES ('r2', 'w', 'j', 'acme', 'rep-eva', 1, 'score', now(), '')`},
	{"handoffs_run_key_check", insertHandoff + `) VALUES ('', 'w', 'j', 'acme', 'rep-eva', 1, 'score', now())`},
	{"handoffs_workflow_id_check", insertHandoff + `) VALUES ('r2', '', 'j', 'acme', 'rep-eva', 1, 'score', now())`},
	{"handoffs_journey_id_fkey", insertHandoff + `) VALUES ('r2', 'w', 'ghost', 'acme', 'rep-eva', 1, 'score', now())`},
	{"handoffs_customer_id_fkey", insertHandoff + `) VALUES ('r2', 'w', 'j', 'ghost', 'rep-eva', 1, 'score', now())`},
	{"handoffs_owner_id_fkey", insertHandoff + `) VALUES ('r2', 'w', 'j', 'acme', 'rep-ghost', 1, 'score', now())`},
	{"handoffs_cycle_check", insertHandoff + `) VALUES ('r2', 'w', 'j', 'acme', 'rep-eva', -1, 'score', now())`},
	{"handoffs_escalation_check", insertHandoff + `, escalation) VALUES ('r2', 'w', 'j', 'acme', 'rep-eva', 1, 'score', now(), 0)`},
	{"handoffs_reason_check", insertHandoff + `) VALUES ('r2', 'w', 'j', 'acme', 'rep-eva', 1, 'hunch', now())`},
	{"handoffs_score_check", insertHandoff + `, score) VALUES ('r2', 'w', 'j', 'acme', 'rep-eva', 1, 'score', now(), -1)`},
	{"handoffs_status_check", insertHandoff + `, status, feedback, closed_at) VALUES ('r2', 'w', 'j', 'acme', 'rep-eva', 1, 'score', now(), 'pending', 'pending', now())`},
	{"handoffs_closed_at_check", insertHandoff + `, status) VALUES ('r2', 'w', 'j', 'acme', 'rep-eva', 1, 'score', now(), 'withdrawn')`},
	{"handoffs_feedback_check", insertHandoff + `, feedback) VALUES ('r2', 'w', 'j', 'acme', 'rep-eva', 1, 'score', now(), 'won')`},
	{"handoffs_answer_check", insertHandoff + `, answer, answered_at) VALUES ('r2', 'w', 'j', 'acme', 'rep-eva', 1, 'score', now(), 'maybe', now())`},
	{"handoffs_answered_at_check", insertHandoff + `, answer) VALUES ('r2', 'w', 'j', 'acme', 'rep-eva', 1, 'score', now(), 'won')`},
	{"handoffs_run_key_cycle_escalation_key", insertHandoff + `, status, feedback, closed_at) VALUES ('ripen/j/acme/r1', 'ripen/j/acme', 'j', 'acme', 'rep-eva', 1, 'score', now(), 'won', 'won', now())`},
	{"handoffs_one_open_per_run", insertHandoff + `) VALUES ('ripen/j/acme/r1', 'ripen/j/acme', 'j', 'acme', 'rep-eva', 2, 'score', now())`},
	{"handoffs_event_id_check", insertHandoff + `, event_id) VALUES (NULL, NULL, NULL, 'acme', 'rep-eva', 0, 'fast-lane', now(), '')`},
	{"handoffs_event_id_key", insertHandoff + `, event_id) VALUES (NULL, NULL, NULL, 'acme', 'rep-eva', 0, 'fast-lane', now(), 'ev-fl')`},
	{"handoffs_run_or_event_check", insertHandoff + `) VALUES (NULL, NULL, NULL, 'acme', 'rep-eva', 0, 'fast-lane', now())`},
	{"handoffs_contact_id_fkey", insertHandoff + `, contact_id) VALUES ('r2', 'ripen/j/acme', 'j', 'acme', 'rep-eva', 1, 'score', now(), 'ghost')`},
	{"contacts_phone_check", `UPDATE contacts SET phone = 'call me' WHERE id = 'acme-max'`},
	{"inbox_signins_pkey", `INSERT INTO inbox_signins (token_hash, owner_id, expires_at) VALUES (sha256('s'), 'rep-eva', now()), (sha256('s'), 'rep-eva', now())`},
	{"inbox_signins_owner_id_fkey", `INSERT INTO inbox_signins (token_hash, owner_id, expires_at) VALUES (sha256('s'), 'ghost', now())`},
	{"inbox_sessions_pkey", `INSERT INTO inbox_sessions (token_hash, owner_id, expires_at) VALUES (sha256('s'), 'rep-eva', now()), (sha256('s'), 'rep-eva', now())`},
	{"inbox_sessions_owner_id_fkey", `INSERT INTO inbox_sessions (token_hash, owner_id, expires_at) VALUES (sha256('s'), 'ghost', now())`},
	{"console_users_pkey", `INSERT INTO console_users (id, email, role) VALUES ('ina', 'other@ripen.example', 'admin')`},
	{"console_users_id_check", `INSERT INTO console_users (id, email, role) VALUES ('i na', 'other@ripen.example', 'admin')`},
	{"console_users_email_check", `INSERT INTO console_users (id, email, role) VALUES ('tom', 'tom at ripen', 'admin')`},
	{"console_users_name_check", `INSERT INTO console_users (id, email, name, role) VALUES ('tom', 'tom@ripen.example', E'Tom\nBcc: x', 'admin')`},
	{"console_users_role_check", `INSERT INTO console_users (id, email, role) VALUES ('tom', 'tom@ripen.example', 'owner')`},
	{"console_users_email_key", `INSERT INTO console_users (id, email, role) VALUES ('tom', 'INA@ripen.example', 'admin')`},
	{"console_signins_pkey", `INSERT INTO console_signins (token_hash, user_id, expires_at) VALUES (sha256('s'), 'ina', now()), (sha256('s'), 'ina', now())`},
	{"console_signins_user_id_fkey", `INSERT INTO console_signins (token_hash, user_id, expires_at) VALUES (sha256('s'), 'ghost', now())`},
	{"console_signins_owner_id_fkey", `INSERT INTO console_signins (token_hash, owner_id, expires_at) VALUES (sha256('s'), 'ghost', now())`},
	{"console_signins_subject_check", `INSERT INTO console_signins (token_hash, user_id, owner_id, expires_at) VALUES (sha256('s'), 'ina', 'rep-eva', now())`},
	{"console_sessions_pkey", `INSERT INTO console_sessions (token_hash, user_id, expires_at) VALUES (sha256('s'), 'ina', now()), (sha256('s'), 'ina', now())`},
	{"console_sessions_user_id_fkey", `INSERT INTO console_sessions (token_hash, user_id, expires_at) VALUES (sha256('s'), 'ghost', now())`},
	{"console_sessions_owner_id_fkey", `INSERT INTO console_sessions (token_hash, owner_id, expires_at) VALUES (sha256('s'), 'ghost', now())`},
	{"console_sessions_api_key_id_fkey", `INSERT INTO console_sessions (token_hash, api_key_id, expires_at) VALUES (sha256('s'), -1, now())`},
	{"console_sessions_subject_check", `INSERT INTO console_sessions (token_hash, expires_at) VALUES (sha256('s'), now())`},

	{"outbox_pkey", `INSERT INTO outbox (id, run_key, step_id, cycle, contact_id, kind) OVERRIDING SYSTEM VALUE
	                 SELECT min(id), 'r2', 'checklist', 1, 'acme-max', 'content' FROM outbox`},
	{"outbox_key", insertOutbox + `) VALUES ('ripen/j/acme/r1', 'checklist', 1, 'acme-max', 'content')`},
	{"outbox_run_key_check", insertOutbox + `) VALUES ('', 'checklist', 1, 'acme-max', 'content')`},
	{"outbox_step_id_check", insertOutbox + `) VALUES ('r2', '', 1, 'acme-max', 'content')`},
	{"outbox_cycle_check", insertOutbox + `) VALUES ('r2', 'checklist', -1, 'acme-max', 'content')`},
	{"outbox_contact_id_check", insertOutbox + `) VALUES ('r2', 'checklist', 1, '', 'content')`},
	{"outbox_kind_check", insertOutbox + `, handoff_id) VALUES ('r2', 'checklist', 1, 'acme-max', 'sms', 'h-1')`},
	{"outbox_handoff_id_check", insertOutbox + `) VALUES ('r2', 'handoff:h-1', 1, 'owner:rep-eva', 'handoff')`},
	{"outbox_handoff_id_fkey", insertOutbox + `, handoff_id) VALUES ('r2', 'handoff:ghost', 1, 'owner:rep-eva', 'handoff', 'ghost')`},
	{"outbox_status_check", insertOutbox + `, status, message_id, sent_at) VALUES ('r2', 'checklist', 1, 'acme-max', 'content', 'lost', 'msg-2', now())`},
	{"outbox_message_id_key", insertOutbox + `, status, message_id, sent_at) VALUES ('r2', 'checklist', 1, 'acme-max', 'content', 'sent', 'msg-1', now())`},
	{"outbox_sent_check", insertOutbox + `, status) VALUES ('r2', 'checklist', 1, 'acme-max', 'content', 'sent')`},

	{"api_keys_pkey", `INSERT INTO api_keys (id, role, prefix, hash) OVERRIDING SYSTEM VALUE
	                   SELECT min(id), 'sales', 'rpn_def', sha256('other') FROM api_keys`},
	{"api_keys_role_check", `INSERT INTO api_keys (role, prefix, hash) VALUES ('root', 'rpn_def', sha256('other'))`},
	{"api_keys_prefix_check", `INSERT INTO api_keys (role, prefix, hash) VALUES ('sales', 'key_def', sha256('other'))`},
	{"api_keys_hash_check", `INSERT INTO api_keys (role, prefix, hash) VALUES ('sales', 'rpn_def', 'short')`},
	{"api_keys_owner_id_fkey", `INSERT INTO api_keys (role, prefix, hash, owner_id) VALUES ('sales', 'rpn_def', sha256('other'), 'rep-nobody')`},
	{"api_keys_owner_role_check", `INSERT INTO api_keys (role, prefix, hash, owner_id) VALUES ('marketing', 'rpn_def', sha256('other'), 'rep-eva')`},
	{"link_fetches_pkey", `INSERT INTO link_fetches (id, customer_id, run_id, step, cycle, contact_id, link, machine, fetched_at) OVERRIDING SYSTEM VALUE
	                       SELECT min(id), 'acme', 'ripen/j/acme', 'checklist', 1, 'acme-max', 'l2', false, now() FROM link_fetches`},
	{"link_fetches_customer_id_fkey", `INSERT INTO link_fetches (customer_id, run_id, step, cycle, contact_id, link, machine, fetched_at) VALUES ('ghost', 'ripen/j/ghost', 'checklist', 1, 'ghost-max', 'l2', false, now())`},
	{"link_fetches_link_check", `INSERT INTO link_fetches (customer_id, run_id, step, cycle, contact_id, link, machine, fetched_at) VALUES ('acme', 'ripen/j/acme', 'checklist', 1, 'acme-max', '', false, now())`},
	{"link_fetches_reason_check", `INSERT INTO link_fetches (customer_id, run_id, step, cycle, contact_id, link, machine, fetched_at) VALUES ('acme', 'ripen/j/acme', 'checklist', 1, 'acme-max', 'l2', true, now())`},
	{"pending_feedback_notes_pkey", `INSERT INTO pending_feedback_notes (workflow_id, outcome, note) VALUES ('ripen/j/acme', 'lost', 'again')`},
	{"pending_feedback_notes_workflow_id_check", `INSERT INTO pending_feedback_notes (workflow_id, outcome, note) VALUES ('', 'lost', 'x')`},
	{"pending_feedback_notes_outcome_check", `INSERT INTO pending_feedback_notes (workflow_id, outcome, note) VALUES ('ripen/j/b', 'maybe', 'x')`},
	{"pending_feedback_notes_note_check", `INSERT INTO pending_feedback_notes (workflow_id, outcome, note) VALUES ('ripen/j/b', 'lost', '')`},

	{"api_keys_hash_key", `INSERT INTO api_keys (role, prefix, hash) VALUES ('sales', 'rpn_def', sha256('key'))`},

	{"webhooks_pkey", insertWebhook + `('crm', 'https://crm.example/other', '{run.ended}', 'standard', 'whsec_MDEyMzQ1Njc4OWFiY2RlZg==')`},
	{"webhooks_id_check", insertWebhook + `('CRM/1', 'https://crm.example/hook', '{run.ended}', 'standard', 'whsec_MDEyMzQ1Njc4OWFiY2RlZg==')`},
	{"webhooks_url_check", insertWebhook + `('slack', 'ftp://crm.example/hook', '{run.ended}', 'standard', 'whsec_MDEyMzQ1Njc4OWFiY2RlZg==')`},
	{"webhooks_events_check", insertWebhook + `('slack', 'https://crm.example/hook', '{run.paused}', 'standard', 'whsec_MDEyMzQ1Njc4OWFiY2RlZg==')`},
	{"webhooks_format_check", insertWebhook + `('slack', 'https://crm.example/hook', '{run.ended}', 'teams', 'whsec_MDEyMzQ1Njc4OWFiY2RlZg==')`},
	{"webhooks_secret_check", insertWebhook + `('slack', 'https://crm.example/hook', '{run.ended}', 'standard', 'secret')`},
	{"outbound_events_pkey", `INSERT INTO outbound_events (id, type, data) VALUES ('handoff.created:h-1', 'handoff.created', '{}')`},
	{"outbound_events_type_check", `INSERT INTO outbound_events (id, type, data) VALUES ('run.paused:r1', 'run.paused', '{}')`},
	{"webhook_deliveries_pkey", `INSERT INTO webhook_deliveries (id, webhook_id, event_id, message_id, attempt, at, duration_ms, delivered) OVERRIDING SYSTEM VALUE
	                             SELECT min(id), 'crm', 'handoff.created:h-1', 'msg_1', 2, now(), 5, true FROM webhook_deliveries`},
	{"webhook_deliveries_webhook_id_fkey", `INSERT INTO webhook_deliveries (webhook_id, event_id, message_id, attempt, at, duration_ms, delivered) VALUES ('ghost', 'handoff.created:h-1', 'msg_1', 2, now(), 5, true)`},
	{"webhook_deliveries_event_id_fkey", `INSERT INTO webhook_deliveries (webhook_id, event_id, message_id, attempt, at, duration_ms, delivered) VALUES ('crm', 'handoff.created:ghost', 'msg_1', 2, now(), 5, true)`},
}

// raisedByTriggers are constraint names that triggers raise; pg_constraint
// does not list them.
var raisedByTriggers = []string{"journey_versions_immutable"}

// The Postgres error code each kind of constraint raises.
var constraintCodes = map[string]string{
	"c": "23514", // check
	"u": "23505", // unique
	"p": "23505", // primary key
	"f": "23503", // foreign key
	"x": "23P01", // exclusion
	"i": "23505", // unique index without a constraint
	"t": "23001", // trigger (restrict)
}

// The schema refuses every duplicate, orphan and impossible value it has a
// rule for; a new constraint without a case here fails the test.
func TestEveryConstraintRefusesWhatItGuards(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	_, err := s.Pool().Exec(ctx, constraintRecords)
	require.NoError(t, err, "the valid records")

	rows, _ := s.Pool().Query(ctx, `
SELECT conname, contype::text FROM pg_constraint
WHERE connamespace = 'public'::regnamespace AND contype IN ('c', 'u', 'p', 'f', 'x')
  AND conrelid <> 'goose_db_version'::regclass
UNION ALL
SELECT c.relname, 'i' FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indisunique AND c.relnamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT FROM pg_constraint WHERE conindid = i.indexrelid)
  AND i.indrelid <> 'goose_db_version'::regclass`)
	kinds := map[string]string{}
	var name, kind string
	_, err = pgx.ForEachRow(rows, []any{&name, &kind}, func() error {
		kinds[name] = kind
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, kinds)
	for _, name := range raisedByTriggers {
		kinds[name] = "t"
	}

	cased := map[string]bool{}
	for _, tc := range constraintCases {
		require.False(t, cased[tc.constraint], "two cases for %s", tc.constraint)
		cased[tc.constraint] = true
	}
	for name := range kinds {
		if !cased[name] {
			t.Errorf("constraint %s has no case in constraintCases: add one that proves it refuses what it guards", name)
		}
	}

	for _, tc := range constraintCases {
		t.Run(tc.constraint, func(t *testing.T) {
			kind, ok := kinds[tc.constraint]
			require.True(t, ok, "%s is not in the schema (renamed or dropped?)", tc.constraint)
			tx, err := s.Pool().Begin(ctx)
			require.NoError(t, err)
			defer func() { _ = tx.Rollback(ctx) }()

			_, err = tx.Exec(ctx, tc.sql)
			var pe *pgconn.PgError
			require.True(t, errors.As(err, &pe), "want %s to refuse the statement, got %v", tc.constraint, err)
			require.Equal(t, tc.constraint, pe.ConstraintName, "error: %v", pe)
			require.Equal(t, constraintCodes[kind], pe.Code, "error: %v", pe)
		})
	}
}
