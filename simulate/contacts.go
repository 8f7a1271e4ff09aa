package simulate

import (
	"fmt"
	"slices"

	"golang.org/x/text/language"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/store"
)

// Contact is one person of the simulated account: the sends go to each of
// them in the journey's audience, with the content variant for their
// persona and locale, and scripted events may name which of them acted.
type Contact struct {
	ID       string `json:"id" yaml:"id"`
	Persona  string `json:"persona,omitempty" yaml:"persona,omitempty"`
	Locale   string `json:"locale,omitempty" yaml:"locale,omitempty"`
	Timezone string `json:"timezone,omitempty" yaml:"timezone,omitempty"`
}

// DefaultContact is the one contact of a simulation that lists none.
const DefaultContact = "c1"

// MaxContacts bounds a simulated buying group: every send is recorded once
// per contact.
const MaxContacts = 50

// orDefault is contacts, or the one default contact when there are none.
func orDefault(contacts []Contact) []Contact {
	if len(contacts) == 0 {
		return []Contact{{ID: DefaultContact}}
	}
	return contacts
}

// ParseContacts reads a YAML (or JSON) list of contacts and checks every
// one of them. On mistakes it returns a journey.Problems error listing each
// with its line and field ("contacts[1].timezone").
func ParseContacts(data []byte) ([]Contact, error) {
	var cs []Contact
	lines, form := journey.DecodeYAML(data, "contacts", &cs)
	probs := append(form, withoutReported(checkContacts(cs, lines), form)...)
	if len(probs) > 0 {
		return nil, sortByLine(probs)
	}
	return cs, nil
}

// CheckContacts checks simulated contacts and returns every problem (nil
// when there are none): each needs a unique id, a locale that is a BCP 47
// tag and a time zone that is an IANA name.
func CheckContacts(cs []Contact) journey.Problems {
	return checkContacts(cs, nil)
}

func checkContacts(cs []Contact, lines journey.Lines) journey.Problems {
	var probs journey.Problems
	if len(cs) > MaxContacts {
		return journey.Problems{{Line: lines.Line("contacts"), Field: "contacts",
			Message: fmt.Sprintf("at most %d contacts per simulation, got %d", MaxContacts, len(cs))}}
	}
	for i, c := range cs {
		problem := func(field, format string, args ...any) {
			f := fmt.Sprintf("contacts[%d].%s", i, field)
			probs = append(probs, journey.Problem{Line: lines.Line(f), Field: f, Message: fmt.Sprintf(format, args...)})
		}
		switch {
		case c.ID == "":
			problem("id", "id is required: the name events use in their contact field")
		case slices.ContainsFunc(cs[:i], func(o Contact) bool { return o.ID == c.ID }):
			problem("id", "contact %q is listed twice", c.ID)
		}
		if c.Locale != "" {
			if _, err := language.Parse(c.Locale); err != nil {
				problem("locale", "%q is not a locale: want a BCP 47 tag such as de or en-GB", c.Locale)
			}
		}
		if _, err := LoadTimezone(c.Timezone); err != nil {
			problem("timezone", "%v", err)
		}
	}
	return probs
}

// contactIDs lists the ids of contacts, in order.
func contactIDs(cs []Contact) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// variantFor names the email a contact gets of content id: the content's
// variant by store.Content.EmailFor's rule when the simulation has the
// content, else store.VariantBase.
func variantFor(lib map[string]store.Content, id string, c Contact) string {
	content, ok := lib[id]
	if !ok {
		return store.VariantBase
	}
	_, label := content.EmailFor(c.Persona, c.Locale)
	return label
}
