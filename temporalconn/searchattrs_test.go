package temporalconn_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/ripen/ripen/internal/devtemporal"
	"github.com/ripen/ripen/internal/freeport"
	"github.com/ripen/ripen/temporalconn"
	"github.com/ripen/ripen/workflows"
)

// TestCheckSearchAttributes runs against the embedded Temporal server with a
// namespace that holds some of ripen's attributes, one with the wrong type.
func TestCheckSearchAttributes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	port, err := freeport.Take("127.0.0.1")
	require.NoError(t, err)
	kw := enumspb.INDEXED_VALUE_TYPE_KEYWORD
	srv, err := devtemporal.Start(ctx, devtemporal.Options{
		Port: port, Log: zerolog.Nop(),
		// RipenScore registered as Keyword instead of Int, by mistake.
		SearchAttributes: map[string]enumspb.IndexedValueType{"RipenJourney": kw, "RipenScore": kw},
	})
	require.NoError(t, err)
	defer srv.Stop()
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.Address(), Namespace: "default"})
	require.NoError(t, err)
	defer c.Close()

	want := workflows.SearchAttributes()

	t.Run("missing and mistyped attributes are named, with the command to add them", func(t *testing.T) {
		err := temporalconn.CheckSearchAttributes(ctx, c, "default", want)
		var saErr *temporalconn.SearchAttributesError
		require.ErrorAs(t, err, &saErr)
		require.Equal(t, map[string]enumspb.IndexedValueType{
			"RipenCustomer": kw, "RipenOwner": kw, "RipenOffer": kw, "RipenStage": kw,
			"RipenMQN": enumspb.INDEXED_VALUE_TYPE_BOOL,
		}, saErr.Missing)
		require.Equal(t, map[string][2]enumspb.IndexedValueType{
			"RipenScore": {kw, enumspb.INDEXED_VALUE_TYPE_INT},
		}, saErr.Mistyped)
		const cmd = "temporal operator search-attribute create --namespace default" +
			" --name RipenCustomer --type Keyword --name RipenMQN --type Bool" +
			" --name RipenOffer --type Keyword --name RipenOwner --type Keyword --name RipenStage --type Keyword"
		require.Equal(t, cmd, saErr.Command())
		require.Contains(t, err.Error(), cmd)
		require.Contains(t, err.Error(), "RipenScore is Keyword, want Int")
	})

	t.Run("after adding the missing ones only the mistyped one is left", func(t *testing.T) {
		// What `temporal operator search-attribute create` does.
		_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace: "default",
			SearchAttributes: map[string]enumspb.IndexedValueType{
				"RipenCustomer": kw, "RipenOwner": kw, "RipenOffer": kw, "RipenStage": kw,
				"RipenMQN": enumspb.INDEXED_VALUE_TYPE_BOOL,
			},
		})
		require.NoError(t, err)
		err = temporalconn.CheckSearchAttributes(ctx, c, "default", want)
		var saErr *temporalconn.SearchAttributesError
		require.ErrorAs(t, err, &saErr)
		require.Empty(t, saErr.Missing)
		require.Len(t, saErr.Mistyped, 1)
		require.NotContains(t, err.Error(), "search-attribute create")
	})

	t.Run("a namespace with every attribute passes", func(t *testing.T) {
		subset := map[string]enumspb.IndexedValueType{}
		for name, typ := range want {
			if name != "RipenScore" {
				subset[name] = typ
			}
		}
		require.NoError(t, temporalconn.CheckSearchAttributes(ctx, c, "default", subset))
		// System attributes count too.
		require.NoError(t, temporalconn.CheckSearchAttributes(ctx, c, "default",
			map[string]enumspb.IndexedValueType{"WorkflowType": kw}))
	})

	t.Run("an unknown namespace is a connection problem, not a missing attribute", func(t *testing.T) {
		err := temporalconn.CheckSearchAttributes(ctx, c, "no-such-namespace", want)
		require.Error(t, err)
		var saErr *temporalconn.SearchAttributesError
		require.False(t, errors.As(err, &saErr))
		require.True(t, strings.Contains(err.Error(), "no-such-namespace"))
	})
}

func TestCreateCommandNamesEveryType(t *testing.T) {
	got := temporalconn.CreateCommand("ripen-prod.a1b2c", workflows.SearchAttributes())
	require.Equal(t, "temporal operator search-attribute create --namespace ripen-prod.a1b2c"+
		" --name RipenCustomer --type Keyword --name RipenJourney --type Keyword --name RipenMQN --type Bool"+
		" --name RipenOffer --type Keyword --name RipenOwner --type Keyword --name RipenScore --type Int"+
		" --name RipenStage --type Keyword", got)
	for typ, name := range map[enumspb.IndexedValueType]string{
		enumspb.INDEXED_VALUE_TYPE_TEXT: "Text", enumspb.INDEXED_VALUE_TYPE_DOUBLE: "Double",
		enumspb.INDEXED_VALUE_TYPE_DATETIME: "Datetime", enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
	} {
		require.Equal(t, name, temporalconn.TypeName(typ))
	}
}
