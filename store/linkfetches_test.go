package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

func linkFetch(link string, at time.Time) store.LinkFetch {
	return store.LinkFetch{CustomerID: "acme", RunID: "ripen/j/acme", Step: "checklist", Cycle: 1, ContactID: "acme-max", Link: link, FetchedAt: at}
}

// person judges every fetch a person's.
func person([]store.LinkFetch) store.FetchVerdict { return store.FetchVerdict{} }

func TestLinkFetchesAreJudgedWithTheEmailsEarlierOnes(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()

	a, _, err := s.RecordLinkFetch(ctx, linkFetch("a", t0), t0.Add(-time.Minute), person)
	require.NoError(t, err)
	click := event("click-a", "acme", "process-automation", t0)
	click.Type = "click"
	_, _, err = s.InsertEvents(ctx, []store.Event{click, event("visit-1", "acme", "process-automation", t0)})
	require.NoError(t, err)
	machine, err := s.SetLinkFetchEvent(ctx, a.ID, "click-a")
	require.NoError(t, err)
	require.False(t, machine)
	b, _, err := s.RecordLinkFetch(ctx, linkFetch("b", t0.Add(time.Second)), t0.Add(-time.Minute), person)
	require.NoError(t, err)

	// Fetches of another email, and of this one before since, are not
	// seen.
	other := linkFetch("x", t0)
	other.Step = "case-study"
	_, _, err = s.RecordLinkFetch(ctx, other, t0.Add(-time.Minute), person)
	require.NoError(t, err)
	_, _, err = s.RecordLinkFetch(ctx, linkFetch("old", t0.Add(-2*time.Minute)), t0.Add(-3*time.Minute), person)
	require.NoError(t, err)

	var seen []string
	c, corrected, err := s.RecordLinkFetch(ctx, linkFetch("c", t0.Add(2*time.Second)), t0.Add(-time.Minute), func(earlier []store.LinkFetch) store.FetchVerdict {
		for _, e := range earlier {
			seen = append(seen, e.Link)
		}
		return store.FetchVerdict{Machine: true, Reason: "burst", Correct: []int64{a.ID, b.ID}, CorrectReason: "burst"}
	})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, seen, "the email's fetches since the time given, oldest first")
	require.True(t, c.Machine)
	require.Equal(t, "burst", c.Reason)
	require.Len(t, corrected, 2)
	require.Equal(t, "click-a", corrected[0].EventID, "the click to take back")
	require.Empty(t, corrected[1].EventID, "b stored no click yet")

	// b stores its click only now: it learns that it was a machine's.
	machine, err = s.SetLinkFetchEvent(ctx, b.ID, "click-b")
	require.NoError(t, err)
	require.True(t, machine)

	require.NoError(t, s.ForgetClicks(ctx, []string{"click-a", "visit-1"}))
	var left []string
	for _, e := range storetest.Events(t, s, "acme") {
		left = append(left, e.ID)
	}
	require.Equal(t, []string{"visit-1"}, left, "only clicks are taken back")

	fetches, err := s.LinkFetches(ctx, "ripen/j/acme")
	require.NoError(t, err)
	var machines int
	for _, f := range fetches {
		if f.Machine {
			machines++
			require.Equal(t, "burst", f.Reason)
		}
	}
	require.Equal(t, 3, machines, "a, b and c are counted as machine clicks")

	// Correcting again changes nothing: a machine's fetch keeps its reason.
	_, corrected, err = s.RecordLinkFetch(ctx, linkFetch("trap", t0.Add(3*time.Second)), t0.Add(-time.Minute), func([]store.LinkFetch) store.FetchVerdict {
		return store.FetchVerdict{Machine: true, Reason: "trap", Correct: []int64{a.ID}, CorrectReason: "scanned"}
	})
	require.NoError(t, err)
	require.Empty(t, corrected)
}
