package workflows

import (
	"math"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/journey"
)

// Stages of a run, as RipenStage shows them.
const (
	StageNurturing = "nurturing"
	StageHandoff   = "handoff"
	StageCooldown  = "cooldown"
	StagePaused    = "paused"
	StageDone      = "done"
)

// Outcomes of a finished run.
const (
	OutcomeAccepted     = "accepted"
	OutcomeWon          = "won"
	OutcomeLost         = "lost"
	OutcomeNotQualified = "not-qualified"
	OutcomeStopped      = "stopped"
	OutcomeUnsubscribed = "unsubscribed"
	OutcomeMaxRecycles  = "max-recycles"
	OutcomeUnreachable  = "unreachable"
	// OutcomeConverted: the account ordered the goal's product in time.
	OutcomeConverted = "converted"
)

// Run statuses.
const (
	StatusRunning   = "running"
	StatusCompleted = "completed"
)

// Hand-off reasons.
const (
	ReasonScore    = "score"
	ReasonFastLane = "fast-lane"
)

const (
	maxSeenEvents  = 1000 // dedup memory carried across continue-as-new
	maxEvidence    = 50
	maxScoreTrail  = 50
	maxSentInCycle = 100
)

// State is the whole state of a run: the `state` query returns it as it is
// and continue-as-new carries it.
type State struct {
	JourneyID  string `json:"journey_id"`
	Version    int    `json:"version"`
	CustomerID string `json:"customer_id"`
	OwnerID    string `json:"owner_id,omitempty"`
	RunKey     string `json:"run_key"`
	// RunID is the execution's current run; only the query sets it, so a
	// reader needs no second call to learn it.
	RunID    string `json:"run_id,omitempty"`
	Timezone string `json:"timezone,omitempty"`

	Status    string  `json:"status"`
	Outcome   string  `json:"outcome,omitempty"`
	Step      string  `json:"step"`
	StepIndex int     `json:"step_index"`
	Stage     string  `json:"stage"`
	Score     float64 `json:"score"`
	// MQN: the run has reached MQN, in this cycle or an earlier one. It
	// stays true through "rejected" and a recycle, as RipenMQN does, so
	// sales and operators find every run that qualified.
	MQN        bool          `json:"mqn"`
	Cycle      int           `json:"cycle"`
	Handoff    *HandoffState `json:"handoff"`
	Touches    int           `json:"touches"`
	NextWakeAt *time.Time    `json:"next_wake_at"`
	Paused     bool          `json:"paused"`
	StartedAt  time.Time     `json:"started_at"`
	CycleStart time.Time     `json:"cycle_started_at"`
	LastError  string        `json:"last_error,omitempty"`

	// Score bookkeeping: ScoreBase points as of ScoreAt, decaying after.
	ScoreBase float64   `json:"score_base"`
	ScoreAt   time.Time `json:"score_at"`

	// What happened in this cycle, for conditions and evidence.
	Clicked     map[string]bool `json:"clicked,omitempty"`
	Opened      map[string]bool `json:"opened,omitempty"`
	Visits      map[string]int  `json:"visits,omitempty"`
	FastLane    *FastLane       `json:"fast_lane,omitempty"`
	Engagements []Engagement    `json:"engagements,omitempty"`
	Sent        []SentStep      `json:"sent,omitempty"`
	ScoreTrail  []ScorePoint    `json:"score_trail,omitempty"`

	// Seq numbers the signals received; LastKindSeq[kind] is the newest of a
	// kind, so a wait knows whether its `until` arrived after it began.
	Seq         int            `json:"seq"`
	LastKindSeq map[string]int `json:"last_kind_seq,omitempty"`
	// WaitUntil is the deadline of the current wait step.
	WaitUntil *time.Time `json:"wait_until,omitempty"`
	WaitSeq   int        `json:"wait_seq,omitempty"`
	// CooldownUntil ends the cool-down after "not ready".
	CooldownUntil *time.Time `json:"cooldown_until,omitempty"`
	// StepSends counts each send step's visits in this cycle (goto loops):
	// the emails sent, and those that failed for good.
	StepSends map[string]int `json:"step_sends,omitempty"`
	// Escalations counts hand-offs in this cycle.
	Escalations int `json:"escalations,omitempty"`
	// StageBeforePause is restored on resume; while paused, whatever moves
	// the run (sales' answer, a hand-off) moves it (see setStage).
	StageBeforePause string `json:"stage_before_pause,omitempty"`

	// SeenEvents remembers recent event IDs so a repeated event counts once.
	SeenEvents []string `json:"seen_events,omitempty"`
	// PendingFastLane is a fast lane not yet handed off.
	PendingFastLane bool `json:"pending_fast_lane,omitempty"`
	// WaitingFastLane is a fast lane that came in while a hand-off was
	// open: sales answering "rejected" or "not-ready" hands it off.
	WaitingFastLane *FastLane `json:"waiting_fast_lane,omitempty"`
	// Stopped and Unsubscribed end the run at the next chance.
	Stopped      bool `json:"stopped,omitempty"`
	Unsubscribed bool `json:"unsubscribed,omitempty"`

	// AccountRules: the run follows scoring.topics, mqn.min_contacts and
	// goal (accountRulesChange). A run started before them does not, and
	// continue-as-new keeps it so.
	AccountRules bool `json:"account_rules,omitempty"`
	// Contacts are the distinct contacts whose engagement counted in this
	// cycle, in the order they first engaged (mqn.min_contacts).
	Contacts []string `json:"contacts,omitempty"`
	// Converted: an order met the journey's goal; the run ends converted.
	Converted bool `json:"converted,omitempty"`
	// CheckReach: a contact unsubscribed (with AccountRules); at its next
	// step the run asks whether anyone of its audience can still be
	// mailed, and ends unsubscribed when nobody can.
	CheckReach bool `json:"check_reach,omitempty"`
	// Unsubscribes are the contacts who unsubscribed while the run went on
	// (IDs only), in the order they did.
	Unsubscribes []string `json:"unsubscribes,omitempty"`
	// PendingAssets are fast-lane events (IDs) asking for an asset the
	// journey's mqn.assets lists (AccountRules), not yet sent to the
	// contact who asked; drainSignals sends them.
	PendingAssets []string `json:"pending_assets,omitempty"`
	// Timezones are the distinct timezones of the run's reachable contacts,
	// sorted (AccountRules): with a send window, each contact is sent a
	// step inside its own zone's window (sendByZone). Empty, the run sends
	// to every contact at once in Timezone's window.
	Timezones []string `json:"timezones,omitempty"`
	// ZoneSend is the progress of the current send step through its
	// zones, kept across an interruption of the step.
	ZoneSend *ZoneSend `json:"zone_send,omitempty"`

	// Experiments: the run keeps the arms an account took and follows the
	// journey's holdout (experimentsChange); continue-as-new keeps it.
	Experiments bool `json:"experiments,omitempty"`
	// PublishPerTask: the run upserts its search attributes once per
	// workflow task, when the signals it brought are applied
	// (publishOncePerTaskVersion), instead of once per engagement: a
	// burst of events costs one visibility write and one billable action
	// per task. Continue-as-new keeps it.
	PublishPerTask bool `json:"publish_per_task,omitempty"`
	// Arms are the arms the run took at the split steps it reached (step
	// ID → arm), kept through every cycle and continue-as-new.
	Arms map[string]string `json:"arms,omitempty"`
	// Holdout: the journey's holdout holds the account out, so no nurture
	// email goes to its contacts (see sendOrWithhold).
	Holdout bool `json:"holdout,omitempty"`
	// Withheld counts the emails a held-out run skipped (as Touches counts
	// those sent); WithheldSends lists the newest of them.
	Withheld      int        `json:"withheld,omitempty"`
	WithheldSends []SentStep `json:"withheld_sends,omitempty"`
}

