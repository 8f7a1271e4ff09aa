package activities

import (
	"context"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// ChooseArm records the arm an account takes at a split step (or its
// holdout decision) unless it took one there before, and answers the
// account's arm: the first recorded wins, across runs, versions and
// re-enrolments. It is idempotent: (journey, customer, step) is the
// table's key, so a retry finds the row the first attempt wrote and
// answers the same arm. An unknown journey or customer is the request's
// fault and fails for good; the run then follows the hash.
func (a *Activities) ChooseArm(ctx context.Context, req workflows.ArmRequest) (workflows.ArmResult, error) {
	arm, first, err := a.Store.TakeArm(ctx, store.ArmChoice{
		JourneyID: req.JourneyID, Version: req.Version, CustomerID: req.CustomerID, StepID: req.StepID, Arm: req.Arm,
	})
	if err != nil {
		return workflows.ArmResult{}, storeError(err, "Arm", "keep the arm of "+req.JourneyID+"/"+req.CustomerID+" at "+req.StepID)
	}
	return workflows.ArmResult{Arm: arm, First: first}, nil
}
