package i18n

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestContactLocalesChooseTheLanguage(t *testing.T) {
	for _, c := range []struct {
		locale string
		want   Lang
	}{
		{"de", German},
		{"DE", German},
		{"de-DE", German},
		{"de-AT", German},
		{"de_CH", German},
		{"de_DE.UTF-8", German},
		{"de_DE@euro", German},
		{" de ", German},
		{"gsw", German}, // Swiss German reads German
		{"en", English},
		{"en-GB", English},
		{"en_US.UTF-8", English},
		{"", English},
		{"garbage", English},
		{"dexyz", English}, // no longer German just for its first two letters
		{"fr", English},
		{"nl-NL", English},
		{"C", English},
	} {
		if got := ForLocale(c.locale); got != c.want {
			t.Errorf("ForLocale(%q) = %s, want %s", c.locale, got, c.want)
		}
	}
}

func TestAcceptLanguageWeighsTheBrowsersChoices(t *testing.T) {
	for _, c := range []struct {
		name, header string
		want         Lang
	}{
		{"nothing said", "", English},
		{"German first", "de-DE,de;q=0.9,en;q=0.8", German},
		{"Austrian German", "de-AT", German},
		{"a weight outranks the order", "en;q=0.1, de", German},
		{"the first supported language wins", "fr-CH, fr;q=0.9, de;q=0.7, *;q=0.5", German},
		{"English before German", "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7", English},
		{"q=0 refuses a language", "de;q=0, en", English},
		{"only unsupported languages", "fr, nl;q=0.5", English},
		{"any language", "*", English},
		{"a malformed entry spoils not the rest", "de, ???", German},
		{"a malformed entry keeps the weights", "en;q=0.2, ???, de;q=0.5", German},
		{"garbage", ";;;", English},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ForAcceptLanguage(c.header); got != c.want {
				t.Errorf("ForAcceptLanguage(%q) = %s, want %s", c.header, got, c.want)
			}
		})
	}
}

// verbRE finds fmt verbs, with flags, width, precision and argument index;
// %% is no verb.
var verbRE = regexp.MustCompile(`%(?:\[\d+\])?[-+# 0]*\d*(?:\.\d*)?[a-zA-Z%]`)

// verbs lists a text's verbs in order, without argument indexes.
func verbs(s string) []string {
	var out []string
	for _, v := range verbRE.FindAllString(s, -1) {
		if v == "%%" {
			continue
		}
		out = append(out, argIndexRE.ReplaceAllString(v, ""))
	}
	return out
}

var argIndexRE = regexp.MustCompile(`\[\d+\]`)

// sortedVerbs are a text's verbs in any order: a translation may take its
// arguments in another order, with explicit indexes (%[2]s).
func sortedVerbs(s string) []string {
	vs := verbs(s)
	slices.Sort(vs)
	return vs
}

// A text missing in one language would fall back to English without a
// word, and a text with other verbs would print %!d(MISSING) to a customer.
func TestCataloguesMatch(t *testing.T) {
	for _, l := range langs {
		if len(catalogue[l]) == 0 {
			t.Fatalf("no catalogue for %s", l)
		}
	}
	for _, l := range langs {
		for key, text := range catalogue[l] {
			if strings.TrimSpace(text) == "" {
				t.Errorf("%s %q is empty", l, key)
			}
			for _, other := range langs {
				otherText, ok := catalogue[other][key]
				if !ok {
					t.Errorf("%q is in the %s catalogue but not in the %s one", key, l, other)
					continue
				}
				if a, b := sortedVerbs(text), sortedVerbs(otherText); !slices.Equal(a, b) {
					t.Errorf("%q: %s has verbs %v, %s has %v", key, l, a, other, b)
				}
			}
		}
	}
	for key, text := range catalogue[English] {
		args := sampleArgs(verbs(text))
		for _, l := range langs {
			if got := T(l, key, args...); strings.Contains(got, "%!") {
				t.Errorf("%s %q with %v: %s", l, key, args, got)
			}
		}
	}
}

// sampleArgs is one argument of the right kind per verb.
func sampleArgs(vs []string) []any {
	var args []any
	for _, v := range vs {
		switch v[len(v)-1] {
		case 'd':
			args = append(args, 7)
		case 'g', 'f', 'e':
			args = append(args, 1.5)
		default:
			args = append(args, "x")
		}
	}
	return args
}

func TestTextsFallBackToEnglishAndShowUnknownKeys(t *testing.T) {
	if got := T(German, "thanks.body", "Eva Berger", "Demo vereinbaren"); got != "Eva Berger hat Ihre Anfrage (Demo vereinbaren) erhalten und meldet sich in Kürze bei Ihnen." {
		t.Errorf("German with args: %q", got)
	}
	if got := T(Lang("fr"), "unsubscribe.title"); got != "Unsubscribe" {
		t.Errorf("an unsupported language gets English: %q", got)
	}
	if got := T(English, "no.such.key", 1); got != "no.such.key" {
		t.Errorf("an unknown key shows itself: %q", got)
	}
	if got := T(English, "fastlane.note.hint", 2000); got != "For example a good time to call. Up to 2000 characters." {
		t.Errorf("%q", got)
	}
}

func TestOfferLabels(t *testing.T) {
	for _, c := range []struct {
		offer   string
		lang    Lang
		want    string
		comment string
	}{
		{"demo", English, "Book a demo", ""},
		{"demo", German, "Demo vereinbaren", ""},
		{"price-indication", German, "Preisindikation anfragen", ""},
		{"implementation-note", English, "Get an implementation note", ""},
		{"webinar", German, "webinar", "an offer without a label is named as it is"},
		{"", English, "", ""},
	} {
		if got := OfferLabel(c.offer, c.lang); got != c.want {
			t.Errorf("OfferLabel(%q, %s) = %q, want %q %s", c.offer, c.lang, got, c.want, c.comment)
		}
	}
}

func TestUpperFirst(t *testing.T) {
	for in, want := range map[string]string{"": "", "your account team": "Your account team", "ihr Team": "Ihr Team", "über": "Über", "Eva": "Eva"} {
		if got := UpperFirst(in); got != want {
			t.Errorf("UpperFirst(%q) = %q, want %q", in, got, want)
		}
	}
}

func ExampleForAcceptLanguage() {
	l := ForAcceptLanguage("fr-CH, fr;q=0.9, de;q=0.7")
	fmt.Println(l, T(l, "notfound.title"))
	// Output: de Dieser Link ist ungültig
}
