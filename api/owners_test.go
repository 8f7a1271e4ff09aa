package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
)

// acmeWithOwner is the seed's customer acme with its owner given as owner.
func acmeWithOwner(owner map[string]any) map[string]any {
	return map[string]any{
		"name": "acme GmbH", "persona": "ops-lead", "owner": owner,
		"contacts": []map[string]any{{"id": "acme-max", "email": "max@acme.example", "first_name": "Max", "last_name": "Muster", "timezone": "Europe/Berlin", "locale": "de"}},
	}
}

var evaOwner = map[string]any{"id": "rep-eva", "name": "Eva Berger", "email": "eva@seller.example"}

// A sales key once could set an owner's email to its own through a
// customer, and receive every hand-off of that rep's customers. Owners are
// an admin's now; a customer's write only names them.
func TestAnOwnersAddressChangesOnlyThroughTheAdminsOwnersRoute(t *testing.T) {
	h := newHarness(t)
	h.seed()
	hijack := acmeWithOwner(map[string]any{"id": "rep-eva", "name": "Eva Berger", "email": "mallory@evil.example"})

	t.Run("sales no longer writes customers", func(t *testing.T) {
		code, body := h.do("PUT", "/v1/customers/acme", "sales", hijack)
		require.Equal(t, 403, code, "%s", body)
		h.json("GET", "/v1/customers/acme", "sales", nil, 200, nil)
	})
	for _, role := range []string{"marketing", "admin"} {
		t.Run(role+" cannot change a known owner through a customer", func(t *testing.T) {
			code, body := h.do("PUT", "/v1/customers/acme", role, hijack)
			require.Equal(t, 403, code, "%s", body)
			p := problemOf(t, body)
			require.Equal(t, []string{"owner.email"}, p.fields())
			require.Contains(t, p.Errors[0].Message, "PUT /v1/owners/rep-eva")
			require.NotContains(t, string(body), "evil.example", "the refused address is not echoed")

			renamed := acmeWithOwner(map[string]any{"id": "rep-eva", "name": "Mallory", "email": "mallory@evil.example"})
			code, body = h.do("PUT", "/v1/customers/acme", role, renamed)
			require.Equal(t, 403, code, "%s", body)
			require.Equal(t, []string{"owner.name", "owner.email"}, problemOf(t, body).fields())
		})
	}
	var owner struct{ ID, Name, Email string }
	h.json("GET", "/v1/owners/rep-eva", "admin", nil, 200, &owner)
	require.Equal(t, "eva@seller.example", owner.Email, "the owner row is unchanged")
	require.Equal(t, "Eva Berger", owner.Name)

	t.Run("a customer names a known owner by ID, or as it is", func(t *testing.T) {
		h.json("PUT", "/v1/customers/acme", "marketing", acmeWithOwner(map[string]any{"id": "rep-eva"}), 200, nil)
		h.json("PUT", "/v1/customers/acme", "marketing", acmeWithOwner(evaOwner), 200, nil)
	})
	t.Run("a customer may name a new owner, which is created", func(t *testing.T) {
		var c struct {
			Owner struct{ ID, Name, Email string }
		}
		h.json("PUT", "/v1/customers/globex", "marketing", map[string]any{
			"name": "Globex", "owner": map[string]any{"id": "rep-tom", "name": "Tom Brandt", "email": "tom@seller.example"},
			"contacts": []map[string]any{{"id": "globex-ann", "email": "ann@globex.example"}},
		}, 200, &c)
		require.Equal(t, "tom@seller.example", c.Owner.Email)
		h.json("GET", "/v1/owners/rep-tom", "admin", nil, 200, &owner)
		require.Equal(t, "Tom Brandt", owner.Name)
	})
	t.Run("admin changes an owner's address", func(t *testing.T) {
		h.json("PUT", "/v1/owners/rep-eva", "admin", map[string]any{"name": "Eva Berger", "email": "eva.berger@seller.example"}, 200, &owner)
		require.Equal(t, "eva.berger@seller.example", owner.Email)
		var c struct{ Owner struct{ Email string } }
		h.json("GET", "/v1/customers/acme", "sales", nil, 200, &c)
		require.Equal(t, "eva.berger@seller.example", c.Owner.Email, "the customer's owner is the changed one")
		var list struct{ Items []struct{ ID string } }
		h.json("GET", "/v1/owners", "admin", nil, 200, &list)
		require.Len(t, list.Items, 2)
	})
	t.Run("only admin manages owners", func(t *testing.T) {
		for _, role := range []string{"marketing", "sales"} {
			for _, m := range []string{"GET", "PUT"} {
				code, body := h.do(m, "/v1/owners/rep-eva", role, map[string]any{"name": "Mallory", "email": "mallory@evil.example"})
				require.Equal(t, 403, code, "%s %s: %s", role, m, body)
			}
			code, _ := h.do("GET", "/v1/owners", role, nil)
			require.Equal(t, 403, code)
		}
	})
	t.Run("every bad field of an owner is named", func(t *testing.T) {
		code, body := h.do("PUT", "/v1/owners/rep%20x", "admin", map[string]any{"name": "", "email": "nope"})
		require.Equal(t, 422, code, "%s", body)
		require.Equal(t, []string{"id", "name", "email"}, problemOf(t, body).fields())
		code, body = h.do("PUT", "/v1/owners/rep-x", "admin", map[string]any{"name": "X", "email": "x@seller.example", "phone": "1"})
		require.Equal(t, 422, code, "%s", body)
		require.Equal(t, []string{"phone"}, problemOf(t, body).fields())
		h.json("GET", "/v1/owners/rep-x", "admin", nil, 404, nil)
	})
}

