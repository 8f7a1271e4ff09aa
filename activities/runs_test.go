package activities_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

func TestLoadRunContext(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	load := func(customerID string) (workflows.RunContext, error) {
		return f.acts.LoadRunContext(ctx, workflows.RunContextRequest{CustomerID: customerID})
	}
	require.NoError(t, f.st.PutCustomer(ctx, store.Customer{ID: "globex", Name: "Globex",
		Owner: store.Owner{ID: "rep-eva"},
		Contacts: []store.Contact{
			{ID: "globex-ann", Email: "Ann@Globex.example"},
			{ID: "globex-bob", Email: "bob@globex.example", Timezone: "America/New_York"},
		}}))

	t.Run("the first zone a contact names", func(t *testing.T) {
		rc, err := load("globex")
		require.NoError(t, err)
		require.Equal(t, workflows.RunContext{OwnerID: "rep-eva", Timezone: "America/New_York", Reachable: true}, rc)
	})
	t.Run("unreachable once every address is suppressed, in any case", func(t *testing.T) {
		require.NoError(t, f.st.Suppress(ctx, "ann@globex.example", "unsubscribe", "test"))
		require.NoError(t, f.st.Suppress(ctx, "BOB@globex.example", "bounce", "test"))
		rc, err := load("globex")
		require.NoError(t, err)
		require.False(t, rc.Reachable)
		require.Equal(t, "rep-eva", rc.OwnerID)
	})
	t.Run("an unknown customer is a permanent failure", func(t *testing.T) {
		_, err := load("nobody")
		var app *temporal.ApplicationError
		require.True(t, errors.As(err, &app), "error: %v", err)
		require.True(t, app.NonRetryable())
		require.Equal(t, "UnknownCustomer", app.Type())
	})
}
