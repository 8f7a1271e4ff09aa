package store

// ExplainsConstraint reports whether errors.go has a message for a constraint.
func ExplainsConstraint(name string) bool {
	_, ok := constraints[name]
	return ok
}
