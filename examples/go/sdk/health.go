package sdk

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	health "angzarr.dev/examples/gen/health"
)

// HealthUsage is the `health` subcommand's help, the same as the TypeScript programs'.
const HealthUsage = `usage: <program> health [--socket PATH] [--service NAME] [--timeout MS]

  --socket PATH   the program's socket (default: ANGZARR_SOCKET)
  --service NAME  a service name to check (default "": the whole program)
  --timeout MS    give up after this many milliseconds (default 2000)
exit 0 when the program answers SERVING, 1 when it does not, 2 on bad usage`

// Probe asks the program on the socket for grpc.health.v1 Check: whether it is SERVING, and the
// one line to print (`SERVING unix:PATH`, or `NOT_SERVING unix:PATH: why`).
func Probe(socket, service string, timeout time.Duration) (bool, string) {
	address := "unix:" + socket
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	dial := func(ctx context.Context, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", socket)
	}
	conn, err := grpc.DialContext(ctx, "passthrough:///"+socket, grpc.WithInsecure(), grpc.WithContextDialer(dial))
	if err != nil {
		return false, fmt.Sprintf("NOT_SERVING %s: %s", address, firstLine(err.Error()))
	}
	defer conn.Close()
	answer, err := health.NewHealthClient(conn).Check(ctx, &health.HealthCheckRequest{Service: service})
	if err != nil {
		why := err.Error()
		if s, ok := status.FromError(err); ok {
			why = s.Message()
		}
		return false, fmt.Sprintf("NOT_SERVING %s: %s", address, firstLine(why))
	}
	return answer.Status == health.HealthCheckResponse_SERVING, fmt.Sprintf("%s %s", answer.Status, address)
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

// HealthCommand runs `<program> health ARGS`: probes, writes one line to out, returns the exit
// code (0 SERVING, 1 not, 2 bad usage). getenv supplies ANGZARR_SOCKET.
func HealthCommand(args []string, getenv func(string) string, out io.Writer) int {
	values := map[string]string{}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "-h" || arg == "--help" {
			fmt.Fprintln(out, HealthUsage)
			return 0
		}
		name, inline, hasInline := strings.Cut(arg, "=")
		if name != "--socket" && name != "--service" && name != "--timeout" {
			fmt.Fprintf(out, "health: unknown option %q\n", arg)
			return 2
		}
		switch {
		case hasInline:
			values[name] = inline
		case i+1 < len(args):
			i++
			values[name] = args[i]
		default:
			fmt.Fprintf(out, "health: option %s needs a value\n", name)
			return 2
		}
	}
	socket := values["--socket"]
	if socket == "" {
		socket = getenv("ANGZARR_SOCKET")
	}
	if socket == "" {
		fmt.Fprintln(out, "health: no socket: pass --socket PATH or set ANGZARR_SOCKET")
		return 2
	}
	timeout := 2000
	if text, given := values["--timeout"]; given {
		n, err := strconv.Atoi(text)
		if err != nil || n <= 0 {
			fmt.Fprintf(out, "health: --timeout expects a positive integer (milliseconds), got %q\n", text)
			return 2
		}
		timeout = n
	}
	ok, line := Probe(socket, values["--service"], time.Duration(timeout)*time.Millisecond)
	fmt.Fprintln(out, line)
	if ok {
		return 0
	}
	return 1
}
