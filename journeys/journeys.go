// Package journeys is the use case of publishing, reading and retiring
// journeys: a definition is parsed and validated against the content
// library, published only when it changes what runs do, and read back
// decoded; an archived journey takes no new runs. Every channel that shows or runs a journey (the API, the
// detectors, enrolment, the public pages) reads definitions here.
//
// It knows no HTTP and no Temporal.
package journeys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/store"
)

// Version is a stored journey version with its definition decoded.
type Version struct {
	store.JourneyVersion
	Definition *journey.Definition `json:"definition"`
}

// Decode reads a stored version's definition.
func Decode(jv store.JourneyVersion) (Version, error) {
	var def journey.Definition
	if err := json.Unmarshal(jv.Definition, &def); err != nil {
		return Version{}, fmt.Errorf("decode journey %s v%d: %w", jv.JourneyID, jv.Version, err)
	}
	def.Version = jv.Version
	return Version{JourneyVersion: jv, Definition: &def}, nil
}

// Service publishes and reads journeys.
type Service struct {
	store *store.Store
}

// New builds the service.
func New(st *store.Store) *Service { return &Service{store: st} }

// Publish validates a YAML or JSON definition (the same messages as `ripen
// journeys validate`, as journey.Problems) and publishes it as a new
// version, unless it is the newest published version's definition already:
// then it answers that version and created is false.
//
// Definitions are compared, not source texts: marketing ops keep journeys
// in git and a sync re-applies every file, so a publish that would not
// change what runs do (or what the journey is called) must not mint a
// version; that holds for a reformatted file or an edited comment too, since
// a new version then would only split the runs across identical versions.
// The version keeps the source that first published it.
//
// Publishing brings an archived journey back, a new version or not: a PUT
// says "this is the journey, live", and whether that revives it must not
// depend on whether the file was edited. So a sync that re-applies every
// file revives a journey archived by hand whose file is still there: retire
// a journey in git by removing its file too.
func (s *Service) Publish(ctx context.Context, id string, source []byte) (v Version, created bool, err error) {
	def, err := s.Parse(ctx, source)
	if err != nil {
		return Version{}, false, err
	}
	if def.ID != id {
		return Version{}, false, fault.InvalidField("id", "is "+def.ID+" but the path says "+id)
	}
	def.Version = 0
	if err := s.defaultScoringTopics(ctx, def); err != nil {
		return Version{}, false, err
	}
	defJSON, err := json.Marshal(def)
	if err != nil {
		return Version{}, false, fmt.Errorf("encode journey %s: %w", id, err)
	}
	jv, created, err := s.store.PublishJourneyIfChanged(ctx, store.JourneyVersion{JourneyID: def.ID, Name: def.Name, Definition: defJSON, Source: string(source)})
	if err != nil {
		return Version{}, false, err
	}
	v, err = Decode(jv)
	return v, created, err
}

// defaultScoringTopics fixes the topics a version scores when its author
// left scoring.topics out: the detector's topics, then the topics of the
// content its steps send, each once, as the library has them now. A later
// change to the library does not change a published version (publishing
// again does, as a new version). An explicit list wins.
func (s *Service) defaultScoringTopics(ctx context.Context, def *journey.Definition) error {
	if len(def.Scoring.Topics) > 0 {
		return nil
	}
	var topics []string
	add := func(t string) {
		if t != "" && !slices.Contains(topics, t) {
			topics = append(topics, t)
		}
	}
	if def.Detector != nil {
		for _, t := range def.Detector.Topics {
			add(t)
		}
	}
	var sent []string
	for _, step := range def.Steps {
		if step.Send != "" && !slices.Contains(sent, step.Send) {
			sent = append(sent, step.Send)
			c, err := s.store.GetContent(ctx, step.Send)
			if err != nil {
				return fmt.Errorf("publish journey %s: topic of content %s: %w", def.ID, step.Send, err)
			}
			add(c.Topic)
		}
	}
	def.Scoring.Topics = topics
	return nil
}

// Parse parses and validates a definition with the content library known.
func (s *Service) Parse(ctx context.Context, source []byte) (*journey.Definition, error) {
	// A loose first read (under the parser's own limits) finds the content
	// the steps send, the personas the audience names and the products the
	// offer and goal name, even when the
	// definition has other problems, so the store answers in one query
	// each which of them are missing.
	unknownContent, err := store.MissingSet(ctx, s.store.MissingContent, journey.SentContent(source))
	if err != nil {
		return nil, err
	}
	unknownPersonas, err := store.MissingSet(ctx, s.store.MissingPersonas, journey.AudiencePersonas(source))
	if err != nil {
		return nil, err
	}
	unknownProducts, err := store.MissingSet(ctx, s.store.MissingProducts, journey.NamedProducts(source))
	if err != nil {
		return nil, err
	}
	return journey.ParseWith(source, journey.ValidateOptions{
		Content: func(id string) bool { return !unknownContent[id] },
		Persona: func(id string) bool { return !unknownPersonas[id] },
		Product: func(id string) bool { return !unknownProducts[id] },
	})
}