// Sales' answer to a hand-off is sales'; steering a run is for both roles.
func TestEachSignalTypeHasItsRoles(t *testing.T) {
	h := newHarness(t)
	h.seed()
	require.Equal(t, "started", h.enrol("erp-automation-crosssell", "acme").Results[0].Status)
	run := "/v1/journeys/erp-automation-crosssell/runs/acme"

	code, body := h.do("POST", run+"/signals", "marketing", map[string]any{"type": "sales-feedback", "outcome": "won"})
	require.Equal(t, 403, code, "%s", body)
	p := problemOf(t, body)
	require.Equal(t, []string{"type"}, p.fields())
	require.Contains(t, p.Errors[0].Message, "sales-feedback")

	h.json("POST", run+"/signals", "marketing", map[string]any{"type": "pause"}, 202, nil)
	h.eventually("the run is paused", func() bool {
		var st struct{ Stage string }
		h.json("GET", run, "marketing", nil, 200, &st)
		return st.Stage == "paused"
	})
	h.json("POST", run+"/signals", "sales", map[string]any{"type": "resume"}, 202, nil)
	// Sales (and admin) may send it: without a hand-off the run refuses it.
	h.json("POST", run+"/signals", "sales", map[string]any{"type": "sales-feedback", "outcome": "won"}, 409, nil)
	h.json("POST", run+"/signals", "admin", map[string]any{"type": "sales-feedback", "outcome": "won"}, 409, nil)
	code, body = h.do("POST", run+"/signals", "marketing", map[string]any{"type": "teleport"})
	require.Equal(t, 422, code, "an unknown type is a mistake, not a refusal: %s", body)
}

