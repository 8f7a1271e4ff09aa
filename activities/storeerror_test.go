package activities

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/store"
)

func TestStoreErrorFailsForGoodOnlyWhatARetryCannotCure(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	for _, tc := range []struct {
		name      string
		err       error
		permanent string // the error type, or "" when retryable
	}{
		{"invalid", &store.Error{Kind: store.ErrInvalid, Record: "hand-off", ID: "h1", Field: "outcome", Msg: "must be one of …"}, "InvalidHandoff"},
		{"not found", &store.Error{Kind: store.ErrNotFound, Record: "hand-off", ID: "h1"}, "UnknownHandoff"},
		{"wrapped not found", fmt.Errorf("close: %w", &store.Error{Kind: store.ErrNotFound, Record: "hand-off", ID: "h1"}), "UnknownHandoff"},
		{"conflict", &store.Error{Kind: store.ErrConflict, Record: "hand-off", ID: "h1"}, ""},
		{"connection failure", fmt.Errorf("store: close hand-off %q: %w", "h1", dial), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := storeError(tc.err, "Handoff", "close hand-off h1")
			require.ErrorIs(t, err, tc.err, "the store's error stays the cause")
			require.Contains(t, err.Error(), "close hand-off h1")
			var app *temporal.ApplicationError
			if tc.permanent == "" {
				require.False(t, errors.As(err, &app), "%v", err)
				return
			}
			require.True(t, errors.As(err, &app), "%v", err)
			require.True(t, app.NonRetryable())
			require.Equal(t, tc.permanent, app.Type())
			require.Equal(t, "close hand-off h1", app.Message())
		})
	}
}
