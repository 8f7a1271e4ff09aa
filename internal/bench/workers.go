package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/freeport"
)

// Workers are ripen's worker processes: the bench process's own worker
// and, with --workers N, N-1 child processes.
type Workers struct {
	Count int `json:"count"`
	// Children are the extra worker processes.
	Children []ChildWorker `json:"children"`
}

// ChildWorker is one extra worker process and its memory.
type ChildWorker struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	Log  string `json:"log"`
	// RSS after the enrolment phase and at the end (before it stopped),
	// and the peak (VmHWM) at the end.
	RSSAfterEnrolmentMiB float64 `json:"rss_after_enrolment_mib"`
	RSSEndMiB            float64 `json:"rss_end_mib"`
	PeakRSSMiB           float64 `json:"peak_rss_mib"`
	Exit                 string  `json:"exit,omitempty"`
}

// child is a running extra worker process.
type child struct {
	name, control, logPath string
	cmd                    *exec.Cmd
	done                   chan struct{}
	err                    error
}

// childHTTP talks to the children's control listeners.
var childHTTP = &http.Client{Timeout: 10 * time.Second}

// startWorkers starts Workers-1 extra worker processes of the bench's own
// binary (Config.WorkerCommand) connected to the stack's Temporal, database
// and SendGrid, configured as `ripen worker` is: through the environment.
func (b *bench) startWorkers(ctx context.Context) error {
	n := b.cfg.Workers - 1
	b.rep.Workers.Count, b.rep.Workers.Children = b.cfg.Workers, []ChildWorker{}
	if n < 1 {
		return nil
	}
	argv := b.cfg.WorkerCommand
	if len(argv) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		argv = []string{exe, "bench-worker"}
	}
	links, err := os.ReadFile(filepath.Join(b.rep.Settings.DataDir, "link-keys"))
	if err != nil {
		return fmt.Errorf("the stack's link keys: %w", err)
	}
	env := append(config.ForeignEnv(os.Environ()),
		"DATABASE_URL="+b.st.DatabaseURL,
		"TEMPORAL_ADDRESS="+b.st.TemporalAddress,
		"TEMPORAL_NAMESPACE=default",
		"RIPEN_LINK_KEYS="+strings.TrimSpace(string(links)),
		"RIPEN_CODEC=off", // the stack's worker and API use no codec either
		"RIPEN_PUBLIC_URL="+b.st.APIURL,
		"SENDGRID_API_KEY=dev",
		"SENDGRID_BASE_URL="+b.st.SendGridURL,
		"RIPEN_WEBHOOKS_ALLOW_PRIVATE=true",
		"RIPEN_LOG_FORMAT=console",
		"RIPEN_LOG_LEVEL="+logLevel(b.cfg),
	)
	if b.st.UIURL != "" {
		env = append(env, "RIPEN_TEMPORAL_UI_URL="+b.st.UIURL)
	}
	w := b.cfg.Worker
	for name, v := range map[string]int{
		"RIPEN_WORKER_WORKFLOW_POLLERS":              w.WorkflowPollers,
		"RIPEN_WORKER_ACTIVITY_POLLERS":              w.ActivityPollers,
		"RIPEN_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS": w.MaxConcurrentWorkflowTasks,
		"RIPEN_WORKER_MAX_CONCURRENT_ACTIVITIES":     w.MaxConcurrentActivities,
		"RIPEN_WORKER_STICKY_CACHE_SIZE":             b.cfg.StickyCacheSize,
	} {
		if v > 0 {
			env = append(env, name+"="+strconv.Itoa(v))
		}
	}
	b.progress("workers: starting %d more worker process(es) (%s)", n, strings.Join(argv, " "))
	for i := range n {
		ports := make([]int, 2)
		for j := range ports {
			if ports[j], err = freeport.Take("127.0.0.1"); err != nil {
				return err
			}
		}
		c := &child{
			name:    fmt.Sprintf("worker-%d", i+2),
			control: "127.0.0.1:" + strconv.Itoa(ports[0]),
			logPath: filepath.Join(b.rep.Settings.DataDir, fmt.Sprintf("worker-%d.log", i+2)),
			done:    make(chan struct{}),
		}
		ops := "127.0.0.1:" + strconv.Itoa(ports[1])
		logf, err := os.Create(c.logPath)
		if err != nil {
			return err
		}
		c.cmd = exec.Command(argv[0], argv[1:]...)
		c.cmd.Env = append(append([]string(nil), env...), workerControlEnv+"="+c.control, "RIPEN_OPS_ADDR="+ops)
		c.cmd.Stdout, c.cmd.Stderr = logf, logf
		// Its own process group, so a Ctrl-C reaches the bench, which stops
		// it in order; SIGKILL if the bench dies, so none outlives it.
		c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := c.cmd.Start(); err != nil {
			logf.Close()
			return fmt.Errorf("start %s: %w", c.name, err)
		}
		go func() {
			c.err = c.cmd.Wait()
			logf.Close()
			close(c.done)
		}()
		b.children = append(b.children, c)
		b.rep.Workers.Children = append(b.rep.Workers.Children, ChildWorker{Name: c.name, PID: c.cmd.Process.Pid, Log: c.logPath})
		if err := c.waitReady(ctx, "http://"+ops+"/readyz"); err != nil {
			return err
		}
	}
	b.progress("workers: %d worker processes polling (this one and %d children)", b.cfg.Workers, n)
	return nil
}

