// Package workflows holds the journey workflow: the deterministic interpreter
// that walks one customer through one journey version, listens for what they
// do, scores it, and hands them to sales when their need is ripe.
//
// It imports only journey/ and Temporal's workflow API. It must never import
// store, sendgrid or net/http, read the clock or randomness outside
// workflow.*, or iterate maps to make decisions. Side effects live behind the
// activities declared in activities.go; the worker binds them.
//
// No personal data enters workflow history: inputs, signals, results and
// search attributes carry IDs only. Activities read emails and names.
package workflows