// A sales key bound to an owner works that owner's book only: the hand-offs
// made to them, their customers and those customers' runs. Another owner's are not
// found, and asking for another owner's list is refused.
func TestAnOwnersKeySeesOnlyThatOwnersHandoffsAndRuns(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.json("PUT", "/v1/customers/globex", "marketing", map[string]any{
		"name": "Globex", "persona": "ops-lead", "owner": map[string]any{"id": "rep-tom", "name": "Tom Brandt", "email": "tom@seller.example"},
		"contacts": []map[string]any{{"id": "globex-ann", "email": "ann@globex.example"}},
	}, 200, nil)
	evaKey, _, err := h.stack.Store.CreateAPIKeyWith(context.Background(), store.NewAPIKey{Role: "sales", Label: "Eva", OwnerID: "rep-eva"})
	require.NoError(t, err)
	h.keys["eva"] = evaKey

	res := h.enrol("erp-automation-crosssell", "acme", "globex")
	require.Equal(t, "started", res.Results[1].Status)
	for _, c := range []string{"acme", "globex"} {
		h.json("POST", "/v1/journeys/erp-automation-crosssell/runs/"+c+"/signals", "sales", map[string]any{"type": "fast-lane", "offer": "demo"}, 202, nil)
	}
	type inbox struct {
		Handoffs []struct {
			ID      string `json:"id"`
			OwnerID string `json:"owner_id"`
		} `json:"handoffs"`
	}
	var all inbox
	h.eventually("both hand-offs", func() bool {
		h.json("GET", "/v1/handoffs?status=open", "sales", nil, 200, &all)
		return len(all.Handoffs) == 2
	})
	handoffOf := map[string]string{}
	for _, ho := range all.Handoffs {
		handoffOf[ho.OwnerID] = ho.ID
	}

	t.Run("the inbox", func(t *testing.T) {
		for _, path := range []string{"/v1/handoffs", "/v1/handoffs?status=open", "/v1/handoffs?owner=rep-eva"} {
			var mine inbox
			h.json("GET", path, "eva", nil, 200, &mine)
			require.Len(t, mine.Handoffs, 1, path)
			require.Equal(t, "rep-eva", mine.Handoffs[0].OwnerID)
		}
		code, body := h.do("GET", "/v1/handoffs?owner=rep-tom", "eva", nil)
		require.Equal(t, 403, code, "%s", body)
		require.Equal(t, []string{"owner"}, problemOf(t, body).fields())
		h.json("GET", "/v1/handoffs/"+handoffOf["rep-eva"], "eva", nil, 200, nil)
		h.json("GET", "/v1/handoffs/"+handoffOf["rep-tom"], "eva", nil, 404, nil)
	})
	t.Run("another owner's hand-off cannot be answered", func(t *testing.T) {
		h.json("POST", "/v1/handoffs/"+handoffOf["rep-tom"]+"/feedback", "eva", map[string]any{"outcome": "lost"}, 404, nil)
		h.json("POST", "/v1/journeys/erp-automation-crosssell/runs/globex/signals", "eva", map[string]any{"type": "sales-feedback", "outcome": "lost"}, 404, nil)
		var ho struct{ Status string }
		h.json("GET", "/v1/handoffs/"+handoffOf["rep-tom"], "sales", nil, 200, &ho)
		require.Equal(t, "open", ho.Status, "untouched")
	})
	t.Run("runs", func(t *testing.T) {
		type runList struct {
			Runs []struct {
				CustomerID string `json:"customer_id"`
			} `json:"runs"`
		}
		var unscoped runList
		h.eventually("both runs are listed", func() bool {
			h.json("GET", "/v1/runs", "sales", nil, 200, &unscoped)
			return len(unscoped.Runs) == 2
		})
		for _, path := range []string{"/v1/runs", "/v1/runs?owner=rep-eva", "/v1/runs?customer=globex", "/v1/customers/acme/runs"} {
			var mine runList
			h.json("GET", path, "eva", nil, 200, &mine)
			if path == "/v1/runs?customer=globex" {
				require.Empty(t, mine.Runs, "globex is Tom's")
				continue
			}
			require.Len(t, mine.Runs, 1, path)
			require.Equal(t, "acme", mine.Runs[0].CustomerID, path)
		}
		code, body := h.do("GET", "/v1/runs?owner=rep-tom", "eva", nil)
		require.Equal(t, 403, code, "%s", body)
		require.Equal(t, []string{"owner"}, problemOf(t, body).fields())
		h.json("GET", "/v1/customers/globex/runs", "eva", nil, 404, nil)
		h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/globex", "eva", nil, 404, nil)
		h.json("POST", "/v1/journeys/erp-automation-crosssell/runs/globex/signals", "eva", map[string]any{"type": "pause"}, 404, nil)
		h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/acme", "eva", nil, 200, nil)
		var st struct{ Paused bool }
		h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/globex", "sales", nil, 200, &st)
		require.False(t, st.Paused, "the refused pause did not reach the run")
	})
	t.Run("customers", func(t *testing.T) {
		var mine struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		h.json("GET", "/v1/customers", "eva", nil, 200, &mine)
		require.Len(t, mine.Items, 1)
		require.Equal(t, "acme", mine.Items[0].ID)
		h.json("GET", "/v1/customers/acme", "eva", nil, 200, nil)
		h.json("GET", "/v1/customers/globex", "eva", nil, 404, nil)
		var every struct {
			Items []any `json:"items"`
		}
		h.json("GET", "/v1/customers", "sales", nil, 200, &every)
		require.Len(t, every.Items, 2, "a key bound to no owner reads every customer")
	})
	t.Run("her own hand-off she answers", func(t *testing.T) {
		h.json("POST", "/v1/handoffs/"+handoffOf["rep-eva"]+"/feedback", "eva", map[string]any{"outcome": "accepted"}, 200, nil)
	})
}

func TestAnExpiredKeyIsRefusedLikeARevokedOne(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	soon := time.Now().Add(time.Hour)
	live, _, err := h.stack.Store.CreateAPIKeyWith(ctx, store.NewAPIKey{Role: "marketing", Label: "contractor", ExpiresAt: &soon})
	require.NoError(t, err)
	past := time.Now().Add(-time.Second)
	expired, _, err := h.stack.Store.CreateAPIKeyWith(ctx, store.NewAPIKey{Role: "marketing", Label: "contractor", ExpiresAt: &past})
	require.NoError(t, err)
	h.keys["live"], h.keys["expired"] = live, expired

	h.json("GET", "/v1/personas", "live", nil, 200, nil)
	code, header, body := h.doWith("GET", "/v1/personas", "expired", nil, nil)
	require.Equal(t, 401, code, "%s", body)
	require.Contains(t, header.Get("WWW-Authenticate"), "invalid_token")
	require.Contains(t, string(body), "expired")
}
