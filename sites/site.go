// Package sites is the water hole's registry: the websites (company site,
// blog, shop, portals) that send ripen their page views, which origins
// their pages come from, which paths are about which topic, which are
// downloads, and whether visitors must consent first. A page view is only
// engagement once a site's rules say what it was about.
package sites

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ripen/ripen/fault"
)

// Consent modes: with ConsentRequired the script sends nothing until the
// page calls ripen('consent', true); with ConsentImplied it sends at once
// (a site whose visitors agreed elsewhere). Both honour Global Privacy
// Control.
const (
	ConsentRequired = "required"
	ConsentImplied  = "implied"
)

// Bounds of a site, so a rule list stays something a person maintains.
const (
	MaxOrigins   = 20
	MaxTopics    = 200
	MaxDownloads = 50
	maxPattern   = 500
	maxID        = 200
)

// Site is a registered website.
type Site struct {
	ID        string      `json:"id"`
	Origins   []string    `json:"origins"`
	Topics    []TopicRule `json:"topics"`
	Downloads []string    `json:"downloads"`
	Consent   string      `json:"consent"`
}

// TopicRule says a page whose path matches Path is about Topic. In Path,
// "*" stands for any characters, slashes included: "/automation/*" is every
// page under /automation/.
type TopicRule struct {
	Path  string `json:"path"`
	Topic string `json:"topic"`
}

// Check normalizes the site (origins to scheme://host[:port], lower case;
// consent defaults to required) and reports every problem by field.
func (s *Site) Check() error {
	var probs []fault.Field
	add := func(field, format string, args ...any) {
		probs = append(probs, fault.Field{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !isID(s.ID) {
		add("id", "must be 1 to %d characters without '/' or whitespace", maxID)
	}
	switch n := len(s.Origins); {
	case n == 0:
		add("origins", "at least one origin is required, e.g. https://www.example.com")
	case n > MaxOrigins:
		add("origins", "at most %d origins, got %d", MaxOrigins, n)
	}
	seen := map[string]bool{}
	for i, o := range s.Origins {
		norm, err := Origin(o)
		field := fmt.Sprintf("origins[%d]", i)
		switch {
		case err != nil:
			add(field, "%v", err)
		case seen[norm]:
			add(field, "%s is listed twice", norm)
		default:
			s.Origins[i] = norm
		}
		seen[norm] = true
	}
	if len(s.Topics) > MaxTopics {
		add("topics", "at most %d rules, got %d", MaxTopics, len(s.Topics))
	}
	for i, r := range s.Topics {
		if msg := pathProblem(r.Path); msg != "" {
			add(fmt.Sprintf("topics[%d].path", i), "%s", msg)
		}
		if !isID(r.Topic) {
			add(fmt.Sprintf("topics[%d].topic", i), "must be a topic: 1 to %d characters without '/' or whitespace", maxID)
		}
	}
	if len(s.Downloads) > MaxDownloads {
		add("downloads", "at most %d patterns, got %d", MaxDownloads, len(s.Downloads))
	}
	for i, p := range s.Downloads {
		if _, err := path.Match(p, ""); err != nil || p == "" || len(p) > maxPattern || strings.ContainsFunc(p, unicode.IsSpace) {
			add(fmt.Sprintf("downloads[%d]", i), "must be a file pattern such as *.pdf or /files/*")
		}
	}
	switch s.Consent {
	case "":
		s.Consent = ConsentRequired
	case ConsentRequired, ConsentImplied:
	default:
		add("consent", "must be %q or %q, got %q", ConsentRequired, ConsentImplied, s.Consent)
	}
	if s.Topics == nil {
		s.Topics = []TopicRule{}
	}
	if s.Downloads == nil {
		s.Downloads = []string{}
	}
	if len(probs) > 0 {
		return fault.InvalidFields(probs...)
	}
	return nil
}

// Origin normalizes a web origin: http or https, a host, an optional port,
// and nothing else (no path, query, fragment or user).
func Origin(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return "", fmt.Errorf("%q is not an origin such as https://www.example.com", raw)
	case u.Scheme != "https" && u.Scheme != "http":
		return "", fmt.Errorf("%q: the scheme must be https (or http)", raw)
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("%q: an origin is scheme://host[:port], without a path, query or user", raw)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// pathProblem says what is wrong with a topic rule's path pattern.
func pathProblem(p string) string {
	switch {
	case !strings.HasPrefix(p, "/"):
		return "must start with / (a path on the site, * for any characters)"
	case len(p) > maxPattern:
		return fmt.Sprintf("at most %d characters", maxPattern)
	case strings.ContainsFunc(p, unicode.IsSpace) || strings.ContainsAny(p, "?#"):
		return "a path without spaces, query or fragment"
	}
	return ""
}

// AllowsOrigin reports whether pages of origin (as a browser sends it in
// the Origin header) belong to the site.
func (s Site) AllowsOrigin(origin string) bool {
	norm, err := Origin(origin)
	return err == nil && slices.Contains(s.Origins, norm)
}

// TopicOf is the topic of the page at path: the first rule that matches,
// or "" when none does.
func (s Site) TopicOf(p string) string {
	for _, r := range s.Topics {
		if globMatch(r.Path, p) {
			return r.Topic
		}
	}
	return ""
}

// IsDownload reports whether the file at path is a download: a pattern
// without a slash matches the file's name (*.pdf), one with a slash the
// whole path (/files/*).
func (s Site) IsDownload(p string) bool {
	for _, pat := range s.Downloads {
		target := p
		if !strings.Contains(pat, "/") {
			target = path.Base(p)
		}
		if ok, _ := path.Match(pat, target); ok {
			return true
		}
	}
	return false
}

// globMatch matches s against a pattern whose "*" stands for any
// characters, slashes included; everything else matches itself.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}

// isID is the rule of ripen's record IDs: 1 to 200 characters without '/'
// or whitespace.
func isID(s string) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= maxID && !strings.ContainsFunc(s, func(r rune) bool { return r == '/' || unicode.IsSpace(r) })
}
