package journey

import "fmt"

// Limits of a journey definition. Journeys arrive over the API from any
// marketing key and are read, validated, simulated and evaluated inside the
// API and the workflows, so what one may hold is bounded: far above what a
// nurture journey needs, far below what would cost a request more than a few
// milliseconds. Parse reports a definition over a limit as a Problem at its
// line, before reading further; Validate checks the limits of a Definition
// decoded elsewhere (JSON in a simulate request) the same way.
const (
	// MaxSourceBytes bounds the YAML or JSON text of a journey.
	MaxSourceBytes = 256 << 10
	// MaxSteps bounds the steps of a journey.
	MaxSteps = 200
	// MaxListItems bounds every other list (until, detector.topics,
	// mqn.fast_lane, send_window.days) and the entries of scoring.points.
	MaxListItems = 50
	// MaxDepth bounds how deep mappings and lists nest; a journey needs 4
	// (the journey, steps, a step, its until list).
	MaxDepth = 8
	// MaxConditionLength bounds an `if` condition, in bytes.
	MaxConditionLength = 500
)

// tooMany says that a list holds more than it may.
func tooMany(got, limit int, what string) string {
	return fmt.Sprintf("at most %d %s, got %d", limit, what, got)
}
