package journey

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxProductIDLength bounds a product ID, as it bounds every ID a customer
// record holds.
const MaxProductIDLength = 200

// IsProductID reports whether s may name a product: 1 to MaxProductIDLength
// characters without '/' or whitespace, the rule of the IDs customers are
// stored with, so a journey can name only products an account may own.
func IsProductID(s string) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= MaxProductIDLength &&
		!strings.ContainsFunc(s, func(r rune) bool { return r == '/' || unicode.IsSpace(r) })
}

// Eligible says whether an account that owns the products owned may be
// offered o, and if not, why, in a short sentence naming the product
// ("owns automation-suite already", "does not own erp-core"):
//
//   - cross-sell: the account does not own the product;
//   - repeat: the account owns the product;
//   - upsell: the account owns every product in requires (an upsell without
//     requires is open to every account);
//
// and, whatever the kind, the account owns every product in requires. The
// kind's own rule is answered first: it is the one a marketer thinks of.
func Eligible(o Offer, owned []string) (ok bool, reason string) {
	owns := func(p string) bool { return slices.Contains(owned, p) }
	switch o.Kind {
	case OfferCrossSell:
		if owns(o.Product) {
			return false, "owns " + o.Product + " already"
		}
	case OfferRepeat:
		if !owns(o.Product) {
			return false, "does not own " + o.Product
		}
	}
	for _, p := range o.Requires {
		if !owns(p) {
			return false, "does not own " + p
		}
	}
	return true, ""
}
