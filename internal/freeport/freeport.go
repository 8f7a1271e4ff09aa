// Package freeport hands out TCP ports for servers that bind them later
// (the embedded Temporal server, the chaos suite's child processes).
//
// Asking the kernel for port 0 and closing the listener is racy twice over:
// the kernel hands the same ephemeral range to every outgoing connection on
// the machine, and another test process may be told the same port before
// our server binds it. CI lost a run to exactly that. So ports come from
// below the ephemeral range, where no outgoing connection lands, and each is
// claimed with a lock file that this process holds until it exits, so two
// processes never take the same port.
package freeport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// lowest is the bottom of the range ports are taken from.
const lowest = 20000

// held keeps the lock files of the ports this process has taken open: the
// lock lasts as long as the file, and the process is the lock's owner.
var held struct {
	sync.Mutex
	files []*os.File
}

// Take returns a port on host that no listener holds and no other process
// using this package has taken. The port stays taken until the process exits.
func Take(host string) (int, error) {
	dir := filepath.Join(os.TempDir(), "ripen-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return 0, fmt.Errorf("free port: lock directory: %w", err)
	}
	highest := ephemeralStart() - 1
	if highest <= lowest {
		highest = lowest + 10000
	}
	span := highest - lowest + 1
	start := rand.IntN(span)
	for i := 0; i < span; i++ {
		port := lowest + (start+i)%span
		ok, err := claim(dir, host, port)
		if err != nil {
			return 0, err
		}
		if ok {
			return port, nil
		}
	}
	return 0, fmt.Errorf("free port: every port from %d to %d on %s is taken", lowest, highest, host)
}

// claim locks port's file and checks that nothing listens on the port.
func claim(dir, host string, port int) (bool, error) {
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return false, fmt.Errorf("free port: lock file for %d: %w", port, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		return false, fmt.Errorf("free port: lock %d: %w", port, err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		f.Close()
		return false, nil
	}
	l.Close()
	held.Lock()
	held.files = append(held.files, f)
	held.Unlock()
	return true, nil
}

// ephemeralStart reads where the kernel's range for outgoing ports begins.
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(fields[0])
	if err != nil {
		return 32768
	}
	return n
}
