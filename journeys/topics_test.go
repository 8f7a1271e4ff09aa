package journeys

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

func putContent(t *testing.T, st *store.Store, id, topic string) {
	t.Helper()
	require.NoError(t, st.PutContent(context.Background(), store.Content{ID: id, Title: id, Topic: topic, Stage: "awareness",
		URL: "https://example.com/" + id, Email: store.ContentEmail{Subject: id, Text: "Read {{.URL}}"}}))
}

const topicsJourney = `id: j
name: J
offer: {kind: cross-sell, product: p}
detector: {topics: [process-automation], min_events: 2, within: 14d}
scoring: {points: {click: 10}%s}
mqn: {threshold: 10}
steps:
  - {id: a, send: checklist}
  - {id: b, send: case-study}
  - {id: c, send: checklist}
`

// Publishing fixes the topics a version scores: without scoring.topics,
// the detector's and those of the content its steps send, each once.
func TestPublishingFillsInTheScoringTopics(t *testing.T) {
	st := storetest.NewDB(t)
	ctx := context.Background()
	putContent(t, st, "checklist", "process-automation")
	putContent(t, st, "case-study", "erp")
	require.NoError(t, st.PutProduct(ctx, store.CatalogueProduct{ID: "p", Name: "P"}))
	svc := New(st)

	v, _, err := svc.Publish(ctx, "j", []byte(fmt.Sprintf(topicsJourney, "")))
	require.NoError(t, err)
	require.Equal(t, []string{"process-automation", "erp"}, v.Definition.Scoring.Topics)
	got, err := svc.Get(ctx, "j", v.Version)
	require.NoError(t, err)
	require.Equal(t, []string{"process-automation", "erp"}, got.Definition.Scoring.Topics, "stored with the version")

	v, _, err = svc.Publish(ctx, "j", []byte(fmt.Sprintf(topicsJourney, ", topics: [finance]")))
	require.NoError(t, err)
	require.Equal(t, []string{"finance"}, v.Definition.Scoring.Topics, "an explicit list wins")
}
