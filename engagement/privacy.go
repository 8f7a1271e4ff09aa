package engagement

import "github.com/ripen/ripen/sendgrid"

// withoutAddresses is err with every email address in its text blanked
// out: a store error about suppressing an address names it, and what this
// package logs or returns (which the API logs) must name no address. It
// still unwraps to err, so errors.Is and errors.As work as before.
func withoutAddresses(err error) error {
	if err == nil {
		return nil
	}
	text := sendgrid.RedactAddresses(err.Error())
	if text == err.Error() {
		return err
	}
	return scrubbed{err: err, text: text}
}

type scrubbed struct {
	err  error
	text string
}

func (e scrubbed) Error() string { return e.text }
func (e scrubbed) Unwrap() error { return e.err }
