package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// The inbox lists no Temporal state: a server on the store alone serves it.
type inboxFixture struct {
	t     *testing.T
	st    *store.Store
	srv   http.Handler
	sales string
}

func newInboxFixture(t *testing.T) *inboxFixture {
	t.Helper()
	st := storetest.NewDB(t)
	ctx := t.Context()
	sales, _, err := st.CreateAPIKey(ctx, RoleSales, "crm")
	require.NoError(t, err)
	require.NoError(t, st.PutCustomer(ctx, store.Customer{ID: "acme", Name: "Acme GmbH",
		Owner:    store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"},
		Contacts: []store.Contact{{ID: "acme-max", Email: "max@acme.example", FirstName: "Max"}}}))
	_, err = st.PublishJourney(ctx, store.JourneyVersion{JourneyID: "j", Name: "J",
		Definition: json.RawMessage(`{"id":"j","name":"J","offer":{"kind":"upsell","product":"p"},"steps":[{"id":"a","end":true}]}`)})
	require.NoError(t, err)
	return &inboxFixture{t: t, st: st, srv: New(UseCases{Store: st}, Config{}, zerolog.Nop(), nil).Handler(), sales: sales}
}

// get answers GET path as sales.
func (f *inboxFixture) get(path string) (int, []byte) {
	f.t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Header.Set("Authorization", "Bearer "+f.sales)
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

type inboxPage struct {
	Handoffs      []store.Handoff `json:"handoffs"`
	NextPageToken *string         `json:"next_page_token"`
}

// A rep with more hand-offs than a page reaches every one of them, newest
// first, by following next_page_token; hand-offs created at the same
// instant are neither repeated nor skipped at a page boundary.
func TestTheInboxPagesThroughEveryHandoff(t *testing.T) {
	f := newInboxFixture(t)
	ctx := t.Context()
	base := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for i := range 7 {
		// Hand-offs 2, 3 and 4 share a created_at.
		at := base.Add(time.Duration(min(i, 2)+max(i-4, 0)) * time.Minute)
		_, err := f.st.CreateHandoff(ctx, store.Handoff{RunKey: fmt.Sprintf("ripen/j/acme/run-%d", i), WorkflowID: "ripen/j/acme",
			JourneyID: "j", CustomerID: "acme", OwnerID: "rep-eva", Cycle: 1, Reason: store.ReasonScore, Score: 40,
			SLADueAt: base.Add(48 * time.Hour), CreatedAt: at})
		require.NoError(t, err)
	}
	all, err := f.st.ListHandoffs(ctx, store.HandoffFilter{})
	require.NoError(t, err)
	var want []string
	for _, h := range all {
		want = append(want, h.ID)
	}
	require.Len(t, want, 7)

	for _, size := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprintf("pages of %d", size), func(t *testing.T) {
			var got []string
			q := url.Values{"owner": {"rep-eva"}, "status": {"open"}, "limit": {fmt.Sprint(size)}}
			for pages := 1; ; pages++ {
				require.LessOrEqual(t, pages, 7, "the walk ends")
				code, body := f.get("/v1/handoffs?" + q.Encode())
				require.Equal(t, http.StatusOK, code, "%s", body)
				var p inboxPage
				require.NoError(t, json.Unmarshal(body, &p), "%s", body)
				for _, h := range p.Handoffs {
					got = append(got, h.ID)
				}
				if p.NextPageToken == nil {
					require.Equal(t, (len(want)+size-1)/size, pages, "a next token only when more exist")
					break
				}
				require.Len(t, p.Handoffs, size, "only the last page is short")
				q.Set("page_token", *p.NextPageToken)
			}
			require.Equal(t, want, got, "every hand-off once, newest first")
		})
	}
}

func TestABadInboxPageTokenIsNamed(t *testing.T) {
	f := newInboxFixture(t)
	for _, token := range []string{"not base64!", "bm9zcGFjZQ", "eWVzdGVyZGF5IHgx"} { // "nospace", "yesterday x1"
		code, body := f.get("/v1/handoffs?page_token=" + url.QueryEscape(token))
		require.Equal(t, http.StatusUnprocessableEntity, code, "%s", body)
		var p struct {
			Errors []FieldProblem `json:"errors"`
		}
		require.NoError(t, json.Unmarshal(body, &p), "%s", body)
		require.Equal(t, []FieldProblem{{Field: "page_token", Message: "is not a token this API gave out"}}, p.Errors)
	}
	// Every bad field is listed, not only the first.
	code, body := f.get("/v1/handoffs?limit=0&status=pending&page_token=x")
	require.Equal(t, http.StatusUnprocessableEntity, code, "%s", body)
	var p struct {
		Errors []FieldProblem `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(body, &p), "%s", body)
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
	}
	require.Equal(t, []string{"limit", "status", "page_token"}, fields)
}
