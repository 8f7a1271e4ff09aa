package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ripen/ripen/store"
)

// HandoffContact is the person a hand-off names: who asked, or who engaged
// most, and how to reach them.
type HandoffContact struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"`
}

// HandoffView is a hand-off as sales sees it: the record, the person it
// names and its journey by name. Customer is the account's name.
type HandoffView struct {
	store.Handoff
	Contact     *HandoffContact
	JourneyName string
	Customer    string
}

// MarshalJSON writes the hand-off's own fields and adds contact (null when
// unknown) and journey_name (null for a hand-off without a run): the
// embedded record's MarshalJSON would otherwise drop them.
func (v HandoffView) MarshalJSON() ([]byte, error) {
	base, err := json.Marshal(v.Handoff)
	if err != nil {
		return nil, err
	}
	var journeyName *string
	if v.JourneyName != "" {
		journeyName = &v.JourneyName
	}
	extra, err := json.Marshal(struct {
		Contact     *HandoffContact `json:"contact"`
		JourneyName *string         `json:"journey_name"`
	}{v.Contact, journeyName})
	if err != nil {
		return nil, err
	}
	// Both are objects: join {…base} and {…extra} into one.
	out := append(base[:len(base)-1:len(base)-1], ',')
	return append(out, extra[1:]...), nil
}

// DescribeHandoffs adds to each hand-off its contact, its journey's name
// and its customer's name, reading each customer and journey once.
func (s *Service) DescribeHandoffs(ctx context.Context, hs []store.Handoff) ([]HandoffView, error) {
	customers := map[string]store.Customer{}
	journeyNames := map[string]string{}
	out := make([]HandoffView, len(hs))
	for i, h := range hs {
		v := HandoffView{Handoff: h}
		c, ok := customers[h.CustomerID]
		if !ok {
			var err error
			c, err = s.store.GetCustomer(ctx, h.CustomerID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("describe hand-off %s: %w", h.ID, err)
			}
			customers[h.CustomerID] = c
		}
		v.Customer = c.Name
		for _, ct := range c.Contacts {
			if ct.ID == h.ContactID && ct.ID != "" {
				v.Contact = &HandoffContact{ID: ct.ID, Name: ct.Name(), Email: ct.Email, Phone: ct.Phone}
			}
		}
		if h.JourneyID != "" {
			name, ok := journeyNames[h.JourneyID]
			if !ok {
				jv, err := s.store.GetJourney(ctx, h.JourneyID, 0)
				switch {
				case err == nil:
					name = jv.Name
				case !errors.Is(err, store.ErrNotFound):
					return nil, fmt.Errorf("describe hand-off %s: %w", h.ID, err)
				}
				if name == "" {
					name = h.JourneyID
				}
				journeyNames[h.JourneyID] = name
			}
			v.JourneyName = name
		}
		out[i] = v
	}
	return out, nil
}

// DescribeHandoff is DescribeHandoffs for one.
func (s *Service) DescribeHandoff(ctx context.Context, h store.Handoff) (HandoffView, error) {
	vs, err := s.DescribeHandoffs(ctx, []store.Handoff{h})
	if err != nil {
		return HandoffView{}, err
	}
	return vs[0], nil
}
