// Package fault names the kinds of error ripen's use cases return, so every
// channel (the HTTP API, the public pages, and what comes next) tells a
// caller's mistake from a failure in the same way: invalid (with every field
// problem), not found, conflict, gone, unavailable, forbidden. The HTTP layer maps a
// kind to a status; the use cases never speak HTTP.
//
// Errors of any other type are failures of ripen or of what it depends on.
package fault

import (
	"errors"
	"fmt"
)

// Kind is what went wrong, as a caller needs to know it.
type Kind string

// Kinds.
const (
	// Invalid: the request is wrong; Fields say where.
	Invalid Kind = "invalid"
	// NotFound: what the request names does not exist.
	NotFound Kind = "not found"
	// Conflict: the request contradicts the state it meets (an answer to a
	// hand-off answered otherwise, a signal to a run that has ended).
	Conflict Kind = "conflict"
	// Gone: it existed and is over (a journey that ended, a withdrawn link).
	Gone Kind = "gone"
	// Unavailable: the request may still take effect; read before sending it
	// again.
	Unavailable Kind = "unavailable"
	// Forbidden: the caller may not do this, whatever the request says
	// (marketing answering a hand-off, a customer's write that would change
	// its account owner's address); Fields say what they may not set.
	Forbidden Kind = "forbidden"
	// Busy: nothing was done because ripen is at a limit it sets itself
	// (concurrent simulations, say); the same request may come again soon.
	Busy Kind = "busy"
)

// Field is one problem of one field, in the request's own terms
// ("events[3].note"); Line is set where the request is a document (YAML).
type Field struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
}

// Error is a use case's answer to a request it will not carry out as asked.
type Error struct {
	Kind   Kind
	Detail string
	Fields []Field
	// Reason tells errors of one kind apart where a caller acts on it
	// (ReasonFeedbackPending).
	Reason string
}

// ReasonFeedbackPending: the run is applying an earlier answer to the same
// hand-off.
const ReasonFeedbackPending = "feedback-pending"

func (e *Error) Error() string { return e.Detail }

// InvalidFields is an Invalid error listing every bad field.
func InvalidFields(fields ...Field) error {
	detail := fmt.Sprintf("the request has %d problems", len(fields))
	if len(fields) == 1 {
		detail = fields[0].Field + ": " + fields[0].Message
	}
	return &Error{Kind: Invalid, Detail: detail, Fields: fields}
}

// InvalidField is an Invalid error of one field.
func InvalidField(field, message string) error {
	return InvalidFields(Field{Field: field, Message: message})
}

// Newf is an error of kind with a detail.
func Newf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// As returns err's *Error, if it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err is a fault of kind.
func Is(err error, kind Kind) bool {
	e, ok := As(err)
	return ok && e.Kind == kind
}
