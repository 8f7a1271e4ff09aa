// Package sendgrid is ripen's edge to SendGrid: it sends mail through the
// official sendgrid-go client, verifies and parses the signed Event Webhook,
// and signs webhook posts for the local SendGrid-compatible server
// (package sendgriddev) and for tests.
//
// It knows nothing of journeys, runs, Temporal or Postgres: callers pass in a
// Message and get back SendGrid's message ID or a *SendError that says whether
// a retry may help. It must never import another ripen package.
package sendgrid
