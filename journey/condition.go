package journey

// ConditionEnv is what an `if` condition can see of a run. The workflow fills
// it from its state; the functions must be pure.
type ConditionEnv struct {
	Score             float64
	DaysInJourney     int
	Cycle             int
	FastLaneRequested bool
	// Clicked and Opened report whether the email of the named step was
	// clicked or opened in the current cycle.
	Clicked func(step string) bool
	Opened  func(step string) bool
	// Visits counts visits on a topic in the current cycle.
	Visits func(topic string) int
}