// Get reads one version (0: the newest).
func (s *Service) Get(ctx context.Context, id string, version int) (Version, error) {
	jv, err := s.store.GetJourney(ctx, id, version)
	if err != nil {
		return Version{}, err
	}
	return Decode(jv)
}

// Latest is the newest published definition of a journey, or a NotFound
// fault.
func (s *Service) Latest(ctx context.Context, id string) (*journey.Definition, error) {
	v, err := s.Get(ctx, id, 0)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.Newf(fault.NotFound, "journey %s has no published version", id)
	}
	if err != nil {
		return nil, err
	}
	return v.Definition, nil
}

// Definition is a version's definition, nil when that journey or version
// does not exist.
func (s *Service) Definition(ctx context.Context, id string, version int) (*journey.Definition, error) {
	v, err := s.Get(ctx, id, version)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return v.Definition, nil
}

// Published lists the newest version of every journey that is not
// archived: the journeys that take new runs, whose detectors listen.
func (s *Service) Published(ctx context.Context) ([]Version, error) {
	return s.List(ctx, false)
}

// List lists the newest version of every journey, the archived ones too
// when archived is true.
func (s *Service) List(ctx context.Context, archived bool) ([]Version, error) {
	list, err := s.store.ListJourneys(ctx, archived)
	if err != nil {
		return nil, err
	}
	return decodeAll(list)
}

// Archive retires a journey: it stays readable, but takes no new runs
// (Enrollable refuses it, Published leaves it out, so no detector enrols
// anyone in it), and its runs in flight go on as they are: nothing is sent
// to them. Archiving an archived journey answers the same as the first
// time. Publishing it again, changed or not, brings it back.
func (s *Service) Archive(ctx context.Context, id string) (Version, error) {
	jv, err := s.store.ArchiveJourney(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Version{}, fault.Newf(fault.NotFound, "journey %s has no published version", id)
	}
	if err != nil {
		return Version{}, fmt.Errorf("archive journey %s: %w", id, err)
	}
	return Decode(jv)
}

// Enrollable is the newest published definition of a journey that takes
// new runs: a NotFound fault when there is none, a Conflict fault when the
// journey is archived. Conflict rather than Gone: publishing the journey
// again brings it back, so the refusal is about its state, not its end.
func (s *Service) Enrollable(ctx context.Context, id string) (*journey.Definition, error) {
	v, err := s.Get(ctx, id, 0)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.Newf(fault.NotFound, "journey %s has no published version", id)
	}
	if err != nil {
		return nil, err
	}
	if v.ArchivedAt != nil {
		return nil, fault.Newf(fault.Conflict, "journey %s is archived (since %s) and takes no new enrolments; publish it again to enrol customers",
			id, v.ArchivedAt.UTC().Format(time.RFC3339))
	}
	return v.Definition, nil
}

// Versions lists every version of a journey, or a NotFound fault.
func (s *Service) Versions(ctx context.Context, id string) ([]Version, error) {
	list, err := s.store.ListJourneyVersions(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fault.Newf(fault.NotFound, "journey %s does not exist", id)
	}
	return decodeAll(list)
}

func decodeAll(list []store.JourneyVersion) ([]Version, error) {
	out := make([]Version, 0, len(list))
	for _, jv := range list {
		v, err := Decode(jv)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// StepContent finds the content a journey step sends, and its topic, in the
// journey's newest published version. It is best effort ("" when unknown):
// it names what a click was about.
func (s *Service) StepContent(ctx context.Context, journeyID, stepID string) (contentID, topic string) {
	if journeyID == "" || stepID == "" {
		return "", ""
	}
	def, err := s.Definition(ctx, journeyID, 0)
	if err != nil || def == nil {
		return "", ""
	}
	for _, st := range def.Steps {
		if st.ID == stepID && st.Send != "" {
			contentID = st.Send
			break
		}
	}
	if contentID == "" {
		return "", ""
	}
	if content, err := s.store.GetContent(ctx, contentID); err == nil {
		topic = content.Topic
	}
	return contentID, topic
}
