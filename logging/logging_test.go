package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConsoleLinesHaveNoColourCodesOffATerminal(t *testing.T) {
	var buf bytes.Buffer
	l := NewTo(&buf, "console", "info")
	l.Info().Str("k", "v").Msg("hello")
	require.Contains(t, buf.String(), "hello")
	require.NotContains(t, buf.String(), "\x1b[", "a buffer is no terminal")

	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	require.NoError(t, err)
	defer f.Close()
	fl := NewTo(f, "console", "info")
	fl.Warn().Msg("to a file")
	b, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	require.Contains(t, string(b), "to a file")
	require.NotContains(t, string(b), "\x1b[", "a file is no terminal")
}

func TestJSONAndLevels(t *testing.T) {
	var buf bytes.Buffer
	l := NewTo(&buf, "json", "warn")
	l.Info().Msg("dropped")
	l.Warn().Msg("kept")
	require.Equal(t, 1, strings.Count(buf.String(), "\n"))
	require.Contains(t, buf.String(), `"message":"kept"`)
}
