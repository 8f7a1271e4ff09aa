package journey

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// audience checks the shape of audience and sender. Whether each persona
// exists is the store's to say: ValidateOptions.Persona, when set.
func (c *checker) audience() {
	if a := c.d.Audience; a != nil {
		if len(a.Personas) == 0 {
			c.problem("audience.personas", "at least one persona is required (leave audience out to mail every contact)")
		}
		seen := map[string]bool{}
		for i, p := range a.Personas {
			field := indexField("audience.personas", i)
			switch {
			case !isRecordID(p):
				c.problem(field, "%q is not a persona id: 1 to 200 characters without '/' or whitespace", p)
			case seen[p]:
				c.problem(field, "%q is listed twice", p)
			case c.opt.Persona != nil && !c.opt.Persona(p):
				c.problem(field, "unknown persona %q", p)
			}
			seen[p] = true
		}
	}
	if s := c.d.Sender; s != "" && !slices.Contains(Senders, s) {
		c.problem("sender", "unknown sender %q: want %s", s, orList(Senders))
	}
}

// isRecordID is the store's rule for the IDs of personas, products and
// content: 1 to 200 characters without '/' or whitespace.
func isRecordID(s string) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= 200 && !strings.ContainsFunc(s, func(r rune) bool { return r == '/' || unicode.IsSpace(r) })
}

// AudiencePersonas returns the persona ids a journey source's audience
// names, read loosely as SentContent reads content ids, so that a caller
// can look them up at once and pass ValidateOptions.Persona to ParseWith.
func AudiencePersonas(data []byte) []string {
	root := looseRoot(data)
	if root == nil {
		return nil
	}
	var ids []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		aud := root.Content[i+1]
		if root.Content[i].Value != "audience" || aud.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(aud.Content); j += 2 {
			list := aud.Content[j+1]
			if aud.Content[j].Value != "personas" || list.Kind != yaml.SequenceNode || len(list.Content) > MaxListItems {
				continue
			}
			for _, p := range list.Content {
				if p.Kind == yaml.ScalarNode && p.Value != "" {
					ids = append(ids, p.Value)
				}
			}
		}
	}
	return ids
}
