package journey

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strings"
)

// StepSplit is the kind of a step that sends each account down one of its
// arms (Step.Split).
const StepSplit = "split"

// MaxHoldout bounds a journey's holdout, in percent: a control group larger
// than the treated one measures little that a smaller one would not, and
// costs the business the nurturing of most of its accounts.
const MaxHoldout = 50

// Arm is one way out of a split step: the accounts it takes go on at Goto.
// Weight is its share of the accounts, relative to the other arms' weights.
type Arm struct {
	Arm    string `json:"arm" yaml:"arm"`
	Weight int    `json:"weight" yaml:"weight"`
	Goto   string `json:"goto" yaml:"goto"`
}

// The holdout decision is stored as the arm of a pseudo-step, so that it
// is kept as a split's arm is (first decision wins). HoldoutStep cannot be
// a step ID: step IDs are slugs.
const (
	HoldoutStep  = "#holdout"
	ArmHoldout   = "holdout"
	ArmTreated   = "treated"
	holdoutLabel = "holdout"
)

// Arm returns the step's arm named arm, or nil.
func (s Step) Arm(arm string) *Arm {
	for i := range s.Split {
		if s.Split[i].Arm == arm {
			return &s.Split[i]
		}
	}
	return nil
}

// SplitArm is the arm of split step s that the customer takes in journey
// journeyID. It is a pure function of the three IDs and the step's arms,
// so anyone can reproduce it: h is the first 8 bytes, read as a big-endian
// unsigned integer, of SHA-256("journeyID\x00customerID\x00stepID"); the
// arm is the first, in listed order, whose running sum of weights exceeds
// h mod the sum of all weights. The version is not part of it, so the
// same account takes the same arm in every version that keeps the step
// and its weights; a run also keeps the arm it took (see the workflow).
// A step without arms of positive weight has none ("").
func SplitArm(journeyID, customerID string, s Step) string {
	total := uint64(0)
	for _, a := range s.Split {
		if a.Weight > 0 {
			total += uint64(a.Weight)
		}
	}
	if total == 0 {
		return ""
	}
	pick := hash64(journeyID, customerID, s.ID) % total
	for _, a := range s.Split {
		if a.Weight <= 0 {
			continue
		}
		if pick < uint64(a.Weight) {
			return a.Arm
		}
		pick -= uint64(a.Weight)
	}
	return "" // unreachable: pick < total
}

// HeldOut reports whether the customer falls in the holdout of journey
// journeyID that holds out percent of its accounts: the first 8 bytes of
// SHA-256("holdout\x00journeyID\x00customerID"), big-endian, mod 100, are
// below percent. The label keeps the decision independent of any split's.
// Raising the percent holds out every account held out before and more;
// the run and the store keep the first decision (see the workflow).
func HeldOut(journeyID, customerID string, percent int) bool {
	if percent <= 0 {
		return false
	}
	return hash64(holdoutLabel, journeyID, customerID)%100 < uint64(percent)
}

// hash64 is the first 8 bytes, big-endian, of the SHA-256 of parts joined
// by NUL bytes (IDs never hold one, so distinct parts never join alike).
func hash64(parts ...string) uint64 {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return binary.BigEndian.Uint64(sum[:8])
}

// holdout checks the journey's holdout percent.
func (c *checker) holdout() {
	if h := c.d.Holdout; h < 0 || h > MaxHoldout {
		c.problem("holdout", "must be a percent from 0 to %d, got %d", MaxHoldout, h)
	}
}

// split checks the arms of split step i: at least two, each with an ID
// unique in the step, a positive weight and a goto to an existing step.
func (c *checker) split(i int, s Step) {
	if len(s.Split) == 0 && !c.opt.lines.Has(joinField(indexField("steps", i), "split")) {
		return
	}
	field := joinField(indexField("steps", i), "split")
	if len(s.Split) < 2 {
		c.problem(field, "a split needs at least 2 arms, got %d", len(s.Split))
	}
	seen := map[string]int{}
	for j, a := range s.Split {
		af := indexField(field, j)
		switch first, dup := seen[a.Arm]; {
		case a.Arm == "":
			c.problem(joinField(af, "arm"), "arm is required: the arm's ID, e.g. a")
		case !IsSlug(a.Arm):
			c.problem(joinField(af, "arm"), "%q is not a valid arm id: use lowercase letters, digits and hyphens (at most %d characters)", a.Arm, MaxIDLength)
		case dup:
			c.problem(joinField(af, "arm"), "arm %q is already used by %s", a.Arm, indexField(field, first))
		default:
			seen[a.Arm] = j
		}
		if a.Weight <= 0 {
			c.problem(joinField(af, "weight"), "must be a whole number greater than 0, got %d", a.Weight)
		}
		switch {
		case a.Goto == "":
			c.problem(joinField(af, "goto"), "goto is required: the step the arm goes on at")
		case c.d.StepIndex(a.Goto) < 0:
			c.problem(joinField(af, "goto"), "unknown step %q%s", a.Goto, suggest(a.Goto, c.stepIDs()))
		}
	}
}

// stepIDs lists the journey's step IDs, for suggestions.
func (c *checker) stepIDs() []string {
	ids := make([]string, 0, len(c.d.Steps))
	for _, s := range c.d.Steps {
		ids = append(ids, s.ID)
	}
	return ids
}

// splitTargets are the steps a split step's arms go on at (each once).
func (c *checker) splitTargets(s Step) []int {
	var out []int
	for _, a := range s.Split {
		if t := c.d.StepIndex(a.Goto); t >= 0 && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}
