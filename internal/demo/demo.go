// Package demo seeds a development database with three personas, a handful
// of content blocks, a cross-sell, an upsell and a repeat journey, three
// customers and the demo company's website (internal/demosite), so that
// ripen-dev is a working system from the first minute.
package demo

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ripen/ripen/internal/demosite"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/sites"
	"github.com/ripen/ripen/store"
)

//go:embed data
var data embed.FS

// Journeys lists the demo journey files' IDs.
var Journeys = []string{"erp-automation-crosssell", "reporting-upsell", "erp-renewal-repeat"}

// Website is the demo website's origin that the content's links name;
// ripen-dev serves the site there by default.
const Website = "http://127.0.0.1:8090"

// Seed writes the demo records. Personas, content, customers and the site
// are upserted; a journey is published only when it has no version yet, so
// restarts do not pile up versions.
//
// website is the origin the demo website is served at: the content's links
// lead there, and the site is registered with it (demosite.Site). Empty
// leaves the site unregistered and the links at Website.
func Seed(ctx context.Context, st *store.Store, website string) error {
	var personas []store.Persona
	var products []store.CatalogueProduct
	var content []store.Content
	var customers []store.Customer
	for file, v := range map[string]any{"personas.yaml": &personas, "products.yaml": &products, "content.yaml": &content, "customers.yaml": &customers} {
		if err := load(file, v); err != nil {
			return err
		}
	}
	for _, p := range personas {
		if err := st.PutPersona(ctx, p); err != nil {
			return fmt.Errorf("demo persona %s: %w", p.ID, err)
		}
	}
	for _, p := range products {
		if err := st.PutProduct(ctx, p); err != nil {
			return fmt.Errorf("demo product %s: %w", p.ID, err)
		}
	}
	if website != "" {
		site, err := sites.New(st).Put(ctx, demosite.SiteID, demosite.Site(website))
		if err != nil {
			return fmt.Errorf("demo website %s: %w", website, err)
		}
		website = site.Origins[0]
	}
	for _, c := range content {
		c.URL = onWebsite(c.URL, website)
		if err := st.PutContent(ctx, c); err != nil {
			return fmt.Errorf("demo content %s: %w", c.ID, err)
		}
	}
	for _, c := range customers {
		if err := st.PutCustomer(ctx, c); err != nil {
			return fmt.Errorf("demo customer %s: %w", c.ID, err)
		}
	}
	for _, id := range Journeys {
		if _, err := st.GetJourney(ctx, id, 0); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		src, err := fs.ReadFile(data, path.Join("data", id+".yaml"))
		if err != nil {
			return err
		}
		def, err := journey.Parse(src)
		if err != nil {
			return fmt.Errorf("demo journey %s: %w", id, err)
		}
		defJSON, err := json.Marshal(def)
		if err != nil {
			return err
		}
		if _, err := st.PublishJourney(ctx, store.JourneyVersion{JourneyID: def.ID, Name: def.Name, Definition: defJSON, Source: string(src)}); err != nil {
			return fmt.Errorf("publish demo journey %s: %w", id, err)
		}
	}
	return nil
}

// onWebsite moves a link to the demo website at Website to the website's
// actual origin.
func onWebsite(link, website string) string {
	if rest, ok := strings.CutPrefix(link, Website+"/"); ok && website != "" {
		return website + "/" + rest
	}
	return link
}

// JourneySource returns a demo journey's YAML, for docs and tests.
func JourneySource(id string) (string, error) {
	b, err := fs.ReadFile(data, path.Join("data", id+".yaml"))
	return strings.TrimSpace(string(b)), err
}

func load(file string, v any) error {
	b, err := fs.ReadFile(data, path.Join("data", file))
	if err != nil {
		return err
	}
	// The records' JSON tags are the API's names; YAML → JSON keeps them.
	var raw any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("demo %s: %w", file, err)
	}
	j, err := json.Marshal(raw)
	if err != nil {
		return fmt.Errorf("demo %s: %w", file, err)
	}
	if err := json.Unmarshal(j, v); err != nil {
		return fmt.Errorf("demo %s: %w", file, err)
	}
	return nil
}
