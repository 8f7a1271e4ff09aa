package sites

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/fault"
)

func example() Site {
	return Site{
		ID:      "www",
		Origins: []string{"https://WWW.Example.com/", "http://127.0.0.1:8090"},
		Topics: []TopicRule{
			{Path: "/automation/reporting/*", Topic: "financial-reporting"},
			{Path: "/automation/*", Topic: "process-automation"},
			{Path: "/blog/*/erp-*", Topic: "erp"},
		},
		Downloads: []string{"*.pdf", "/files/*"},
	}
}

func TestASitesRulesSayWhatAPageIsAbout(t *testing.T) {
	s := example()
	require.NoError(t, s.Check())
	require.Equal(t, []string{"https://www.example.com", "http://127.0.0.1:8090"}, s.Origins, "origins are normalized")
	require.Equal(t, ConsentRequired, s.Consent, "consent is required unless the site says otherwise")

	for path, topic := range map[string]string{
		"/automation/":                     "process-automation",
		"/automation/checklist/steps":      "process-automation",
		"/automation/reporting/month-end":  "financial-reporting",
		"/blog/2026/erp-upgrade":           "erp",
		"/blog/2026/hello":                 "",
		"/automation":                      "",
		"/pricing":                         "",
		"/automation/reporting-is-not-sub": "process-automation",
	} {
		require.Equal(t, topic, s.TopicOf(path), path)
	}
	require.True(t, s.IsDownload("/media/automation-checklist.pdf"))
	require.True(t, s.IsDownload("/files/whitepaper.docx"))
	require.False(t, s.IsDownload("/automation/checklist"))
	require.True(t, s.AllowsOrigin("https://www.example.com"))
	require.True(t, s.AllowsOrigin("http://127.0.0.1:8090"))
	require.False(t, s.AllowsOrigin("https://evil.example"))
	require.False(t, s.AllowsOrigin("null"))
}

func TestEveryProblemOfASiteIsNamedByField(t *testing.T) {
	s := Site{
		ID:        "has space",
		Origins:   []string{"ftp://files.example.com", "https://www.example.com/shop", "https://www.example.com", "https://WWW.example.com"},
		Topics:    []TopicRule{{Path: "automation/*", Topic: "x"}, {Path: "/a", Topic: ""}},
		Downloads: []string{"[.pdf"},
		Consent:   "maybe",
	}
	err := s.Check()
	fe, ok := fault.As(err)
	require.True(t, ok, "%v", err)
	var fields []string
	for _, f := range fe.Fields {
		fields = append(fields, f.Field)
	}
	require.Equal(t, []string{"id", "origins[0]", "origins[1]", "origins[3]", "topics[0].path", "topics[1].topic", "downloads[0]", "consent"}, fields)
}
