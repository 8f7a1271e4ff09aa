package devstack_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/internal/demo"
	"github.com/ripen/ripen/internal/devstack"
	"github.com/ripen/ripen/internal/freeport"
	"github.com/ripen/ripen/store/storetest"
)

// startDemo starts the stack as ripen-dev does: the website on a port of
// its own, the demo seeded with the website's origin. It returns an admin
// key.
func startDemo(t *testing.T, ctx context.Context) (*devstack.Stack, string) {
	t.Helper()
	port, err := freeport.Take("127.0.0.1")
	require.NoError(t, err)
	st, err := devstack.Start(ctx, devstack.Options{DatabaseURL: storetest.NewDatabase(t), UIPort: -1, WebsitePort: port, Log: zerolog.Nop()})
	require.NoError(t, err)
	t.Cleanup(st.Stop)
	require.Equal(t, "http://127.0.0.1:"+strconv.Itoa(port), st.WebsiteURL)
	require.NoError(t, demo.Seed(ctx, st.Store, st.WebsiteURL))
	key, _, err := st.Store.CreateAPIKey(ctx, "admin", "website test")
	require.NoError(t, err)
	return st, key
}

// noRedirects is a client that shows a redirect instead of following it.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func fetch(t *testing.T, method, url, key string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := noRedirects.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// checklistLink is the link of Max's (German) checklist email.
var checklistLink = regexp.MustCompile(`href="([^"]*/r/[^"]+)"[^>]*>Zur Checkliste</a>`)

// The stack serves the demo company's website with ripen's script from
// its own API, the seed registers it, and a link in a demo email leads a
// reader there with their signed identity.
func TestTheDemoWebsiteIsServedRegisteredAndLinkedFromTheEmails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st, key := startDemo(t, ctx)

	resp, page := fetch(t, "GET", st.WebsiteURL+"/automation/checklist", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, `<script async src="`+st.APIURL+`/t.js" data-site="demo-website"></script>`)
	resp, script := fetch(t, "GET", st.APIURL+"/t.js", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, script, "data-site")
	resp, _ = fetch(t, "GET", st.WebsiteURL+"/automation/automation-suite-datasheet.pdf", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
	resp, page = fetch(t, "GET", st.WebsiteURL+"/demo", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, `data-ripen-fast-lane="demo"`)

	// Registered, as PUT /v1/sites/demo-website would.
	resp, body := fetch(t, "GET", st.APIURL+"/v1/sites/demo-website", key, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var site struct {
		Origins   []string                       `json:"origins"`
		Topics    []struct{ Path, Topic string } `json:"topics"`
		Downloads []string                       `json:"downloads"`
		Consent   string                         `json:"consent"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &site))
	require.Equal(t, []string{st.WebsiteURL}, site.Origins)
	require.Contains(t, site.Topics, struct{ Path, Topic string }{"/automation/*", "process-automation"})
	require.Equal(t, []string{"*.pdf"}, site.Downloads)
	require.Equal(t, "required", site.Consent)
	resp, body = fetch(t, "GET", st.APIURL+"/t/site/demo-website", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"consent": "required"}`, body, "what the script asks before it sends")

	// The content links to the site.
	resp, body = fetch(t, "GET", st.APIURL+"/v1/content/automation-checklist", key, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var content struct{ URL string }
	require.NoError(t, json.Unmarshal([]byte(body), &content))
	require.Equal(t, st.WebsiteURL+"/automation/checklist", content.URL)

	// Acme's first email: its link leads to that page, with an rpn that
	// names the reader.
	resp, body = fetch(t, "POST", st.APIURL+"/v1/journeys/erp-automation-crosssell/enrollments", key, strings.NewReader(`{"customer_ids": ["acme"]}`))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var link string
	require.Eventually(t, func() bool {
		for _, m := range st.SendGrid.Messages() {
			if len(m.To) == 1 && m.To[0] == "max@acme.example" {
				if l := checklistLink.FindStringSubmatch(m.HTML); l != nil {
					link = strings.ReplaceAll(l[1], "&amp;", "&")
					return true
				}
			}
		}
		return false
	}, time.Minute, 100*time.Millisecond, "Max's checklist email")
	require.True(t, strings.HasPrefix(link, st.APIURL+"/r/"), link)
	resp, _ = fetch(t, "GET", link, "", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	to, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, st.WebsiteURL+"/automation/checklist", to.Scheme+"://"+to.Host+to.Path)
	require.NotEmpty(t, to.Query().Get("rpn"), "the click carries the reader's signed identity to the site")
}

// -1 serves no website.
func TestNoWebsite(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := devstack.Start(ctx, devstack.Options{DatabaseURL: storetest.NewDatabase(t), UIPort: -1, WebsitePort: -1, NoWorker: true, Log: zerolog.Nop()})
	require.NoError(t, err)
	defer st.Stop()
	require.Empty(t, st.WebsiteURL)
}
