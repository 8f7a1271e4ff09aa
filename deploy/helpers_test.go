package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// root is the repository root, seen from this package's directory.
const root = ".."

func readFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	require.NoError(t, err)
	return string(b)
}

// ripenSubcommands are the commands of the production binary (cmd/ripen).
var ripenSubcommands = map[string]bool{
	"worker": true, "api": true, "migrate": true, "journeys": true, "apikeys": true, "sendgrid-dev": true,
	"healthcheck": true,
}

// secretEnv are the variables that hold secrets: never a literal value in a
// manifest, always a secretKeyRef.
var secretEnv = map[string]bool{
	"DATABASE_URL": true, "RIPEN_LINK_KEYS": true, "RIPEN_CODEC_KEYS": true, "TEMPORAL_API_KEY": true,
	"SENDGRID_API_KEY": true, "SENDGRID_WEBHOOK_VERIFICATION_KEY": true, "TEMPORAL_TLS_CLIENT_KEY_DATA": true,
}

// notRipenEnv are variables read by the Go runtime, not by ripen.
var notRipenEnv = map[string]bool{"GOMEMLIMIT": true, "GOMAXPROCS": true, "GOGC": true}

var envNameRE = regexp.MustCompile("`((?:RIPEN|TEMPORAL|SENDGRID)_[A-Z0-9_]+|DATABASE_URL)`")

// documentedEnv lists the variables README.md and docs/operations.md name
// in backticks: every variable a deployment file sets must be one of them,
// so a typo or an undocumented knob fails here.
func documentedEnv(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, doc := range []string{"README.md", "docs/operations.md"} {
		for _, m := range envNameRE.FindAllStringSubmatch(readFile(t, doc), -1) {
			names[m[1]] = true
		}
	}
	require.NotEmpty(t, names)
	return names
}

func requireDocumented(t *testing.T, where string, names []string) {
	t.Helper()
	doc := documentedEnv(t)
	var undocumented []string
	for _, n := range names {
		if !doc[n] && !notRipenEnv[n] {
			undocumented = append(undocumented, n)
		}
	}
	sort.Strings(undocumented)
	require.Empty(t, undocumented, "%s sets variables that neither README.md nor docs/operations.md documents", where)
}
