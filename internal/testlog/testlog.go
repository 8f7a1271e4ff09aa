// Package testlog gives tests a zerolog logger that writes through t.Log
// and falls silent once the test is over: the embedded Temporal server's
// goroutines may log after a test's cleanups, which t.Log turns into a
// panic.
package testlog

import (
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

type writer struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// New returns a logger at level that logs into t until t ends.
func New(t testing.TB, level zerolog.Level) zerolog.Logger {
	w := &writer{t: t}
	// Registered first, so it runs after every later cleanup.
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return zerolog.New(w).Level(level)
}
