package store

import "strings"

// MaxPhoneLength bounds a contact's phone number, in characters.
const MaxPhoneLength = 40

const phoneRule = "must be at most 40 characters of digits, spaces and + - ( ) /"

// ValidPhone reports whether v may be a contact's phone number: empty, or
// digits with the separators people write ("+49 (0)30 1234-56", "030/123").
// The check is loose on purpose: numbers are read by reps, not dialled by
// ripen, and the world's formats vary too much for more.
func ValidPhone(v string) bool {
	if len(v) > MaxPhoneLength {
		return false
	}
	return !strings.ContainsFunc(v, func(r rune) bool {
		return !(r >= '0' && r <= '9' || strings.ContainsRune(" +-()/", r))
	})
}
