package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// proc is one child process of the stack (Temporal, a worker, the API, the
// local SendGrid server) that the suite can kill with SIGKILL and start
// again with the same arguments. Its output goes to a log file.
type proc struct {
	name    string
	argv    []string
	env     []string
	logPath string
	// ready reports whether a freshly started process serves; nil: at once.
	ready func(ctx context.Context) error

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{} // closed when the current process has exited
	killed   bool          // the current process was killed on purpose
	stopping bool
	// held: the suite is taking the process down and up on purpose; the
	// supervisor leaves it alone.
	held   bool
	starts int
	// unexpected lists exits nobody asked for.
	unexpected []string
}

// start runs the process and waits until it is ready.
func (p *proc) start(ctx context.Context) error {
	p.mu.Lock()
	if p.cmd != nil {
		p.mu.Unlock()
		return fmt.Errorf("%s is already running", p.name)
	}
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.mu.Unlock()
		return err
	}
	fmt.Fprintf(logf, "\n=== chaos: start %s at %s\n", p.name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so a Ctrl-C in the terminal reaches only the
	// suite, which then stops the children in order; and SIGKILL if the
	// suite itself dies, so no child outlives it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		p.mu.Unlock()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.killed = cmd, done, false
	p.starts++
	p.mu.Unlock()

	go func() {
		err := cmd.Wait()
		logf.Close()
		p.mu.Lock()
		if !p.killed && !p.stopping {
			p.unexpected = append(p.unexpected, fmt.Sprintf("%s exited on its own at %s: %v (log %s)", p.name, time.Now().Format("15:04:05.000"), err, p.logPath))
		}
		if p.cmd == cmd {
			p.cmd = nil
		}
		p.mu.Unlock()
		close(done)
	}()

	if p.ready == nil {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		err := p.ready(rctx)
		if err == nil {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("%s exited while starting (see %s)", p.name, p.logPath)
		case <-rctx.Done():
			return fmt.Errorf("%s not ready after 60s: %v (see %s)", p.name, err, p.logPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// running reports whether the process is up.
func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// kill sends SIGKILL and waits until the process is gone. It returns the
// moment the signal went out.
func (p *proc) kill() (time.Time, error) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	if cmd == nil {
		p.mu.Unlock()
		return time.Time{}, fmt.Errorf("%s is not running", p.name)
	}
	p.killed = true
	at := time.Now()
	err := cmd.Process.Signal(syscall.SIGKILL)
	p.mu.Unlock()
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return at, fmt.Errorf("kill %s: %w", p.name, err)
	}
	<-done
	return at, nil
}

// stop ends the process politely (SIGTERM), then with SIGKILL after grace.
func (p *proc) stop(grace time.Duration) {
	p.mu.Lock()
	p.stopping = true
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// hold keeps the supervisor away while a fault is injected; release lets
// it watch again.
func (p *proc) hold() {
	p.mu.Lock()
	p.held = true
	p.mu.Unlock()
}

func (p *proc) release() {
	p.mu.Lock()
	p.held = false
	p.mu.Unlock()
}

// needsRestart: down, not on purpose, not being stopped.
func (p *proc) needsRestart() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd == nil && !p.held && !p.stopping
}

func (p *proc) unexpectedExits() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.unexpected...)
}
