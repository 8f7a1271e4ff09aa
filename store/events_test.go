package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func event(id, customerID, topic string, at time.Time) store.Event {
	return store.Event{ID: id, CustomerID: customerID, ContactID: customerID + "-max", Type: "visit",
		Topic: topic, URL: "https://example.com/pricing", OccurredAt: at}
}

func TestInsertEvents(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()

	t.Run("new events are inserted and come back as stored", func(t *testing.T) {
		ins, dup, err := s.InsertEvents(ctx, []store.Event{
			event("ev-1", "acme", "process-automation", t0),
			event("ev-2", "acme", "process-automation", t0.Add(time.Hour)),
		})
		require.NoError(t, err)
		require.Equal(t, []string{"ev-1", "ev-2"}, ins)
		require.Empty(t, dup)

		evs := storetest.Events(t, s, "acme")
		require.Len(t, evs, 2)
		require.Equal(t, "acme-max", evs[0].ContactID)
		require.False(t, evs[0].ReceivedAt.IsZero())
	})
	t.Run("an event ID is stored once", func(t *testing.T) {
		changed := event("ev-1", "acme", "other-topic", t0)
		ins, dup, err := s.InsertEvents(ctx, []store.Event{changed, event("ev-3", "acme", "process-automation", t0)})
		require.NoError(t, err)
		require.Equal(t, []string{"ev-3"}, ins)
		require.Equal(t, []string{"ev-1"}, dup)
		n, err := s.CountEvents(ctx, "acme", []string{"other-topic"}, t0)
		require.NoError(t, err)
		require.Zero(t, n, "the first copy of ev-1 stays")
	})
	t.Run("an ID repeated in the batch is stored once and counts once", func(t *testing.T) {
		ins, dup, err := s.InsertEvents(ctx, []store.Event{
			event("ev-4", "acme", "a", t0), event("ev-4", "acme", "b", t0), event("ev-3", "acme", "a", t0), event("ev-3", "acme", "a", t0),
		})
		require.NoError(t, err)
		require.Equal(t, []string{"ev-4"}, ins)
		require.Equal(t, []string{"ev-3"}, dup)
		n, err := s.CountEvents(ctx, "acme", []string{"a"}, t0)
		require.NoError(t, err)
		require.Equal(t, 1, n, "the first copy of ev-4 wins")
	})
	t.Run("an unknown customer refuses the whole batch, naming the event", func(t *testing.T) {
		_, _, err := s.InsertEvents(ctx, []store.Event{
			event("ev-5", "acme", "a", t0), event("ev-6", "ghost", "a", t0), event("ev-7", "ghost2", "a", t0),
		})
		se := requireKind(t, err, store.ErrInvalid, "customer_id")
		require.Equal(t, "ev-6", se.ID)
		require.Equal(t, `event "ev-6": invalid customer_id: unknown customer "ghost" (2 events of the batch name unknown customers)`, se.Error())
		_, _, err = s.InsertEvents(ctx, []store.Event{event("ev-5", "acme", "a", t0)})
		require.NoError(t, err)
	})
	t.Run("malformed events are named", func(t *testing.T) {
		bad := event("ev-8", "acme", "a", t0)
		bad.Type = "telepathy"
		_, _, err := s.InsertEvents(ctx, []store.Event{event("ev-9", "acme", "a", t0), bad})
		se := requireKind(t, err, store.ErrInvalid, "type")
		require.Equal(t, "ev-8", se.ID)

		bad = event("ev-8", "acme", "a", time.Time{})
		_, _, err = s.InsertEvents(ctx, []store.Event{bad})
		requireKind(t, err, store.ErrInvalid, "occurred_at")

		bad = event("ev-8", "acme", "a", t0)
		bad.Type, bad.Note = "fast-lane", strings.Repeat("x", 4001)
		_, _, err = s.InsertEvents(ctx, []store.Event{bad})
		se = requireKind(t, err, store.ErrInvalid, "note")
		require.Equal(t, `event "ev-8": invalid note: must be at most 4000 characters`, se.Error())

		bad = event("ev-8", "acme", "a", t0)
		bad.Topic = "nul\x00byte"
		_, _, err = s.InsertEvents(ctx, []store.Event{bad})
		se = requireKind(t, err, store.ErrInvalid, "topic")
		require.Equal(t, "ev-8", se.ID)

		long := strings.Repeat("é", 201)
		_, _, err = s.InsertEvents(ctx, []store.Event{event(long, "acme", "a", t0)})
		se = requireKind(t, err, store.ErrInvalid, "id")
		require.Equal(t, long, se.ID)
	})
	t.Run("limits count characters, not bytes, as the schema does", func(t *testing.T) {
		id := strings.Repeat("é", 200) // 400 bytes
		ev := event(id, "acme", "a", t0)
		ev.Type, ev.Note = "fast-lane", strings.Repeat("ü", 4000)
		ins, _, err := s.InsertEvents(ctx, []store.Event{ev})
		require.NoError(t, err)
		require.Equal(t, []string{id}, ins)
		got, err := s.GetEvent(ctx, id)
		require.NoError(t, err)
		require.Equal(t, ev.Note, got.Note)
	})
	t.Run("the schema refuses an unknown type too", func(t *testing.T) {
		_, err := s.Pool().Exec(ctx, `INSERT INTO events (id, customer_id, type, occurred_at) VALUES ('x', 'acme', 'telepathy', now())`)
		requirePgCode(t, err, "23514")
		_, err = s.Pool().Exec(ctx, `INSERT INTO events (id, customer_id, type, occurred_at) VALUES ('x', 'ghost', 'open', now())`)
		requirePgCode(t, err, "23503")
	})
}

