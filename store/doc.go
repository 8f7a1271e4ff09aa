// Package store keeps ripen's business records in PostgreSQL: account owners,
// customers and their contacts, personas, content, journey versions,
// engagement events, the projection of runs, the email outbox, hand-offs,
// suppressions, SendGrid webhook events seen, API keys, and outbound
// webhooks with the outbox of facts they announce.
//
// The schema lives in embedded goose migrations (migrations/*.sql) and guards
// its own integrity with keys, foreign keys, CHECKs and unique indexes; each
// repository method's SQL sits in a const next to it. Errors that callers
// must tell apart are *Error values matching ErrNotFound, ErrConflict or
// ErrInvalid, so the API can answer 404, 409 or 422 with errors.Is.
//
// The store knows neither HTTP nor Temporal: it never imports the API, the
// workflows, the activities or any Temporal package, and takes no decisions
// about journeys beyond keeping their records consistent.
package store
