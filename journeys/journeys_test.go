package journeys

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// Publishing checks what a journey names against the library: content its
// steps send, the personas its audience names and the products of its
// offer, each at its line.
func TestPublishingNamesUnknownContentPersonasAndProductsAtTheirLines(t *testing.T) {
	st := storetest.NewDB(t)
	ctx := context.Background()
	require.NoError(t, st.PutPersona(ctx, store.Persona{ID: "ops-lead", Name: "Head of Operations"}))
	src := []byte(`id: j
name: J
offer: {kind: cross-sell, product: p}
audience: {personas: [ops-lead, ghost-lead]}
scoring: {points: {click: 10}, half_life: 30d}
mqn: {threshold: 10}
steps:
  - {id: s, send: nowhere}
`)
	_, _, err := New(st).Publish(ctx, "j", src)
	var probs journey.Problems
	require.True(t, errors.As(err, &probs), "%v", err)
	got := map[string]int{}
	for _, p := range probs {
		got[p.Field] = p.Line
	}
	require.Equal(t, 4, got["audience.personas[1]"], "the unknown persona at its line: %v", probs)
	require.Equal(t, 8, got["steps[0].send"], "the unknown content at its line: %v", probs)
	require.Equal(t, 3, got["offer.product"], "the uncatalogued product at its line: %v", probs)
	require.Len(t, probs, 3, "%v", probs)
}