func TestBulkInsertOf5000EventsReportsTheRightSplit(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()

	// 1,000 events stored before; a batch of 5,000 of which 1,000 repeat
	// those, 500 repeat an ID earlier in the same batch, 3,500 are new.
	var before []store.Event
	for i := range 1000 {
		before = append(before, event(fmt.Sprintf("old-%d", i), "acme", "t", t0))
	}
	ins, dup, err := s.InsertEvents(ctx, before)
	require.NoError(t, err)
	require.Len(t, ins, 1000)
	require.Empty(t, dup)

	var batch []store.Event
	for i := range 3500 {
		batch = append(batch, event(fmt.Sprintf("new-%d", i), "acme", "t", t0.Add(time.Duration(i)*time.Second)))
	}
	for i := range 1000 {
		batch = append(batch, event(fmt.Sprintf("old-%d", i), "acme", "t", t0))
	}
	for i := range 500 {
		batch = append(batch, event(fmt.Sprintf("new-%d", i), "acme", "t", t0))
	}
	require.Len(t, batch, 5000)

	ins, dup, err = s.InsertEvents(ctx, batch)
	require.NoError(t, err)
	require.Len(t, ins, 3500)
	require.Len(t, dup, 1000)
	require.Equal(t, "new-0", ins[0])
	require.Equal(t, "new-3499", ins[3499])
	require.Equal(t, "old-0", dup[0])

	n, err := s.CountEvents(ctx, "acme", []string{"t"}, time.Time{})
	require.NoError(t, err)
	require.Equal(t, 4500, n)
}

func TestCountEvents(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	require.NoError(t, s.PutCustomer(ctx, customer("globex")))
	_, _, err := s.InsertEvents(ctx, []store.Event{
		event("a1", "acme", "process-automation", t0),
		event("a2", "acme", "process-automation", t0.Add(-15*24*time.Hour)),
		event("a3", "acme", "erp", t0),
		event("a4", "acme", "pricing", t0),
		event("g1", "globex", "process-automation", t0),
	})
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		topics []string
		since  time.Time
		want   int
	}{
		"one topic within the window":   {[]string{"process-automation"}, t0.Add(-14 * 24 * time.Hour), 1},
		"one topic, long window":        {[]string{"process-automation"}, t0.Add(-30 * 24 * time.Hour), 2},
		"several topics":                {[]string{"process-automation", "erp"}, t0.Add(-time.Hour), 2},
		"no topics means every topic":   {nil, t0.Add(-time.Hour), 3},
		"the window start is inclusive": {[]string{"erp"}, t0, 1},
		"nothing after the events":      {nil, t0.Add(time.Second), 0},
	} {
		t.Run(name, func(t *testing.T) {
			n, err := s.CountEvents(ctx, "acme", tc.topics, tc.since)
			require.NoError(t, err)
			require.Equal(t, tc.want, n)
		})
	}
}

