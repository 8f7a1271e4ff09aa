package runs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/logging"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// Enrolment results per customer.
const (
	EnrolStarted         = "started"
	EnrolAlreadyRunning  = "already-running"
	EnrolSuppressed      = "suppressed"
	EnrolUnknownCustomer = "unknown-customer"
	EnrolFailed          = "failed"
	// EnrolIneligible: the offer does not fit what the account owns
	// (journey.Eligible); the result's Reason says why.
	EnrolIneligible = "ineligible"
)

// MaxEnrolment bounds the customers of one enrolment.
const MaxEnrolment = 10000

// EnrolResult is what became of one customer's enrolment.
type EnrolResult struct {
	CustomerID string `json:"customer_id"`
	Status     string `json:"status"`
	WorkflowID string `json:"workflow_id,omitempty"`
	RunID      string `json:"run_id,omitempty"`
	// Reason says why an ineligible customer was not enrolled.
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Enrol starts one run per customer on the journey's newest published
// version, and answers per customer in the order asked. Repeating it is
// safe: a running workflow ID refuses a second start.
func (s *Service) Enrol(ctx context.Context, journeyID string, customerIDs []string) ([]EnrolResult, error) {
	switch {
	case len(customerIDs) == 0:
		return nil, fault.InvalidField("customer_ids", "must list at least one customer")
	case len(customerIDs) > MaxEnrolment:
		return nil, fault.InvalidField("customer_ids", fmt.Sprintf("at most %d customers per request, got %d", MaxEnrolment, len(customerIDs)))
	}
	// An archived journey refuses the whole request, before any run starts.
	def, err := s.journeys.Enrollable(ctx, journeyID)
	if err != nil {
		return nil, err
	}
	// One read for the whole request: who exists, and what each run needs
	// to know of its customer.
	contexts, err := s.store.RunContexts(ctx, customerIDs)
	if err != nil {
		return nil, fmt.Errorf("read customers to enrol: %w", err)
	}
	owned, err := s.store.OwnedProducts(ctx, customerIDs)
	if err != nil {
		return nil, fmt.Errorf("read what the customers to enrol own: %w", err)
	}
	results := make([]EnrolResult, len(customerIDs))
	var starts []Start
	var at []int              // results index of each start
	first := map[string]int{} // customer ID → results index of its first copy
	var repeats []int
	for i, id := range customerIDs {
		results[i] = EnrolResult{CustomerID: id}
		rc, known := contexts[id]
		if _, ok := first[id]; ok {
			repeats = append(repeats, i)
			continue
		}
		first[id] = i
		if !known {
			results[i].Status = EnrolUnknownCustomer
			continue
		}
		if ok, reason := journey.Eligible(def.Offer, owned[id]); !ok {
			results[i].Status, results[i].Reason = EnrolIneligible, reason
			continue
		}
		starts = append(starts, Start{Journey: def, Customer: rc})
		at = append(at, i)
	}
	for j, res := range s.StartAll(ctx, starts) {
		results[at[j]] = res
	}
	for _, res := range results {
		if res.Status != "" {
			s.metrics.enrollments.WithLabelValues(res.Status).Inc()
		}
	}
	// A customer listed again is answered as its first copy was: the one
	// start request decided for both.
	for _, i := range repeats {
		results[i] = results[first[results[i].CustomerID]]
	}
	return results, nil
}

// Start is a run to start: a journey version for a customer whose run
// context was read.
type Start struct {
	Journey  *journey.Definition
	Customer store.RunContext
	// Events made a detector enrol the customer; the run starts with them
	// (nil for an enrolment by marketing).
	Events []workflows.Engagement
}

// CountDetectorEnrolment counts a run a detector started.
func (s *Service) CountDetectorEnrolment() { s.metrics.enrollments.WithLabelValues("detector").Inc() }

// StartAll starts a run per start, except for customers whose contacts are
// all suppressed, and answers in the order asked; a start that fails is
// reported in its result. Started runs are registered in the runs
// projection at once, so events reach them before their own first write.
func (s *Service) StartAll(ctx context.Context, starts []Start) []EnrolResult {
	results := make([]EnrolResult, len(starts))
	for i, st := range starts {
		results[i] = EnrolResult{CustomerID: st.Customer.CustomerID, WorkflowID: workflows.WorkflowID(st.Journey.ID, st.Customer.CustomerID)}
		results[i].Status, results[i].Reason = audienceStatus(st.Journey.Audience, st.Customer)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.Concurrency)
	for i, st := range starts {
		if results[i].Status != "" {
			continue
		}
		g.Go(func() error {
			results[i] = s.start(gctx, st)
			return nil
		})
	}
	_ = g.Wait()
	// One write registers the started runs (the truth is their own first
	// write: a running row is never touched here). Runs that did not start
	// are not registered, so no row claims a run that is not.
	var reg []store.RunStart
	for i, st := range starts {
		if results[i].Status == EnrolFailed {
			s.logOf(ctx).Warn().Str("workflow_id", results[i].WorkflowID).Str("error", results[i].Error).Msg("run not started")
		}
		if results[i].Status == EnrolStarted {
			s.JourneyMetrics.Enrolled(st.Journey.ID)
			reg = append(reg, store.RunStart{WorkflowID: results[i].WorkflowID, RunKey: results[i].WorkflowID + "/" + results[i].RunID,
				JourneyID: st.Journey.ID, Version: st.Journey.Version, CustomerID: st.Customer.CustomerID, OwnerID: st.Customer.OwnerID})
		}
	}
	if len(reg) > 0 {
		if _, err := s.store.RegisterRuns(ctx, s.Now(), reg); err != nil {
			// The runs started and write their own rows at once; only
			// events in the next moment may miss them.
			s.logOf(ctx).Warn().Err(err).Int("runs", len(reg)).Msg("register started runs for event routing")
		}
	}
	return results
}

// audienceStatus says why a run of a journey with audience cannot start
// for the customer of rc ("" when it can): an account with no contact of
// the audience is ineligible, as an offer it does not fit is; one whose
// contacts of the audience are all suppressed is suppressed. A run started
// anyway would only end unsubscribed at its first send.
func audienceStatus(audience *journey.Audience, rc store.RunContext) (status, reason string) {
	if audience == nil {
		if !rc.Reachable {
			return EnrolSuppressed, ""
		}
		return "", ""
	}
	in := func(personas []string) bool {
		return slices.ContainsFunc(personas, audience.Includes)
	}
	switch {
	case !in(rc.Personas):
		return EnrolIneligible, "no contact of the audience (" + strings.Join(audience.Personas, ", ") + ")"
	case !in(rc.ReachablePersonas):
		return EnrolSuppressed, ""
	}
	return "", ""
}

// start starts one run with its customer's context in the input, so the
// run need not load it by an activity before its first step.
func (s *Service) start(ctx context.Context, st Start) EnrolResult {
	customerID := st.Customer.CustomerID
	res := EnrolResult{CustomerID: customerID, WorkflowID: workflows.WorkflowID(st.Journey.ID, customerID)}
	in := workflows.Input{Journey: *st.Journey, CustomerID: customerID, RequestID: logging.RequestID(ctx),
		Context: &workflows.RunContext{OwnerID: st.Customer.OwnerID, Timezone: st.Customer.Timezone, Reachable: st.Customer.Reachable,
			Timezones: st.Customer.Timezones},
		Engagements: st.Events}
	run, err := s.temporal.ExecuteWorkflow(ctx, startOptions(st.Journey, customerID), workflows.Journey, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &started):
		res.Status = EnrolAlreadyRunning
	case err != nil:
		res.Status, res.Error = EnrolFailed, err.Error()
	default:
		res.Status, res.RunID = EnrolStarted, run.GetRunID()
	}
	return res
}