// ZoneSend is how far one visit of a send step has got through the zones
// of the run's contacts.
type ZoneSend struct {
	StepID string   `json:"step_id"`
	Cycle  int      `json:"cycle"`
	Visit  int      `json:"visit"`
	Zones  []string `json:"zones"`
	// Done are the zones sent, suppressed or failed for good.
	Done []string `json:"done,omitempty"`
	// NotBefore holds back a zone the frequency cap deferred.
	NotBefore map[string]time.Time `json:"not_before,omitempty"`
	Sent      int                  `json:"sent,omitempty"`
	Failed    int                  `json:"failed,omitempty"`
	FirstSent *time.Time           `json:"first_sent,omitempty"`
}

// HandoffState is the open or last hand-off of the run.
type HandoffState struct {
	ID        string    `json:"id"`
	Reason    string    `json:"reason"`
	Offer     string    `json:"offer,omitempty"`
	Status    string    `json:"status"` // open, or sales' outcome
	CreatedAt time.Time `json:"created_at"`
	DueAt     time.Time `json:"due_at"`
	Reminders int       `json:"reminders"`
}

// newState is the state of a new run: nurturing from the first step, in
// cycle 1. RunKey names the run across continue-as-new.
func newState(ctx workflow.Context, in Input) *State {
	info, now := workflow.GetInfo(ctx), workflow.Now(ctx)
	return &State{
		JourneyID:  in.Journey.ID,
		Version:    in.Journey.Version,
		CustomerID: in.CustomerID,
		RunKey:     info.WorkflowExecution.ID + "/" + info.FirstRunID,
		Status:     StatusRunning,
		Stage:      StageNurturing,
		Cycle:      1,
		StartedAt:  now,
		CycleStart: now,
		ScoreAt:    now,
	}
}