func BenchmarkInsertEvents(b *testing.B) {
	s := storetest.NewDB(b)
	ctx := b.Context()
	require.NoError(b, s.PutPersona(ctx, store.Persona{ID: "ops-lead", Name: "Head of Operations"}))
	require.NoError(b, s.PutCustomer(ctx, customer("acme")))

	for _, size := range []int{10, 1000, 5000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			n := 0
			for b.Loop() {
				batch := make([]store.Event, size)
				for i := range batch {
					batch[i] = event(fmt.Sprintf("bench-%d-%d", size, n), "acme", "process-automation", t0)
					n++
				}
				ins, _, err := s.InsertEvents(ctx, batch)
				if err != nil || len(ins) != size {
					b.Fatalf("inserted %d of %d: %v", len(ins), size, err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func TestEventProblemsListEveryBadField(t *testing.T) {
	e := store.Event{
		ID: strings.Repeat("é", store.MaxEventIDChars+1), Type: "telepathy",
		Topic: "nul\x00byte", URL: "bad \xff utf-8", Note: strings.Repeat("ü", store.MaxEventNoteChars+1),
	}
	var fields []string
	for _, p := range store.EventProblems(e) {
		fields = append(fields, p.Field)
	}
	require.Equal(t, []string{"id", "customer_id", "type", "occurred_at", "topic", "url", "note"}, fields)

	ok := event("ok", "acme", "a", t0)
	ok.Note = strings.Repeat("ü", store.MaxEventNoteChars)
	require.Empty(t, store.EventProblems(ok), "the limits count characters")
}

func TestRecentEventsAreTheNewestInTimeOrder(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	fast := event("fast", "acme", "a", t0.Add(5*time.Hour))
	fast.Type = store.FastLaneType
	_, _, err := s.InsertEvents(ctx, []store.Event{
		event("e3", "acme", "a", t0.Add(3*time.Hour)),
		event("e1", "acme", "a", t0.Add(time.Hour)),
		event("old", "acme", "a", t0.Add(-time.Hour)),
		event("e2", "acme", "b", t0.Add(2*time.Hour)),
		event("off", "acme", "other", t0.Add(4*time.Hour)),
		event("e0", "acme", "a", t0),
		fast,
	})
	require.NoError(t, err)
	ids := func(evs []store.Event) []string {
		out := []string{}
		for _, e := range evs {
			out = append(out, e.ID)
		}
		return out
	}

	evs, err := s.RecentEvents(ctx, "acme", []string{"a", "b"}, t0, 3)
	require.NoError(t, err)
	require.Equal(t, []string{"e1", "e2", "e3"}, ids(evs), "the newest three on the topics, oldest first; no fast lane")

	evs, err = s.RecentEvents(ctx, "acme", nil, t0, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"e0", "e1", "e2", "e3", "off"}, ids(evs), "no topics means every topic")

	n, err := s.CountEvents(ctx, "acme", []string{"a"}, t0)
	require.NoError(t, err)
	require.Equal(t, 3, n, "a fast-lane request is no engagement on a topic")
	n, err = s.CountEvents(ctx, "acme", nil, t0)
	require.NoError(t, err)
	require.Equal(t, 5, n)
}

func TestGetEventsReadsStoredEventsByID(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	_, _, err := s.InsertEvents(ctx, []store.Event{event("x1", "acme", "a", t0), event("x2", "acme", "b", t0)})
	require.NoError(t, err)
	got, err := s.GetEvents(ctx, []string{"x2", "x1", "missing"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "b", got["x2"].Topic)
	require.Equal(t, "acme", got["x1"].CustomerID)
	got, err = s.GetEvents(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, got)
}
