package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// ArmChoice is the arm an account takes at a split step of a journey (or
// its holdout decision, step journey.HoldoutStep), as the run that reached
// the step offers it.
type ArmChoice struct {
	JourneyID  string
	Version    int
	CustomerID string
	StepID     string
	Arm        string
}

const sqlInsertArm = `
INSERT INTO experiment_arms (journey_id, customer_id, step_id, arm, version)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (journey_id, customer_id, step_id) DO NOTHING
RETURNING arm`

const sqlArm = `
SELECT arm FROM experiment_arms WHERE journey_id = $1 AND customer_id = $2 AND step_id = $3`

// TakeArm records c's arm unless the account took one at the step before,
// and returns the account's arm: c.Arm and first true when this call
// recorded it, else the arm recorded first ("first arm wins"). A repeated
// call answers the same arm, so it is safe to retry. Two statements, not
// one: when a concurrent call records the arm first, the insert waits for
// it and does nothing, and only a new statement's snapshot sees its row.
func (s *Store) TakeArm(ctx context.Context, c ArmChoice) (arm string, first bool, err error) {
	err = s.pool.QueryRow(ctx, sqlInsertArm, c.JourneyID, c.CustomerID, c.StepID, c.Arm, c.Version).Scan(&arm)
	if err == nil {
		return arm, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return "", false, pgErr("record", "experiment arm", c.JourneyID+"/"+c.CustomerID+"/"+c.StepID, err)
	}
	if err := s.pool.QueryRow(ctx, sqlArm, c.JourneyID, c.CustomerID, c.StepID).Scan(&arm); err != nil {
		return "", false, pgErr("read", "experiment arm", c.JourneyID+"/"+c.CustomerID+"/"+c.StepID, err)
	}
	return arm, false, nil
}
