package journey

import (
	"fmt"
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

// catalogued reports whether product is in the catalogue, as far as
// ValidateOptions.Product knows: without it, every product is.
func (c *checker) catalogued(product string) bool {
	return c.opt.Product == nil || c.opt.Product(product)
}

// UnknownProduct says what is wrong with a product ID the catalogue lacks
// and where it is put right: the catalogue, not the record that named it.
func UnknownProduct(id string) string {
	return fmt.Sprintf("unknown product %q: add it to the catalogue first (PUT /v1/products/%s)", id, id)
}

// NamedProducts returns the product IDs a journey source names (offer.product,
// offer.requires, goal.product), read loosely as SentContent reads content
// IDs, so that a caller can look them up at once and pass
// ValidateOptions.Product to ParseWith.
func NamedProducts(data []byte) []string {
	root := looseRoot(data)
	if root == nil {
		return nil
	}
	var ids []string
	scalar := func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && n.Value != "" {
			ids = append(ids, n.Value)
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, m := root.Content[i].Value, root.Content[i+1]
		if (key != "offer" && key != "goal") || m.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(m.Content); j += 2 {
			switch k, v := m.Content[j].Value, m.Content[j+1]; {
			case k == "product":
				scalar(v)
			case k == "requires" && key == "offer" && v.Kind == yaml.SequenceNode && len(v.Content) <= MaxListItems:
				for _, p := range v.Content {
					scalar(p)
				}
			}
		}
	}
	return ids
}
