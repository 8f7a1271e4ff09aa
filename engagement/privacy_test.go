package engagement

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ripen/ripen/store"
)

// The store names the address it could not suppress; what this package
// logs or returns names none, and still tells the kind of error.
func TestErrorsAboutAnAddressNameNone(t *testing.T) {
	refused := &store.Error{Kind: store.ErrInvalid, Record: "address", ID: "max@acme.example", Field: "email", Msg: "must be an email address"}
	err := withoutAddresses(fmt.Errorf("suppress: %w", refused))
	assert.Equal(t, `suppress: address "[address]": invalid email: must be an email address`, err.Error())
	assert.ErrorIs(t, err, store.ErrInvalid)
	var se *store.Error
	assert.True(t, errors.As(err, &se))

	plain := errors.New("connection refused")
	assert.Same(t, plain, withoutAddresses(plain))
	assert.NoError(t, withoutAddresses(nil))
}
