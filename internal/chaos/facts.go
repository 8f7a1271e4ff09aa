package chaos

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/converter"
	"golang.org/x/sync/errgroup"

	"github.com/ripen/ripen/workflows"
)

// facts is everything the invariants look at, read once the run is over:
// the local SendGrid server's inbox, Postgres, Temporal and the API.
type facts struct {
	msgs    []sendgridMessage
	msgByID map[string]sendgridMessage

	outbox       []outboxRow
	handoffs     []handoffRow
	suppressions map[string]time.Time // email (lower case) → when
	events       map[string]eventRow
	webhookSeen  map[string]bool

	runs map[string]*runFacts // by workflow ID
}

type outboxRow struct {
	RunKey, StepID, ContactID, Kind, Status, MessageID, Error string
	Cycle                                                     int
}

type handoffRow struct {
	ID, RunKey, WorkflowID, CustomerID, Reason, Offer, Status string
	Cycle                                                     int
	CreatedAt                                                 time.Time
	ClosedAt                                                  *time.Time
}

type eventRow struct {
	Type, CustomerID, RunID string
}

// runFacts is one run as Temporal and the API know it.
type runFacts struct {
	id string
	// dc reads payloads as the workers wrote them (sealed by the codec).
	dc         converter.DataConverter
	found      bool
	status     enumspb.WorkflowExecutionStatus
	closedAt   time.Time
	pendingAct []*workflowpb.PendingActivityInfo
	pendingWFT *workflowpb.PendingWorkflowTaskInfo
	sends      []*sendFact
	handoffs   []*handoffFact
	notifies   []*notifyFact
	badWFT     []string
	// unsubscribes are the unsubscribe signals the run received, in
	// order: one contact each (a buying group goes on while a contact of
	// it can still be mailed); "" names none, which ends the run.
	unsubscribes []unsubFact
	// seq numbers the events read so far, across continue-as-new.
	seq      int
	state    runState
	stateErr error
	err      error
}

type unsubFact struct {
	seq     int // position in the run's history, across continue-as-new
	at      time.Time
	contact string
}

type sendFact struct {
	seq     int // position of its scheduling in the run's history
	at      time.Time
	req     workflows.SendRequest
	done    bool
	result  workflows.SendResult
	failure string
}

type handoffFact struct {
	req     workflows.HandoffRequest
	at      time.Time
	id      string
	failure string
}

type notifyFact struct {
	req     workflows.NotifyRequest
	failure string
}

