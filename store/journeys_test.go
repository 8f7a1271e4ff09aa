package store_test

import (
	"encoding/json"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

func TestJourneyVersions(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	id := "erp-automation-crosssell"

	t.Run("publishing numbers versions from 1", func(t *testing.T) {
		v1, err := s.PublishJourney(ctx, journey(id))
		require.NoError(t, err)
		require.Equal(t, 1, v1.Version)
		require.Equal(t, store.JourneyPublished, v1.Status)
		require.False(t, v1.CreatedAt.IsZero())
		require.NotNil(t, v1.PublishedAt)
		require.JSONEq(t, string(journey(id).Definition), string(v1.Definition))

		v2, err := s.PublishJourney(ctx, journey(id))
		require.NoError(t, err)
		require.Equal(t, 2, v2.Version)
	})
	t.Run("a draft takes the next number but is not the newest published", func(t *testing.T) {
		draft, err := s.SaveDraft(ctx, journey(id))
		require.NoError(t, err)
		require.Equal(t, 3, draft.Version)
		require.Equal(t, store.JourneyDraft, draft.Status)
		require.Nil(t, draft.PublishedAt)

		newest, err := s.GetJourney(ctx, id, 0)
		require.NoError(t, err)
		require.Equal(t, 2, newest.Version)
		got, err := s.GetJourney(ctx, id, 3)
		require.NoError(t, err)
		require.Equal(t, store.JourneyDraft, got.Status)
	})
	t.Run("publishing the draft makes it the newest, once", func(t *testing.T) {
		v3, err := s.PublishDraft(ctx, id, 3)
		require.NoError(t, err)
		require.Equal(t, store.JourneyPublished, v3.Status)
		again, err := s.PublishDraft(ctx, id, 3)
		require.NoError(t, err)
		require.Equal(t, v3.PublishedAt, again.PublishedAt)
		newest, err := s.GetJourney(ctx, id, 0)
		require.NoError(t, err)
		require.Equal(t, 3, newest.Version)
		_, err = s.PublishDraft(ctx, id, 99)
		requireKind(t, err, store.ErrNotFound, "")
	})
	t.Run("versions are immutable in the schema", func(t *testing.T) {
		_, err := s.Pool().Exec(ctx, `UPDATE journey_versions SET definition = '{}' WHERE journey_id = $1 AND version = 1`, id)
		requirePgCode(t, err, "23001")
		_, err = s.Pool().Exec(ctx, `DELETE FROM journey_versions WHERE journey_id = $1`, id)
		requirePgCode(t, err, "23001")
		_, err = s.Pool().Exec(ctx, `UPDATE journey_versions SET status = 'draft', published_at = NULL WHERE journey_id = $1 AND version = 1`, id)
		requirePgCode(t, err, "23001")
	})
	t.Run("lists show every version, or the newest published per journey", func(t *testing.T) {
		_, err := s.PublishJourney(ctx, journey("another"))
		require.NoError(t, err)
		_, err = s.SaveDraft(ctx, journey("another"))
		require.NoError(t, err)
		_, err = s.SaveDraft(ctx, journey("only-drafts"))
		require.NoError(t, err)

		all, err := s.ListJourneys(ctx, false)
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, "another", all[0].JourneyID)
		require.Equal(t, 1, all[0].Version)
		require.Equal(t, id, all[1].JourneyID)
		require.Equal(t, 3, all[1].Version)

		versions, err := s.ListJourneyVersions(ctx, id)
		require.NoError(t, err)
		require.Len(t, versions, 3)
		for i, v := range versions {
			require.Equal(t, i+1, v.Version)
		}
		_, err = s.GetJourney(ctx, "only-drafts", 0)
		requireKind(t, err, store.ErrNotFound, "")
		_, err = s.ListJourneyVersions(ctx, "nope")
		requireKind(t, err, store.ErrNotFound, "")
	})
	t.Run("definitions the schema refuses", func(t *testing.T) {
		for name, tc := range map[string]struct {
			def   string
			field string
		}{
			"not JSON":          {`{"id":`, "definition"},
			"not an object":     {`["a"]`, "definition"},
			"unknown offer":     {`{"id":"x","offer":{"kind":"giveaway"}}`, "definition.offer.kind"},
			"another ID inside": {`{"id":"other","offer":{"kind":"repeat"}}`, "definition.id"},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := s.PublishJourney(ctx, store.JourneyVersion{JourneyID: "x", Definition: json.RawMessage(tc.def)})
				requireKind(t, err, store.ErrInvalid, tc.field)
			})
		}
		// A refused version does not use up a number.
		v, err := s.PublishJourney(ctx, journey("x"))
		require.NoError(t, err)
		require.Equal(t, 1, v.Version)
	})
}

