package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/journey"
)

func (s *journeySuite) TestSendOnFridayEveningWaitsForMondayMorningInContactTimezone() {
	berlin, err := time.LoadLocation("Europe/Berlin")
	s.Require().NoError(err)
	s.env.SetStartTime(time.Date(2026, 11, 27, 19, 0, 0, 0, berlin)) // Friday 19:00
	s.acts.timezone = "Europe/Berlin"
	def := testJourney()
	def.SendWindow = &journey.SendWindow{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "18:00"}
	s.signal(4*day, SignalStop, Control{})
	s.run(def)
	s.Require().NotEmpty(s.acts.sends)
	s.Equal(time.Date(2026, 11, 30, 8, 0, 0, 0, berlin), s.acts.sends[0].At.In(berlin))
}

func (s *journeySuite) TestTimezoneThatFailsToLoadKeepsTheSendWindowInUTC() {
	s.env.SetStartTime(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)) // Saturday
	s.acts.timezone = "Nowhere/Atlantis"
	def := testJourney()
	def.SendWindow = &journey.SendWindow{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "18:00"}
	s.signal(3*day, SignalStop, Control{})
	s.run(def)
	s.Require().NotEmpty(s.acts.sends)
	s.Equal(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC), s.acts.sends[0].At, "Monday 08:00 UTC, not at once")
	s.Contains(s.state().LastError, "send window")
}

func (s *journeySuite) TestFrequencyCapDefersTheSend() {
	s.acts.capUntil = s.start.Add(36 * time.Hour)
	s.signal(3*day, SignalStop, Control{})
	s.run(testJourney())
	s.Require().Len(s.acts.sends, 1)
	s.Equal(s.start.Add(36*time.Hour), s.acts.sends[0].At)
}

func (s *journeySuite) TestSuppressedContactsEndTheRun() {
	s.acts.suppress = true
	s.Equal(OutcomeUnsubscribed, s.run(testJourney()).Outcome)
}

func (s *journeySuite) TestAFailedSendUsesUpItsVisit() {
	// The outbox keeps a failed email: asked again for the same (step,
	// cycle, visit) it fails again ("failed before").
	failed := map[string]bool{}
	var caseStudyVisits []int
	s.acts.onSend = func(req SendRequest) error {
		key := fmt.Sprintf("%s/%d/%d", req.StepID, req.Cycle, req.Visit)
		if req.StepID == "case-study" {
			caseStudyVisits = append(caseStudyVisits, req.Visit)
			if req.Visit == 1 {
				failed[key] = true
			}
		}
		if failed[key] {
			return temporal.NewNonRetryableApplicationError("failed before", "SendFailed", nil)
		}
		return nil
	}
	s.signal(40*day, SignalStop, Control{})
	s.Equal(OutcomeStopped, s.run(testJourney()).Outcome)
	// Case study on days 4 (fails), 18 and 32: each loop is a new email.
	s.Equal([]int{1, 2, 3}, caseStudyVisits)
	s.Equal([]string{"checklist", "reminder", "case-study", "case-study"}, s.acts.sentSteps())
	s.Equal([]int{1, 1, 2, 3}, s.acts.visits)
	s.Contains(s.state().LastError, "send case-study")
}
