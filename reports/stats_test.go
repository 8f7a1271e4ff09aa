package reports

import "testing"

// The textbook case: 45 of 100 against 30 of 100. A pooled two-proportion
// z-test gives z = 2.191 (χ² = 4.8 with one degree of freedom), p = 0.0285,
// as R's prop.test(c(45, 30), c(100, 100), correct = FALSE) answers.
func TestThePValueOfTheTextbookCase(t *testing.T) {
	p := pValue([]Funnel{{Enrolled: 100, MQN: 45}, {Enrolled: 100, MQN: 30}})
	if p == nil || *p != 0.0285 {
		t.Fatalf("p = %v, want 0.0285", p)
	}
	// Three arms: Pearson's χ² with two degrees of freedom. 10/100, 20/100,
	// 30/100: χ² = 12.5, p = e^(-12.5/2) = 0.0019.
	p = pValue([]Funnel{{Enrolled: 100, MQN: 10}, {Enrolled: 100, MQN: 20}, {Enrolled: 100, MQN: 30}})
	if p == nil || *p != 0.0019 {
		t.Fatalf("three arms: p = %v, want 0.0019", p)
	}
}

func TestNoPValueWhereThereIsNothingToTest(t *testing.T) {
	for name, groups := range map[string][]Funnel{
		"one arm":             {{Enrolled: 10, MQN: 3}},
		"an arm without runs": {{Enrolled: 10, MQN: 3}, {}},
		"nobody reached MQN":  {{Enrolled: 10}, {Enrolled: 12}},
		"everybody did":       {{Enrolled: 10, MQN: 10}, {Enrolled: 4, MQN: 4}},
	} {
		if p := pValue(groups); p != nil {
			t.Errorf("%s: p = %v, want none", name, *p)
		}
	}
}

func TestPercentilesAreNearestRank(t *testing.T) {
	days := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tc := range []struct{ p, want float64 }{{50, 5}, {90, 9}, {100, 10}, {1, 1}} {
		if got := percentile(days, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := percentile([]float64{7}, 90); got != 7 {
		t.Errorf("one value: p90 = %v, want 7", got)
	}
}
