package engagement

import (
	"testing"
	"time"
)

// A link counts once a day however often it is followed, so replaying it
// cannot raise the score; the next day it counts again.
func TestAClickCountsOncePerLinkAndDay(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	morning := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	same := []time.Time{morning.Add(time.Minute), morning.Add(15 * time.Hour), time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC).In(berlin)}
	for _, at := range same {
		if clickID("tok-a", at) != clickID("tok-a", morning) {
			t.Errorf("a click at %v counted apart from one at %v", at, morning)
		}
	}
	if clickID("tok-a", morning.Add(24*time.Hour)) == clickID("tok-a", morning) {
		t.Error("a click the next day did not count again")
	}
	if clickID("tok-b", morning) == clickID("tok-a", morning) {
		t.Error("two links share a click")
	}
}
