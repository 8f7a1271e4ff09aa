package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/store"
)

const (
	chromeAgent  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	scannerAgent = "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0) BarracudaCentral"
)

func (h *harness) linkFetches(customer string) []store.LinkFetch {
	h.t.Helper()
	fs, err := h.stack.Store.LinkFetches(context.Background(), "ripen/"+linkJourney+"/"+customer)
	require.NoError(h.t, err)
	return fs
}

// A mail scanner follows every link of an email within a second of
// delivery, the hidden one first: each still gets its redirect, and is
// recorded as a machine's click that scores nothing. A person's single
// click right after delivery counts.
func TestMailScannersScoreNothingAndAPersonsClickCounts(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.customer("globex", "anna@globex.example", "en")
	h.customer("initech", "peter@initech.example", "en")
	h.enrolAndFirstMail("acme", "globex", "initech")
	mail := func(addr string) mailLinks {
		h.eventually("the first email to "+addr, func() bool { return len(h.mailsTo(addr)) > 0 })
		ls := h.linksOf(h.mailsTo(addr)[0])
		require.NotEmpty(t, ls.hidden, "the email hides a link only machines follow")
		return ls
	}
	follow := func(link string, header map[string]string) {
		t.Helper()
		p := fetch(t, "GET", link, nil, header)
		require.Equal(t, http.StatusSeeOther, p.status, p.body)
		require.Equal(t, "https://example.com/automation-checklist", p.header.Get("Location"), "machines get their redirect too")
	}

	// A gateway that says who it is; one that passes for a browser; and
	// a browser prefetching the link.
	scanned := map[string]map[string]string{
		"acme":    {"User-Agent": scannerAgent},
		"initech": {"User-Agent": chromeAgent},
	}
	for customer, header := range scanned {
		ls := mail(map[string]string{"acme": "max@acme.example", "initech": "peter@initech.example"}[customer])
		follow(ls.hidden, header)
		for _, l := range ls.tracked {
			follow(l, header)
		}
	}
	globex := mail("anna@globex.example")
	follow(globex.tracked[0], map[string]string{"User-Agent": chromeAgent, "Sec-Purpose": "prefetch"})

	// Anna clicks.
	follow(globex.tracked[0], map[string]string{"User-Agent": chromeAgent})
	h.eventually("Anna's click scored", func() bool { return h.linkRun("globex").Score > 9.9 })
	run := h.linkRun("globex")
	require.Equal(t, 1, run.engagements("click"), "%+v", run.Engagements)
	require.InDelta(t, 10, run.Score, 0.01)
	require.Len(t, h.storedEvents("globex", "click"), 1)
	fetches := h.linkFetches("globex")
	require.Len(t, fetches, 2)
	require.Equal(t, []bool{true, false}, []bool{fetches[0].Machine, fetches[1].Machine}, "the prefetch, then Anna")
	require.Equal(t, "prefetch", fetches[0].Reason)
	require.Equal(t, h.storedEvents("globex", "click")[0].ID, fetches[1].EventID)

	// The scanned emails' runs heard nothing; the machine clicks are kept.
	for customer := range scanned {
		run := h.linkRun(customer)
		require.Zero(t, run.Score, customer)
		require.Zero(t, run.engagements("click"), "%s: %+v", customer, run.Engagements)
		require.Equal(t, "nurturing", run.Stage)
		require.Empty(t, h.storedEvents(customer, "click"), customer)
		fetches := h.linkFetches(customer)
		require.Len(t, fetches, 2, customer)
		for _, f := range fetches {
			require.True(t, f.Machine, "%s: %+v", customer, f)
			require.Empty(t, f.EventID)
		}
		require.True(t, fetches[0].Trap)
	}
	require.Equal(t, []string{"agent", "agent"}, reasons(h.linkFetches("acme")))
	require.Equal(t, []string{"trap", "scanned"}, reasons(h.linkFetches("initech")))

	// A gateway that passes for a browser and skips the hidden link still
	// opens every link at once: the third link within seconds shows it,
	// and the clicks stored for the first two are taken back.
	h.json("PUT", "/v1/content/automation-checklist", "marketing", map[string]any{
		"title": "Title of automation-checklist", "topic": "process-automation", "stage": "awareness", "personas": []string{"ops-lead"},
		"url": "https://example.com/automation-checklist",
		"email": map[string]any{"subject": "{{.Contact.FirstName}}, about automation-checklist",
			"html": `<p><a href="{{.Content.URL}}">read it</a>, <a href="https://example.com/b">b</a>, <a href="https://example.com/c">c</a></p>`},
	}, 200, nil)
	h.customer("hooli", "gavin@hooli.example", "en")
	h.json("POST", "/v1/journeys/"+linkJourney+"/enrollments", "marketing", map[string]any{"customer_ids": []string{"hooli"}}, 200, nil)
	hooli := mail("gavin@hooli.example")
	require.Len(t, hooli.tracked, 3)
	for _, l := range hooli.tracked {
		p := fetch(t, "GET", l, nil, map[string]string{"User-Agent": chromeAgent})
		require.Equal(t, http.StatusSeeOther, p.status, p.body)
	}
	require.Empty(t, h.storedEvents("hooli", "click"), "no click of a person is left")
	require.Equal(t, []string{"burst", "burst", "burst"}, reasons(h.linkFetches("hooli")))

	// The hidden link of an email whose content has no URL leads nowhere,
	// and is recorded all the same.
	tok, err := h.stack.Links.Sign(linktoken.Claims{Kind: linktoken.KindTrap, RunID: "ripen/" + linkJourney + "/hooli", ContactID: "hooli-max",
		Step: "case-study", Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	p := fetch(t, "GET", h.stack.APIURL+"/r/"+tok, nil, map[string]string{"User-Agent": chromeAgent})
	require.Equal(t, http.StatusNoContent, p.status, p.body)
	require.Empty(t, p.header.Get("Location"))
	fs := h.linkFetches("hooli")
	require.Equal(t, store.LinkFetch{Step: "case-study", Trap: true, Machine: true, Reason: "trap"},
		store.LinkFetch{Step: fs[len(fs)-1].Step, Trap: fs[len(fs)-1].Trap, Machine: fs[len(fs)-1].Machine, Reason: fs[len(fs)-1].Reason})
}

func reasons(fs []store.LinkFetch) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Reason
	}
	return out
}
