package store

// ExplainsConstraint reports whether errors.go has a message for a constraint.
func ExplainsConstraint(name string) bool {
	_, ok := constraints[name]
	return ok
}

// ListHandoffsQuery is the query ListHandoffs runs for f, and its arguments.
func ListHandoffsQuery(f HandoffFilter) (string, []any, error) {
	return listHandoffsQuery(f)
}
