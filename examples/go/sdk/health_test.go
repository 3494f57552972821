package sdk

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(args []string, env map[string]string) (int, string) {
	var out bytes.Buffer
	code := HealthCommand(args, func(k string) string { return env[k] }, &out)
	return code, strings.TrimSpace(out.String())
}

func TestHealthSubcommandAgainstARunningServer(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "p.sock")
	listener, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	server := NewServer()
	go func() { _ = server.Serve(listener) }()
	defer server.Stop()

	if code, line := run([]string{"--socket", socket}, nil); code != 0 || line != "SERVING unix:"+socket {
		t.Fatalf("serving program: %d %q", code, line)
	}
	// ANGZARR_SOCKET when --socket is absent, as the chart's sidecars have it.
	if code, _ := run(nil, map[string]string{"ANGZARR_SOCKET": socket}); code != 0 {
		t.Fatalf("ANGZARR_SOCKET: exit %d", code)
	}
	code, line := run([]string{"--socket", socket, "--service", "no.such.Service"}, nil)
	if code != 1 || !strings.HasPrefix(line, "NOT_SERVING unix:"+socket+": unknown service") {
		t.Fatalf("unknown service: %d %q", code, line)
	}
}

func TestHealthSubcommandWithNothingListening(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "none.sock")
	code, line := run([]string{"--socket", socket, "--timeout", "300"}, nil)
	if code != 1 || !strings.HasPrefix(line, "NOT_SERVING unix:") || strings.Contains(line, "\n") {
		t.Fatalf("nothing listening: %d %q", code, line)
	}
}

func TestHealthSubcommandBadUsage(t *testing.T) {
	if code, line := run(nil, nil); code != 2 || line != "health: no socket: pass --socket PATH or set ANGZARR_SOCKET" {
		t.Fatalf("no socket: %d %q", code, line)
	}
	if code, _ := run([]string{"--socket", os.DevNull, "--timeout", "soon"}, nil); code != 2 {
		t.Fatalf("bad timeout: exit %d", code)
	}
	if code, _ := run([]string{"--bogus"}, nil); code != 2 {
		t.Fatalf("unknown option: exit %d", code)
	}
}
