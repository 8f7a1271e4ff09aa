package simulate

import (
	"context"
	"fmt"
	"slices"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/workflows"
)

// hasExperiments reports whether def splits or holds accounts out, so the
// customer simulated matters.
func hasExperiments(def *journey.Definition) bool {
	if def.Holdout > 0 {
		return true
	}
	for _, s := range def.Steps {
		if s.Kind() == journey.StepSplit {
			return true
		}
	}
	return false
}

// ChooseArm answers the arm the hash offers: the simulator keeps no arms,
// so every simulated customer is new to the journey. The timeline shows
// the arm taken, or the holdout's decision.
func (r *recorder) ChooseArm(_ context.Context, req workflows.ArmRequest) (workflows.ArmResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.StepID == journey.HoldoutStep {
		detail := fmt.Sprintf("treated: the account gets the journey's emails (holdout %d%%)", r.def.Holdout)
		if req.Arm == journey.ArmHoldout {
			detail = fmt.Sprintf("held out: the account gets no email, and is still scored and handed off (holdout %d%%)", r.def.Holdout)
		}
		r.add("holdout", "", detail)
		return workflows.ArmResult{Arm: req.Arm, First: true}, nil
	}
	detail := "arm " + req.Arm
	if i := r.def.StepIndex(req.StepID); i >= 0 {
		if a := r.def.Steps[i].Arm(req.Arm); a != nil {
			detail += " → " + a.Goto
		}
	}
	r.add("split", req.StepID, detail)
	return workflows.ArmResult{Arm: req.Arm, First: true}, nil
}

// withWithheld adds the sends a held-out run withheld (the run calls no
// activity for them; its state lists them) to the timeline where they
// happened: after what came earlier, and at the same instant after the
// stage, the holdout, the events and the steps before it in the journey
// (the journey cannot loop without time passing, so within an instant
// its steps mostly run in order; a goto back is the exception).
func withWithheld(timeline []Entry, st workflows.State, r *recorder) []Entry {
	before := func(e Entry, step int) bool {
		switch e.Kind {
		case "stage", "holdout", "event", "send-withheld":
			return true
		}
		return e.Step != "" && r.def.StepIndex(e.Step) < step
	}
	for _, w := range st.WithheldSends {
		e := Entry{AtS: r.since(w.At), Kind: "send-withheld", Step: w.StepID, Detail: w.ContentID + ": held out, not sent"}
		step := r.def.StepIndex(w.StepID)
		i := 0
		for i < len(timeline) && (timeline[i].AtS < e.AtS || timeline[i].AtS == e.AtS && before(timeline[i], step)) {
			i++
		}
		timeline = slices.Insert(timeline, i, e)
	}
	return timeline
}
