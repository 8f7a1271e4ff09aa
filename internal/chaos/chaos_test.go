package chaos

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// timedInvariant is the one invariant that bounds a time.
const timedInvariant = "hostile-latency"

// TestShortForm is the CI form of `ripen-dev chaos --short`: 100 customers
// through the journey while workers and the Temporal server are killed,
// SendGrid fails and the webhook is stormed; every invariant must hold.
func TestShortForm(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos suite runs the whole stack for a few minutes")
	}
	bin := t.TempDir()
	build := func(out, pkg string) {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, out), pkg)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	start := time.Now()
	build("ripen", "github.com/ripen/ripen/cmd/ripen")
	build("ripen-dev", "github.com/ripen/ripen/cmd/ripen-dev")
	t.Logf("built the binaries in %s", time.Since(start).Round(time.Second))

	cfg := Defaults(true)
	cfg.RipenBin = filepath.Join(bin, "ripen")
	cfg.TemporalCommand = []string{filepath.Join(bin, "ripen-dev"), "temporal"}
	cfg.WorkDir = t.TempDir()
	var progress bytes.Buffer
	cfg.Progress = &progress
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Log(progress.String())
		t.Fatalf("chaos run: %v (logs in %s)", err, cfg.WorkDir)
	}
	var out strings.Builder
	rep.Print(&out)
	t.Log(progress.String() + out.String())

	doc := filepath.Join(t.TempDir(), "RELIABILITY.md")
	if err := rep.WriteFile(doc); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(doc); !bytes.Contains(b, []byte("## Figures of the last run")) {
		t.Errorf("RELIABILITY.md lacks its figures:\n%s", b)
	}
	if rep.Load.Enrolled != cfg.Customers {
		t.Errorf("enrolled %d of %d customers", rep.Load.Enrolled, cfg.Customers)
	}
	if len(rep.Faults) < cfg.WorkerKills+2 {
		t.Errorf("only %d faults injected, want at least %d worker kills, the Temporal kill and the SendGrid faults", len(rep.Faults), cfg.WorkerKills)
	}
	if n := rep.Violations(); n > 0 {
		for _, inv := range rep.Invariants {
			for _, v := range inv.Violations {
				if inv.Name == timedInvariant {
					// A latency bound is a figure of the chaos report
					// (ripen-dev chaos), not an assertion here, where
					// every other package's tests share the machine.
					t.Logf("[%s] measured, not asserted under go test: %s", inv.Name, v.Detail)
					continue
				}
				t.Errorf("[%s] run=%s step=%s: %s", inv.Name, v.Run, v.Step, v.Detail)
			}
		}
	}
}

func TestPlanKeepsWorkerKillsApartAndClearOfOutages(t *testing.T) {
	for _, short := range []bool{true, false} {
		cfg := Defaults(short)
		p := makePlan(cfg, rand.New(rand.NewPCG(1, 2)))
		if len(p.kills) != cfg.WorkerKills {
			t.Fatalf("short=%v: %d kills planned, want %d", short, len(p.kills), cfg.WorkerKills)
		}
		for i, k := range p.kills {
			if i > 0 && k-p.kills[i-1] < 5*time.Second {
				t.Errorf("short=%v: kills at %s and %s are closer than 5s", short, p.kills[i-1], k)
			}
			if k > p.temporalKill-6*time.Second && k < p.temporalKill+p.temporalDown+8*time.Second {
				t.Errorf("short=%v: kill at %s overlaps the Temporal outage at %s", short, k, p.temporalKill)
			}
			if k >= p.faultEnd {
				t.Errorf("short=%v: kill at %s after the faults end (%s)", short, k, p.faultEnd)
			}
		}
		if short != (p.postgresAt == 0) {
			t.Errorf("short=%v: Postgres restart at %s", short, p.postgresAt)
		}
	}
}

func TestPopulationUnsubscribesTenPercentOfContactsOutsideTheFastLane(t *testing.T) {
	cs := population(rand.New(rand.NewPCG(3, 4)), 1000, 10)
	contacts, unsubs := 0, 0
	for _, c := range cs {
		for _, ct := range c.Contacts {
			contacts++
			if ct.Unsub != "" {
				unsubs++
				if c.Role == roleFastLane || c.Role == roleLooker {
					t.Errorf("%s (%s) unsubscribes", ct.ID, c.Role)
				}
			}
		}
	}
	if got := float64(unsubs) / float64(contacts); got < 0.095 || got > 0.105 {
		t.Errorf("%d of %d contacts unsubscribe (%.1f%%), want 10%%", unsubs, contacts, 100*got)
	}
}

func TestEmailKeyTellsStepsCyclesAndRemindersApart(t *testing.T) {
	content := func(step, cycle string) sendgridMessage {
		return sendgridMessage{CustomArgs: map[string]string{"ripen_run": "ripen/j/c", "ripen_step": step, "ripen_cycle": cycle, "ripen_contact": "c-1"}}
	}
	owner := func(kind, html string) sendgridMessage {
		return sendgridMessage{HTML: html, CustomArgs: map[string]string{"ripen_run": "ripen/j/c", "ripen_handoff": "h1", "ripen_kind": kind}}
	}
	keys := map[string]bool{}
	for _, m := range []sendgridMessage{
		content("welcome", "1"), content("welcome", "2"), content("offer", "1"),
		owner("handoff", "<p>A customer of yours is ready</p>"),
		owner("reminder", "<strong>Reminder 1:</strong>"), owner("reminder", "<strong>Reminder 2:</strong>"),
	} {
		k, _, _, _ := emailKey(m)
		if keys[k] {
			t.Errorf("two different emails share the key %s", k)
		}
		keys[k] = true
	}
	if k1, _, _, _ := emailKey(content("welcome", "1")); !keys[k1] {
		t.Errorf("the same email has another key the second time")
	}
}

func TestDiagnosisNamesKnownFailureModes(t *testing.T) {
	rep := &Report{Invariants: []*Invariant{
		{Name: invHandoffs, Violations: []Violation{{Detail: "cycle 1 qualified 2 times (…) but has 1 hand-off(s): a later MQN got the earlier, closed hand-off back"}}},
		{Name: invAcked, Violations: []Violation{{Detail: "two different answers were both acknowledged (…)"}, {Detail: "something new"}}},
	}}
	d := rep.diagnose()
	if d.Counts[0] != 1 || d.Counts[1] != 1 || d.Unexplained != 1 {
		t.Errorf("diagnosis counts %v, unexplained %d; want [1 1 0 0], 1", d.Counts, d.Unexplained)
	}
}