// snapshot is the state as the `state` query shows it, with the score
// decayed to now and the current execution named.
func (r *run) snapshot() State {
	s := *r.st
	s.RunID = workflow.GetInfo(r.ctx).WorkflowExecution.RunID
	if s.Status == StatusRunning {
		s.Score = round2(s.scoreAt(workflow.Now(r.ctx), r.halfLife))
	}
	return s
}

// scoreAt returns the decayed score at now: points halve every half-life.
func (s *State) scoreAt(now time.Time, halfLife time.Duration) float64 {
	if s.ScoreBase == 0 {
		return 0
	}
	return decay(s.ScoreBase, now.Sub(s.ScoreAt), halfLife)
}

// decay is what points are worth elapsed after they were earned.
func decay(points float64, elapsed, halfLife time.Duration) float64 {
	if halfLife <= 0 || elapsed <= 0 {
		return points
	}
	return points * math.Pow(0.5, elapsed.Hours()/halfLife.Hours())
}

// addPoints adds points at now, folding the decay so far into the base.
func (s *State) addPoints(now time.Time, points float64, halfLife time.Duration) {
	s.ScoreBase = s.scoreAt(now, halfLife) + points
	s.ScoreAt = now
	s.Score = round2(s.ScoreBase)
	s.ScoreTrail = appendBounded(s.ScoreTrail, ScorePoint{At: now, Score: s.Score}, maxScoreTrail)
}

// resetCycle starts a new nurturing cycle from the first step.
func (s *State) resetCycle(now time.Time) {
	s.Cycle++
	s.CycleStart = now
	s.StepIndex = 0
	s.WaitUntil = nil
	s.Escalations = 0
	s.StepSends = nil
	s.setStage(StageNurturing)
	s.resetEngagement(now)
}

// setStage moves the run to stage. A paused run stays paused (the `state`
// query and RipenStage keep showing "paused") and resumes in stage.
func (s *State) setStage(stage string) {
	if s.Paused {
		s.StageBeforePause = stage
		return
	}
	s.Stage = stage
}

// stageBeyondPause is the stage the run is in, or resumes in when paused.
func (s *State) stageBeyondPause() string {
	if s.Paused {
		return s.StageBeforePause
	}
	return s.Stage
}

// resetEngagement forgets the score and what the contact did this cycle.
func (s *State) resetEngagement(now time.Time) {
	s.ScoreBase, s.ScoreAt, s.Score = 0, now, 0
	s.Clicked, s.Opened, s.Visits = nil, nil, nil
	s.FastLane, s.PendingFastLane, s.WaitingFastLane = nil, false, nil
	s.Engagements, s.Sent, s.ScoreTrail = nil, nil, nil
	s.Contacts = nil
}

// engagedBy notes a contact whose engagement counted.
func (s *State) engagedBy(contactID string) {
	if contactID != "" && !slices.Contains(s.Contacts, contactID) {
		s.Contacts = appendBounded(s.Contacts, contactID, maxSeenEvents)
	}
}

func (s *State) seen(eventID string) bool {
	for _, id := range s.SeenEvents {
		if id == eventID {
			return true
		}
	}
	return false
}

func (s *State) remember(eventID string) {
	s.SeenEvents = appendBounded(s.SeenEvents, eventID, maxSeenEvents)
}

func (s *State) conditionEnv(now time.Time, halfLife time.Duration) journey.ConditionEnv {
	return journey.ConditionEnv{
		Score:             round2(s.scoreAt(now, halfLife)),
		DaysInJourney:     int(now.Sub(s.StartedAt) / (24 * time.Hour)),
		Cycle:             s.Cycle,
		FastLaneRequested: s.FastLane != nil,
		Clicked:           func(step string) bool { return s.Clicked[step] },
		Opened:            func(step string) bool { return s.Opened[step] },
		Visits:            func(topic string) int { return s.Visits[topic] },
	}
}

func appendBounded[T any](list []T, v T, max int) []T {
	list = append(list, v)
	if len(list) > max {
		list = append(list[:0:0], list[len(list)-max:]...)
	}
	return list
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func incrTo(m map[string]int, k string, v int) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	m[k] = v
	return m
}

func incr[K comparable](m map[K]int, k K) map[K]int {
	if m == nil {
		m = map[K]int{}
	}
	m[k]++
	return m
}

func mark[K comparable](m map[K]bool, k K) map[K]bool {
	if m == nil {
		m = map[K]bool{}
	}
	m[k] = true
	return m
}