func TestPublishJourneyConcurrentlyGivesDistinctVersions(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	const publishers = 8

	var wg sync.WaitGroup
	versions := make([]int, publishers)
	errs := make([]error, publishers)
	for i := range publishers {
		wg.Go(func() {
			v, err := s.PublishJourney(ctx, journey("busy"))
			versions[i], errs[i] = v.Version, err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	sort.Ints(versions)
	require.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8}, versions)
}

func TestPublishJourneyIfChangedPublishesOnlyAChange(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	id := "erp-automation-crosssell"

	v1, created, err := s.PublishJourneyIfChanged(ctx, journey(id))
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, 1, v1.Version)

	// The same definition, in another key order and spacing, with another
	// source: the version it already is.
	same := journey(id)
	var def map[string]any
	require.NoError(t, json.Unmarshal(same.Definition, &def))
	same.Definition, err = json.MarshalIndent(def, "", "    ")
	require.NoError(t, err)
	same.Definition = append([]byte(" \n"), same.Definition...)
	same.Source = "# reformatted\n" + same.Source
	got, created, err := s.PublishJourneyIfChanged(ctx, same)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, 1, got.Version)
	require.Equal(t, v1.Source, got.Source, "the version keeps its first source")
	require.Equal(t, v1.CreatedAt, got.CreatedAt)

	// A change is the next version; so is going back to an older one.
	changed := journey(id)
	def["name"] = "Renamed"
	changed.Definition, err = json.Marshal(def)
	require.NoError(t, err)
	v2, created, err := s.PublishJourneyIfChanged(ctx, changed)
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, 2, v2.Version)
	v3, created, err := s.PublishJourneyIfChanged(ctx, journey(id))
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, 3, v3.Version)

	// A draft is not what the journey runs: it is compared with the
	// newest published version only.
	_, err = s.SaveDraft(ctx, changed)
	require.NoError(t, err)
	got, created, err = s.PublishJourneyIfChanged(ctx, journey(id))
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, 3, got.Version)

	_, _, err = s.PublishJourneyIfChanged(ctx, store.JourneyVersion{JourneyID: id, Definition: json.RawMessage(`["a"]`)})
	requireKind(t, err, store.ErrInvalid, "definition")
	_, _, err = s.PublishJourneyIfChanged(ctx, store.JourneyVersion{JourneyID: id, Definition: json.RawMessage(`{"id":"other","offer":{"kind":"repeat"}}`)})
	requireKind(t, err, store.ErrInvalid, "definition.id")
}

func TestPublishJourneyIfChangedConcurrentlyCreatesOneVersion(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	const publishers = 8
	for _, round := range []string{"new journey", "changed journey"} {
		jv := journey("busy")
		if round == "changed journey" {
			jv.Definition = json.RawMessage(`{"id":"busy","name":"changed","offer":{"kind":"repeat","product":"p"}}`)
		}
		var wg sync.WaitGroup
		versions := make([]int, publishers)
		created := make([]bool, publishers)
		errs := make([]error, publishers)
		for i := range publishers {
			wg.Go(func() {
				v, c, err := s.PublishJourneyIfChanged(ctx, jv)
				versions[i], created[i], errs[i] = v.Version, c, err
			})
		}
		wg.Wait()
		n := 0
		for i := range publishers {
			require.NoError(t, errs[i], round)
			require.Equal(t, versions[0], versions[i], round)
			if created[i] {
				n++
			}
		}
		require.Equal(t, 1, n, "%s: one call created the version", round)
	}
	all, err := s.ListJourneyVersions(ctx, "busy")
	require.NoError(t, err)
	require.Len(t, all, 2)
}

