package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
)

// journeyVersion reads the definition of the version a run follows, for
// what the workflow does not pass on to the send: its audience and sender.
// Published versions never change, so what a retry reads is what the first
// attempt read.
func (a *Activities) journeyVersion(ctx context.Context, id string, version int) (*journey.Definition, error) {
	if version <= 0 {
		// 0 would mean the newest version, which may not be the run's.
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("journey %s: the send names no version", id), "UnknownJourney", nil)
	}
	jv, err := a.Store.GetJourney(ctx, id, version)
	if errors.Is(err, store.ErrNotFound) {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("journey %s version %d does not exist", id, version), "UnknownJourney", err)
	}
	if err != nil {
		return nil, fmt.Errorf("load journey %s version %d: %w", id, version, err)
	}
	var def journey.Definition
	if err := json.Unmarshal(jv.Definition, &def); err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("journey %s version %d: unreadable definition", id, version), "InvalidJourney", err)
	}
	return &def, nil
}

// fromFor is the From and Reply-To of a content email. The address is
// always the configured sender, the one SPF and DKIM vouch for; in the
// owner's name (the default) the display name is "Eva Berger via ACME"
// (the configured name after "via", so the recipient sees both who wrote
// and from which company) and Reply-To is the owner, so that a reply
// reaches the rep and not a no-reply box. deliver makes the names
// header-safe.
func (a *Activities) fromFor(def *journey.Definition, owner store.Owner) (sendgrid.Address, *sendgrid.Address) {
	return SenderAddresses(a.Config.From, def.SendsAs(), owner.Name, owner.Email)
}

// SenderAddresses is fromFor for a journey's sender setting (sendsAs), the
// configured sender and the account owner's name and address: what a
// send uses, and what the console's preview shows.
func SenderAddresses(from sendgrid.Address, sendsAs, ownerName, ownerEmail string) (sendgrid.Address, *sendgrid.Address) {
	if sendsAs != journey.SenderOwner || ownerEmail == "" {
		return from, nil
	}
	if ownerName != "" {
		if from.Name != "" {
			from.Name = ownerName + " via " + from.Name
		} else {
			from.Name = ownerName
		}
	}
	return from, &sendgrid.Address{Email: ownerEmail, Name: ownerName}
}
