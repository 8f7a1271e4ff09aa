package freeport

import (
	"net"
	"strconv"
	"testing"
)

func TestTakenPortsAreDistinctBindableAndOutsideTheEphemeralRange(t *testing.T) {
	seen := map[int]bool{}
	for i := 0; i < 50; i++ {
		port, err := Take("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if seen[port] {
			t.Fatalf("port %d handed out twice", port)
		}
		seen[port] = true
		if port < lowest || port >= ephemeralStart() {
			t.Fatalf("port %d is outside [%d, %d)", port, lowest, ephemeralStart())
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatalf("port %d cannot be bound: %v", port, err)
		}
		l.Close()
	}
}

func TestAPortSomeoneListensOnIsNotHandedOut(t *testing.T) {
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	ok, err := claim(dir, "127.0.0.1", busy)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Fatalf("port %d is listened on but was claimed", busy)
	}
}

func TestAPortAnotherHolderLockedIsNotHandedOut(t *testing.T) {
	dir := t.TempDir()
	port, err := Take("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// A second claim in a fresh directory succeeds; in the same one it must not.
	ok, err := claim(dir, "127.0.0.1", port)
	if err != nil || !ok {
		t.Fatalf("first claim in a fresh directory: ok=%v err=%v", ok, err)
	}
	ok, err = claim(dir, "127.0.0.1", port)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Fatalf("port %d claimed twice in one lock directory", port)
	}
}
