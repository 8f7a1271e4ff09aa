package logging

import (
	"context"

	"github.com/rs/zerolog"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyLogger
)

// WithRequest gives ctx a request's ID and its logger, so the use cases a
// request calls log under the same ID as the request's own log line.
func WithRequest(ctx context.Context, requestID string, l zerolog.Logger) context.Context {
	return context.WithValue(context.WithValue(ctx, keyRequestID, requestID), keyLogger, l)
}

// RequestID returns the ID of the request ctx belongs to ("" outside one).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

// From returns the logger of the request ctx belongs to, or fallback
// outside a request.
func From(ctx context.Context, fallback zerolog.Logger) *zerolog.Logger {
	if l, ok := ctx.Value(keyLogger).(zerolog.Logger); ok {
		return &l
	}
	return &fallback
}