func TestArchivingAJourney(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	id := "erp-automation-crosssell"
	_, err := s.PublishJourney(ctx, journey(id))
	require.NoError(t, err)
	v2, err := s.PublishJourney(ctx, journey(id))
	require.NoError(t, err)
	require.Nil(t, v2.ArchivedAt, "a published journey is live")
	_, err = s.PublishJourney(ctx, journey("live"))
	require.NoError(t, err)

	archived, err := s.ArchiveJourney(ctx, id)
	require.NoError(t, err)
	require.Equal(t, 2, archived.Version, "archiving answers the newest published version")
	require.NotNil(t, archived.ArchivedAt)

	t.Run("archiving again changes nothing", func(t *testing.T) {
		again, err := s.ArchiveJourney(ctx, id)
		require.NoError(t, err)
		require.Equal(t, archived, again)
	})
	t.Run("every version reads as archived", func(t *testing.T) {
		for _, version := range []int{0, 1, 2} {
			got, err := s.GetJourney(ctx, id, version)
			require.NoError(t, err)
			require.Equal(t, archived.ArchivedAt, got.ArchivedAt, "version %d", version)
		}
		versions, err := s.ListJourneyVersions(ctx, id)
		require.NoError(t, err)
		for _, v := range versions {
			require.Equal(t, archived.ArchivedAt, v.ArchivedAt)
		}
	})
	t.Run("the list leaves it out unless asked", func(t *testing.T) {
		live, err := s.ListJourneys(ctx, false)
		require.NoError(t, err)
		require.Len(t, live, 1)
		require.Equal(t, "live", live[0].JourneyID)
		all, err := s.ListJourneys(ctx, true)
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, id, all[0].JourneyID)
		require.Equal(t, archived.ArchivedAt, all[0].ArchivedAt)
		require.Nil(t, all[1].ArchivedAt)
	})
	t.Run("a journey that does not exist", func(t *testing.T) {
		_, err := s.ArchiveJourney(ctx, "nope")
		requireKind(t, err, store.ErrNotFound, "")
		_, err = s.SaveDraft(ctx, journey("only-drafts"))
		require.NoError(t, err)
		_, err = s.ArchiveJourney(ctx, "only-drafts")
		requireKind(t, err, store.ErrNotFound, "")
	})
	t.Run("publishing it unchanged brings it back without a version", func(t *testing.T) {
		got, created, err := s.PublishJourneyIfChanged(ctx, journey(id))
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, 2, got.Version)
		require.Nil(t, got.ArchivedAt)
		newest, err := s.GetJourney(ctx, id, 0)
		require.NoError(t, err)
		require.Nil(t, newest.ArchivedAt)
	})
	t.Run("publishing a change brings it back as the next version", func(t *testing.T) {
		_, err := s.ArchiveJourney(ctx, id)
		require.NoError(t, err)
		changed := journey(id)
		changed.Definition = json.RawMessage(`{"id":"erp-automation-crosssell","name":"changed","offer":{"kind":"repeat","product":"p"}}`)
		got, created, err := s.PublishJourneyIfChanged(ctx, changed)
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, 3, got.Version)
		require.Nil(t, got.ArchivedAt)
		live, err := s.ListJourneys(ctx, false)
		require.NoError(t, err)
		require.Len(t, live, 2)
	})
	t.Run("archived again, it keeps the new time", func(t *testing.T) {
		again, err := s.ArchiveJourney(ctx, id)
		require.NoError(t, err)
		require.NotNil(t, again.ArchivedAt)
		require.False(t, again.ArchivedAt.Before(*archived.ArchivedAt))
	})
}
