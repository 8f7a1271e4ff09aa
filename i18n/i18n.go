// Package i18n holds every text ripen shows people, in English and German:
// the emails to contacts (footer, fast-lane offers), the hand-off email to
// account owners, and the public pages behind the links in those emails
// (/r/, /f/, /u/). It also chooses the language, from a contact's locale or,
// when the contact is unknown, from the browser's Accept-Language header.
//
// It knows no HTTP, store or Temporal: callers hand it strings and get text
// back, so emails and pages say the same thing in the same words.
package i18n

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// Lang is a language ripen speaks, as its BCP 47 tag: it goes as it is into
// an HTML lang attribute.
type Lang string

// The languages ripen speaks. English is the default: whoever asks for a
// language ripen does not speak, or for none, gets English.
const (
	English Lang = "en"
	German  Lang = "de"
)

// langs and tags are the supported languages in the same order; the
// matcher answers with an index into both, and the first is its default.
var (
	langs   = []Lang{English, German}
	tags    = []language.Tag{language.English, language.German}
	matcher = language.NewMatcher(tags)
)

// ForLocale is the language for a contact's locale as the store keeps it:
// a BCP 47 tag ("de-AT"), a POSIX-style one ("de_CH", "de_DE.UTF-8"), or
// anything else a CRM exported. Regional variants and related languages
// take the language they belong to (de-AT, de-CH and gsw are German, en-GB
// is English); an empty, unknown or garbled locale gets English.
func ForLocale(locale string) Lang {
	locale = strings.TrimSpace(locale)
	// A POSIX codeset or modifier (".UTF-8", "@euro") is no part of a
	// BCP 47 tag; with it, Parse would give up on the whole locale.
	if i := strings.IndexAny(locale, ".@"); i >= 0 {
		locale = locale[:i]
	}
	// On a malformed tag Parse still returns what it could read ("de" of
	// "de-DE-xyzzy-"), which is all a language choice needs.
	tag, _ := language.Parse(locale)
	return match(tag)
}

// ForAcceptLanguage is the language for a browser's Accept-Language header
// ("fr-CH, fr;q=0.9, de;q=0.7"): the supported language the browser weighs
// highest, English when it names none of them.
func ForAcceptLanguage(header string) Lang {
	prefs, weights, err := language.ParseAcceptLanguage(header)
	if err != nil {
		// One malformed entry spoils the whole header for
		// ParseAcceptLanguage; the well-formed ones still say what the
		// reader wants.
		prefs, weights = nil, nil
		for entry := range strings.SplitSeq(header, ",") {
			t, q, err := language.ParseAcceptLanguage(entry)
			if err == nil {
				prefs, weights = append(prefs, t...), append(weights, q...)
			}
		}
		prefs = byWeight(prefs, weights)
	}
	return match(prefs...)
}

// byWeight orders tags by falling weight, keeping the header's order among
// equal weights, as ParseAcceptLanguage does.
func byWeight(ts []language.Tag, weights []float32) []language.Tag {
	idx := make([]int, len(ts))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(weights[b], weights[a]) })
	out := make([]language.Tag, len(ts))
	for i, j := range idx {
		out[i] = ts[j]
	}
	return out
}

func match(prefs ...language.Tag) Lang {
	_, i, conf := matcher.Match(prefs...)
	if conf == language.No {
		return English
	}
	return langs[i]
}

// UpperFirst capitalises the first letter, for a text that starts a
// sentence with a name or phrase written for the middle of one ("your
// account team").
func UpperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