// gather reads the facts.
func (r *runner) gather(ctx context.Context) (*facts, error) {
	f := &facts{msgByID: map[string]sendgridMessage{}, suppressions: map[string]time.Time{}, events: map[string]eventRow{},
		webhookSeen: map[string]bool{}, runs: map[string]*runFacts{}}
	var err error
	if f.msgs, err = r.st.http.messages(ctx, r.st.sendgridURL, ""); err != nil {
		return nil, err
	}
	for _, m := range f.msgs {
		f.msgByID[m.MessageID] = m
	}

	db := r.st.pool
	read := func(what, sql string, scans []any, fn func()) error {
		rows, _ := db.Query(ctx, sql)
		_, err := pgx.ForEachRow(rows, scans, func() error { fn(); return nil })
		if err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		return nil
	}
	var o outboxRow
	if err := read("outbox", `SELECT run_key, step_id, cycle, contact_id, kind, status, COALESCE(message_id, ''), error FROM outbox`,
		[]any{&o.RunKey, &o.StepID, &o.Cycle, &o.ContactID, &o.Kind, &o.Status, &o.MessageID, &o.Error},
		func() { f.outbox = append(f.outbox, o) }); err != nil {
		return nil, err
	}
	var h handoffRow
	if err := read("hand-offs", `SELECT id, COALESCE(run_key, ''), COALESCE(workflow_id, ''), customer_id, cycle, reason, offer, status, created_at, closed_at FROM handoffs ORDER BY created_at`,
		[]any{&h.ID, &h.RunKey, &h.WorkflowID, &h.CustomerID, &h.Cycle, &h.Reason, &h.Offer, &h.Status, &h.CreatedAt, &h.ClosedAt},
		func() {
			row := h // the scan target is reused: copy what it points to
			if h.ClosedAt != nil {
				closed := *h.ClosedAt
				row.ClosedAt = &closed
			}
			f.handoffs = append(f.handoffs, row)
		}); err != nil {
		return nil, err
	}
	var email string
	var at time.Time
	if err := read("suppressions", `SELECT email, created_at FROM suppressions`, []any{&email, &at},
		func() { f.suppressions[email] = at }); err != nil {
		return nil, err
	}
	var id string
	var e eventRow
	if err := read("events", `SELECT id, type, customer_id, run_id FROM events`, []any{&id, &e.Type, &e.CustomerID, &e.RunID},
		func() { f.events[id] = e }); err != nil {
		return nil, err
	}
	if err := read("webhook events", `SELECT id FROM webhook_events`, []any{&id}, func() { f.webhookSeen[id] = true }); err != nil {
		return nil, err
	}

	// Every run: Temporal's description and history, and its state as the
	// API shows it.
	var ids []string
	r.rec.lock(func() {
		for _, c := range r.customers {
			if _, ok := r.rec.enrolled[c.ID]; ok {
				ids = append(ids, workflows.WorkflowID(journeyID, c.ID))
			}
		}
	})
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(6)
	for _, id := range ids {
		g.Go(func() error {
			rf := r.runFacts(gctx, id)
			mu.Lock()
			f.runs[id] = rf
			mu.Unlock()
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return f, nil
}

// runFacts reads one run from Temporal (following continue-as-new back to
// the first run) and its state from the API.
func (r *runner) runFacts(ctx context.Context, id string) *runFacts {
	rf := &runFacts{id: id, dc: r.st.dc}
	desc, err := r.st.tc.DescribeWorkflowExecution(ctx, id, "")
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		return rf
	case err != nil:
		rf.err = err
		return rf
	}
	rf.found = true
	info := desc.GetWorkflowExecutionInfo()
	rf.status = info.GetStatus()
	if info.GetCloseTime() != nil {
		rf.closedAt = info.GetCloseTime().AsTime()
	}
	rf.pendingAct = desc.GetPendingActivities()
	rf.pendingWFT = desc.GetPendingWorkflowTask()

	var chain [][]*historypb.HistoryEvent
	runID := info.GetExecution().GetRunId()
	for runID != "" && len(chain) < 50 {
		events, err := r.history(ctx, id, runID)
		if err != nil {
			rf.err = err
			return rf
		}
		chain = append([][]*historypb.HistoryEvent{events}, chain...)
		runID = ""
		if len(events) > 0 {
			runID = events[0].GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
		}
	}
	for _, events := range chain {
		rf.read(events)
	}
	rf.state, rf.stateErr = r.runState(ctx, id)
	return rf
}

func (r *runner) history(ctx context.Context, id, runID string) ([]*historypb.HistoryEvent, error) {
	it := r.st.tc.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", id, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

// read picks what the invariants need out of one run's history: sends,
// hand-offs, owner notifications and failed workflow tasks.
func (rf *runFacts) read(events []*historypb.HistoryEvent) {
	scheduled := map[int64]any{}
	for _, ev := range events {
		rf.seq++
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a.GetSignalName() == workflows.SignalUnsubscribe {
				var ctl workflows.Control
				_ = rf.dc.FromPayloads(a.GetInput(), &ctl)
				rf.unsubscribes = append(rf.unsubscribes, unsubFact{seq: rf.seq, at: ev.GetEventTime().AsTime(), contact: ctl.ContactID})
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			a := ev.GetActivityTaskScheduledEventAttributes()
			switch a.GetActivityType().GetName() {
			case workflows.ActivitySendContent:
				s := &sendFact{seq: rf.seq, at: ev.GetEventTime().AsTime()}
				_ = rf.dc.FromPayloads(a.GetInput(), &s.req)
				rf.sends = append(rf.sends, s)
				scheduled[ev.GetEventId()] = s
			case workflows.ActivityRecordHandoff:
				h := &handoffFact{at: ev.GetEventTime().AsTime()}
				_ = rf.dc.FromPayloads(a.GetInput(), &h.req)
				rf.handoffs = append(rf.handoffs, h)
				scheduled[ev.GetEventId()] = h
			case workflows.ActivityNotifyOwner:
				n := &notifyFact{}
				_ = rf.dc.FromPayloads(a.GetInput(), &n.req)
				rf.notifies = append(rf.notifies, n)
				scheduled[ev.GetEventId()] = n
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			a := ev.GetActivityTaskCompletedEventAttributes()
			switch x := scheduled[a.GetScheduledEventId()].(type) {
			case *sendFact:
				x.done = true
				_ = rf.dc.FromPayloads(a.GetResult(), &x.result)
			case *handoffFact:
				var rec workflows.HandoffRecord
				_ = rf.dc.FromPayloads(a.GetResult(), &rec)
				x.id = rec.ID
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			a := ev.GetActivityTaskFailedEventAttributes()
			setFailure(scheduled[a.GetScheduledEventId()], failureText(a.GetFailure().GetMessage(), a.GetFailure().GetCause().GetMessage()))
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			a := ev.GetActivityTaskTimedOutEventAttributes()
			setFailure(scheduled[a.GetScheduledEventId()], "timed out: "+failureText(a.GetFailure().GetMessage(), a.GetFailure().GetCause().GetMessage()))
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
			a := ev.GetWorkflowTaskFailedEventAttributes()
			switch a.GetCause() {
			case enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE,
				enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_UPDATE:
			default:
				rf.badWFT = append(rf.badWFT, a.GetCause().String()+": "+truncate(a.GetFailure().GetMessage(), 300))
			}
		}
	}
}

func failureText(msg, cause string) string {
	if cause != "" && !strings.Contains(msg, cause) {
		return msg + ": " + cause
	}
	return msg
}

func setFailure(x any, failure string) {
	switch x := x.(type) {
	case *sendFact:
		x.failure = failure
	case *handoffFact:
		x.failure = failure
	case *notifyFact:
		x.failure = failure
	}
}

// Keys of emails, as the inbox shows them.

func contentKey(run, step string, cycle int, contact string) string {
	return run + "|" + step + "|" + strconv.Itoa(cycle) + "|" + contact
}

var reminderRE = regexp.MustCompile(`Reminder (\d+):`)

// emailKey names what an email in the inbox is, so that two copies of the
// same email have the same key: (run, step, cycle, contact) for content,
// (hand-off, kind, reminder number) for the owner's emails.
func emailKey(m sendgridMessage) (key, run, step string, owner bool) {
	a := m.CustomArgs
	if h := a["ripen_handoff"]; h != "" {
		n := "0"
		if sm := reminderRE.FindStringSubmatch(m.HTML); sm != nil {
			n = sm[1]
		}
		return "handoff|" + h + "|" + a["ripen_kind"] + "|" + n, a["ripen_run"], "handoff:" + h, true
	}
	cycle, _ := strconv.Atoi(a["ripen_cycle"])
	return contentKey(a["ripen_run"], a["ripen_step"], cycle, a["ripen_contact"]), a["ripen_run"], a["ripen_step"], false
}