// waitReady waits until the child's control listener answers and its
// worker's /readyz says Postgres and Temporal answer.
func (c *child) waitReady(ctx context.Context, readyz string) error {
	deadline := time.Now().Add(90 * time.Second)
	for {
		var rc rawCounts
		err := c.get(ctx, "/bench/counts", &rc)
		if err == nil {
			err = call(ctx, http.MethodGet, readyz, nil)
		}
		if err == nil {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("%s exited while starting: %v; the end of its log:\n%s", c.name, c.err, logTail(c.logPath))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after 90s: %v (see %s)", c.name, err, c.logPath)
		}
	}
}

// call sends a request without a body to a child's listener and wants
// 200; out, if not nil, takes the JSON answer. A refusal names the start of
// the answer's body.
func call(ctx context.Context, method, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	resp, err := childHTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var msg [300]byte
		n, _ := resp.Body.Read(msg[:])
		return fmt.Errorf("%s %s: %s %s", method, u, resp.Status, strings.TrimSpace(string(msg[:n])))
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (c *child) get(ctx context.Context, path string, out any) error {
	if err := call(ctx, http.MethodGet, "http://"+c.control+path, out); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

func (c *child) post(ctx context.Context, path string, q url.Values) error {
	u := "http://" + c.control + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	if err := call(ctx, http.MethodPost, u, nil); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// rawCounts sums what every process's raw workflows have handled. A child
// that does not answer counts nothing this time (the caller polls again).
func (b *bench) rawCounts() rawCounts {
	sum := b.rawLocal.snapshot()
	for _, c := range b.children {
		var rc rawCounts
		if err := c.get(context.Background(), "/bench/counts", &rc); err == nil {
			sum.Signals += rc.Signals
			sum.Activities += rc.Activities
		}
	}
	return sum
}

// stopChildRawWorkers ends the raw phase in the children, as the bench's
// own raw worker stops then.
func (b *bench) stopChildRawWorkers() {
	for _, c := range b.children {
		if err := c.post(context.Background(), "/bench/raw/stop", nil); err != nil {
			b.progress("workers: %v", err)
		}
	}
}

// sampleChildren records each child's RSS; atEnd also its peak.
func (b *bench) sampleChildren(atEnd bool) {
	for i, c := range b.children {
		st := procStatusOf(c.cmd.Process.Pid)
		cw := &b.rep.Workers.Children[i]
		if atEnd {
			cw.RSSEndMiB, cw.PeakRSSMiB = mib(st["VmRSS"]*1024), mib(st["VmHWM"]*1024)
		} else {
			cw.RSSAfterEnrolmentMiB = mib(st["VmRSS"] * 1024)
		}
	}
}

// childrenRSSMiB is the children's RSS now, together.
func (b *bench) childrenRSSMiB() float64 {
	var sum float64
	for _, c := range b.children {
		sum += mib(procStatusOf(c.cmd.Process.Pid)["VmRSS"] * 1024)
	}
	return round3(sum)
}

// stopWorkers ends the children politely (SIGTERM: the worker drains),
// then with SIGKILL after a grace period, and records how each ended.
func (b *bench) stopWorkers() {
	if len(b.children) == 0 {
		return
	}
	b.sampleChildren(true)
	for _, c := range b.children {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
	}
	for i, c := range b.children {
		select {
		case <-c.done:
		case <-time.After(45 * time.Second):
			_ = c.cmd.Process.Signal(syscall.SIGKILL)
			<-c.done
		}
		exit := "stopped cleanly"
		if c.err != nil {
			exit = c.err.Error()
		}
		b.rep.Workers.Children[i].Exit = exit
	}
	b.children = nil
}

// childExits names children that have exited before the bench stopped them.
func (b *bench) childExits() error {
	var errs []error
	for _, c := range b.children {
		select {
		case <-c.done:
			errs = append(errs, fmt.Errorf("%s exited: %v; the end of its log:\n%s", c.name, c.err, logTail(c.logPath)))
		default:
		}
	}
	return errors.Join(errs...)
}

// logLevel is the stack's log level, for the children.
func logLevel(c Config) string {
	if l := c.Log.GetLevel().String(); l != "" && l != "trace" {
		return l
	}
	return "error"
}

// logTail is the last lines of a child's log (the log goes with the data
// directory unless --keep).
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}
