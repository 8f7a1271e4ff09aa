package runs

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/workflows"
)

// Filter selects runs to list; empty fields match every run.
type Filter struct {
	Journey, Customer, Owner string
	// Stage is one of the workflow's stages.
	Stage string
	// MQN, "true" or "false", keeps the runs that have (or have not)
	// reached MQN.
	MQN string
	// Status is "running" or "closed".
	Status string
	// Limit is the page size (1–1000, 0 for the default 100, negative for
	// a value the caller could not read); PageToken continues
	// a list where an earlier page's NextPageToken left off.
	Limit     int
	PageToken string
}

// Summary is one run in a list, from Temporal visibility.
type Summary struct {
	WorkflowID string     `json:"workflow_id"`
	RunID      string     `json:"run_id"`
	JourneyID  string     `json:"journey_id"`
	CustomerID string     `json:"customer_id"`
	OwnerID    string     `json:"owner_id,omitempty"`
	Offer      string     `json:"offer,omitempty"`
	Stage      string     `json:"stage"`
	Score      int64      `json:"score"`
	MQN        bool       `json:"mqn"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"started_at"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
}

// Page is one page of a run list.
type Page struct {
	Runs          []Summary `json:"runs"`
	NextPageToken string    `json:"next_page_token,omitempty"`
}

// List lists runs, newest first, as Temporal's visibility has them. Every
// bad filter is named at once. A caller of an owner lists that owner's runs
// (RipenOwner) only; naming another owner is Forbidden.
func (s *Service) List(ctx context.Context, c Caller, f Filter) (Page, error) {
	if err := c.ownerFilter("owner", &f.Owner); err != nil {
		return Page{}, err
	}
	return s.list(ctx, f, "customer")
}

// ListOfCustomer lists one customer's runs; the customer must exist, and be
// in the caller's book.
func (s *Service) ListOfCustomer(ctx context.Context, c Caller, customerID string, f Filter) (Page, error) {
	f.Customer, f.Journey, f.Owner, f.Stage, f.MQN = customerID, "", "", "", ""
	if err := check(f, "id"); err != nil {
		return Page{}, err
	}
	missing, err := s.store.MissingCustomers(ctx, []string{customerID})
	if err != nil {
		return Page{}, err
	}
	if len(missing) > 0 {
		return Page{}, fault.Newf(fault.NotFound, "customer %s does not exist", customerID)
	}
	if err := s.seesCustomer(ctx, c, customerID, fault.Newf(fault.NotFound, "customer %s is not in account owner %s's book", customerID, c.OwnerID)); err != nil {
		return Page{}, err
	}
	return s.list(ctx, f, "id")
}

func (s *Service) list(ctx context.Context, f Filter, customerField string) (Page, error) {
	if err := check(f, customerField); err != nil {
		return Page{}, err
	}
	size := f.Limit
	if size == 0 {
		size = 100
	}
	var token []byte
	if f.PageToken != "" {
		t, err := base64.RawURLEncoding.DecodeString(f.PageToken)
		if err != nil {
			return Page{}, fault.InvalidField("page_token", "is not a token this API gave out")
		}
		token = t
	}
	query := visibilityQuery(f)
	resp, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: s.cfg.Namespace, PageSize: int32(size), NextPageToken: token, Query: query,
	})
	var bad *serviceerror.InvalidArgument
	if errors.As(err, &bad) {
		// The filters made a query Temporal refused: the caller's values.
		return Page{}, &fault.Error{Kind: fault.Invalid, Detail: "Temporal refused the run filters: " + bad.Message}
	}
	if err != nil {
		return Page{}, fmt.Errorf("list runs (%s): %w", query, err)
	}
	page := Page{Runs: make([]Summary, 0, len(resp.GetExecutions()))}
	for _, e := range resp.GetExecutions() {
		sa := e.GetSearchAttributes().GetIndexedFields()
		rs := Summary{
			WorkflowID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId(),
			JourneyID: saString(sa, "RipenJourney"), CustomerID: saString(sa, "RipenCustomer"),
			OwnerID: saString(sa, "RipenOwner"), Offer: saString(sa, "RipenOffer"), Stage: saString(sa, "RipenStage"),
			Status: workflowStatus(e.GetStatus()), StartedAt: e.GetStartTime().AsTime(),
		}
		_ = decodeSA(sa, "RipenScore", &rs.Score)
		_ = decodeSA(sa, "RipenMQN", &rs.MQN)
		if e.GetCloseTime() != nil {
			t := e.GetCloseTime().AsTime()
			rs.ClosedAt = &t
		}
		page.Runs = append(page.Runs, rs)
	}
	if t := resp.GetNextPageToken(); len(t) > 0 {
		page.NextPageToken = base64.RawURLEncoding.EncodeToString(t)
	}
	return page, nil
}

// check lists every problem of a filter: stage and status against their
// values, the limit, and IDs for what visibility can match.
func check(f Filter, customerField string) error {
	var probs []fault.Field
	if _, err := strconv.ParseBool(f.MQN); f.MQN != "" && err != nil {
		probs = append(probs, fault.Field{Field: "mqn", Message: "must be true or false"})
	}
	switch f.Stage {
	case "", workflows.StageNurturing, workflows.StageHandoff, workflows.StageCooldown, workflows.StagePaused, workflows.StageDone:
	default:
		probs = append(probs, fault.Field{Field: "stage", Message: "must be one of nurturing, handoff, cooldown, paused, done"})
	}
	switch f.Status {
	case "", "running", "closed":
	default:
		probs = append(probs, fault.Field{Field: "status", Message: "must be running or closed"})
	}
	ids := map[string]string{"journey": f.Journey, customerField: f.Customer, "owner": f.Owner}
	for _, name := range slices.Sorted(maps.Keys(ids)) {
		if strings.ContainsAny(ids[name], `\"`) {
			// Temporal's SQL visibility (SQLite, PostgreSQL) escapes
			// these MySQL-style, so a value holding one never matches:
			// say so rather than answer an empty list.
			probs = append(probs, fault.Field{Field: name, Message: `run lists cannot match a value with a backslash or a double quote`})
		}
	}
	if f.Limit < 0 || f.Limit > 1000 {
		probs = append(probs, fault.Field{Field: "limit", Message: "must be a number from 1 to 1000"})
	}
	if len(probs) > 0 {
		return fault.InvalidFields(probs...)
	}
	return nil
}