// StartFastLaneHandoff starts the FastLaneHandoff workflow of a fast-lane
// request that no running run of its customer offers. Its workflow ID
// derives from the event ID and is never reused, so a repeated event
// starts nothing new: that is success too.
func (s *Service) StartFastLaneHandoff(ctx context.Context, in workflows.FastLaneHandoffInput) error {
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       workflows.FastLaneWorkflowID(in.EventID),
		TaskQueue:                                workflows.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		StaticSummary:                            fmt.Sprintf("fast lane %s for customer %s, no run offers it", in.Offer, in.CustomerID),
	}, workflows.FastLaneHandoff, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err == nil || errors.As(err, &started) {
		return nil
	}
	return fmt.Errorf("start the fast-lane hand-off of event %s: %w", in.EventID, err)
}

func startOptions(def *journey.Definition, customerID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       workflows.WorkflowID(def.ID, customerID),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// Without this the SDK hands back the running run as if it had
		// started it, and "already-running" could not be told apart.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    workflows.StartSearchAttributes(def.ID, customerID, def.Offer.Kind),
		StaticSummary:                            fmt.Sprintf("%s v%d (%s %s) for customer %s", def.ID, def.Version, def.Offer.Kind, def.Offer.Product, customerID),
		StaticDetails:                            def.Name,
	}
}
