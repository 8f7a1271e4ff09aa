package bench

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ripen/ripen/sendgrid/sendgriddev"
	"github.com/ripen/ripen/store"
)

// fastLane has the last FastLanes nurture customers ask for a demo, one
// after the other, the way a contact does: follow "Book a demo" in the
// welcome email, see the page, confirm. It measures the time from the POST
// to the hand-off row in Postgres and to the owner's email accepted by the
// local SendGrid server.
func (b *bench) fastLane(ctx context.Context) error {
	fl := &b.rep.FastLane
	who := b.nurture[len(b.nurture)-b.cfg.FastLanes:]
	b.progress("fast lane: %d demo requests through /f/ pages, one at a time", len(who))

	welcome := map[string]sendgriddev.Message{}
	for _, m := range b.st.SendGrid.Messages() {
		if len(m.To) == 1 {
			welcome[m.To[0]] = m
		}
	}
	var post, toHandoff, toEmail samples
	for _, cust := range who {
		fl.Requests++
		m, ok := welcome[contactEmail(cust)]
		if !ok {
			return fmt.Errorf("no welcome email to %s in the inbox", contactEmail(cust))
		}
		link, ok := linkByText(m.HTML, "Book a demo")
		if !ok || !strings.Contains(link, "/f/") {
			return fmt.Errorf("no fast-lane link in the email to %s", contactEmail(cust))
		}
		form, err := b.api.openForm(ctx, link)
		if err != nil {
			return err
		}
		start := time.Now()
		if err := b.api.submit(ctx, form, url.Values{"note": {"Please call me this week"}}); err != nil {
			fl.Errors++
			return err
		}
		post.add(time.Since(start))

		h, err := b.waitHandoff(ctx, cust, start)
		if err != nil {
			return err
		}
		fl.Handoffs++
		toHandoff.add(h.seen.Sub(start))
		at, err := b.waitOwnerEmail(ctx, h, start)
		if err != nil {
			return err
		}
		fl.OwnerEmails++
		toEmail.add(at.Sub(start))
	}
	fl.Post, fl.ToHandoff, fl.ToEmail = post.latency(), toHandoff.latency(), toEmail.latency()
	b.progress("fast lane: hand-off p50 %.0f ms p99 %.0f ms, owner's email p50 %.0f ms p99 %.0f ms",
		fl.ToHandoff.P50Ms, fl.ToHandoff.P99Ms, fl.ToEmail.P50Ms, fl.ToEmail.P99Ms)
	return nil
}

type seenHandoff struct {
	store.Handoff
	seen time.Time
}

const pollEvery = 2 * time.Millisecond

// waitHandoff polls Postgres for the customer's hand-off row.
func (b *bench) waitHandoff(ctx context.Context, customerID string, start time.Time) (seenHandoff, error) {
	for {
		hs, err := b.st.Store.ListHandoffs(ctx, store.HandoffFilter{CustomerID: customerID, JourneyID: nurtureJourney, Limit: 1})
		if err != nil {
			return seenHandoff{}, err
		}
		if len(hs) == 1 {
			return seenHandoff{Handoff: hs[0], seen: time.Now()}, nil
		}
		if time.Since(start) > time.Minute {
			return seenHandoff{}, fmt.Errorf("no hand-off for %s a minute after the fast-lane request", customerID)
		}
		if err := sleepCtx(ctx, pollEvery); err != nil {
			return seenHandoff{}, err
		}
	}
}

// waitOwnerEmail waits until the outbox says the owner's email went out,
// then takes the moment the local SendGrid server accepted it from its
// inbox.
func (b *bench) waitOwnerEmail(ctx context.Context, h seenHandoff, start time.Time) (time.Time, error) {
	for {
		var sentAt time.Time
		err := b.st.Store.Pool().QueryRow(ctx, `
			SELECT sent_at FROM outbox WHERE handoff_id = $1 AND kind = 'handoff' AND sent_at IS NOT NULL LIMIT 1`, h.ID).Scan(&sentAt)
		switch {
		case err == nil:
			for _, m := range b.st.SendGrid.Messages() {
				if len(m.To) == 1 && m.To[0] == ownerEmail(h.OwnerID) && m.CustomArgs["ripen_handoff"] == h.ID {
					return m.ReceivedAt, nil
				}
			}
			return time.Time{}, fmt.Errorf("hand-off %s: the outbox says sent, the inbox has no email to %s", h.ID, ownerEmail(h.OwnerID))
		case !errors.Is(err, pgx.ErrNoRows):
			return time.Time{}, err
		}
		if time.Since(start) > time.Minute {
			return time.Time{}, fmt.Errorf("no email to the owner of hand-off %s a minute after the fast-lane request", h.ID)
		}
		if err := sleepCtx(ctx, pollEvery); err != nil {
			return time.Time{}, err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