// visibilityQuery builds a list filter; keys are fixed, values quoted.
//
// A run that continued as new is one run in several executions: visibility
// keeps every execution, the old ones frozen with the stage, score and MQN
// of the moment they handed over. Only the newest execution of a run (the
// one not ContinuedAsNew) speaks for it, so the others are always left out:
// otherwise a run is listed once per execution, and stale copies match
// stage, mqn and status=closed filters the run itself no longer matches.
func visibilityQuery(f Filter) string {
	parts := []string{"RipenJourney IS NOT NULL"}
	for _, kv := range [][2]string{{"RipenJourney", f.Journey}, {"RipenCustomer", f.Customer}, {"RipenOwner", f.Owner}, {"RipenStage", f.Stage}} {
		if kv[1] != "" {
			parts = append(parts, fmt.Sprintf("%s = %s", kv[0], visibilityString(kv[1])))
		}
	}
	if mqn, err := strconv.ParseBool(f.MQN); err == nil {
		parts = append(parts, fmt.Sprintf("RipenMQN = %t", mqn))
	}
	parts = append(parts, "ExecutionStatus != 'ContinuedAsNew'")
	switch f.Status {
	case "running":
		parts = append(parts, "ExecutionStatus = 'Running'")
	case "closed":
		parts = append(parts, "ExecutionStatus != 'Running'")
	}
	return strings.Join(parts, " AND ")
}

// visibilityString quotes a value for a visibility query: the parser reads
// backslash escapes inside quotes, so a backslash is doubled before a quote
// is escaped (a value ending in a backslash would otherwise escape the
// closing quote and the query would not parse). check refuses such values
// before they get here; the quoting stays safe regardless.
func visibilityString(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(v) + "'"
}

func saString(sa map[string]*commonpb.Payload, key string) string {
	var v string
	_ = decodeSA(sa, key, &v)
	return v
}

func decodeSA(sa map[string]*commonpb.Payload, key string, v any) error {
	p, ok := sa[key]
	if !ok {
		return nil
	}
	return converter.GetDefaultDataConverter().FromPayload(p, v)
}
