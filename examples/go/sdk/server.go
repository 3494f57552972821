package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	health "angzarr.dev/examples/gen/health"
)

// Registrar is what generated Register*Server functions take (grpc-go 1.33).
type Registrar = *grpc.Server

// Service is one gRPC service of a program: its full name (reported SERVING) and registration.
type Service struct {
	Name     string
	Register func(Registrar)
}

// Log writes one structured line on stdout (the runtime forwards it into its log).
func Log(event string, fields map[string]any) {
	line := map[string]any{"event": event}
	for k, v := range fields {
		line[k] = v
	}
	b, _ := json.Marshal(line)
	fmt.Println(string(b))
}

type healthServer struct {
	health.UnimplementedHealthServer
	serving map[string]bool
}

func (h healthServer) Check(_ context.Context, request *health.HealthCheckRequest) (*health.HealthCheckResponse, error) {
	if !h.serving[request.Service] {
		return nil, status.Errorf(codes.NotFound, "unknown service %s", request.Service)
	}
	return &health.HealthCheckResponse{Status: health.HealthCheckResponse_SERVING}, nil
}

func (h healthServer) List(context.Context, *health.HealthListRequest) (*health.HealthListResponse, error) {
	statuses := map[string]*health.HealthCheckResponse{}
	for name := range h.serving {
		statuses[name] = &health.HealthCheckResponse{Status: health.HealthCheckResponse_SERVING}
	}
	return &health.HealthListResponse{Statuses: statuses}, nil
}

// NewServer builds a gRPC server with the services and grpc.health.v1 (SERVING for "" and each).
func NewServer(services ...Service) *grpc.Server {
	maxBytes := 64 * 1024 * 1024
	if n, err := strconv.Atoi(os.Getenv("ANGZARR_MAX_MESSAGE_BYTES")); err == nil && n > 0 {
		maxBytes = n
	}
	server := grpc.NewServer(grpc.MaxRecvMsgSize(maxBytes), grpc.MaxSendMsgSize(maxBytes))
	serving := map[string]bool{"": true}
	for _, s := range services {
		s.Register(server)
		serving[s.Name] = true
	}
	health.RegisterHealthServer(server, healthServer{serving: serving})
	return server
}

// SocketFromArgs is `--socket PATH`, else ANGZARR_SOCKET.
func SocketFromArgs(args []string) string {
	for i, a := range args {
		if a == "--socket" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return os.Getenv("ANGZARR_SOCKET")
}

// Serve listens on the Unix socket the coordinator names until SIGTERM/SIGINT, or until the
// runtime that started it (ANGZARR_PARENT_PID) is gone. `<program> health ...` probes a running
// instance instead (HealthCommand) and exits.
func Serve(services ...Service) {
	if len(os.Args) > 1 && os.Args[1] == "health" {
		os.Exit(HealthCommand(os.Args[2:], os.Getenv, os.Stdout))
	}
	socket := SocketFromArgs(os.Args[1:])
	if socket == "" {
		fmt.Fprintln(os.Stderr, `{"event":"handler.config_error","message":"no socket: pass --socket PATH or set ANGZARR_SOCKET"}`)
		os.Exit(2)
	}
	_ = os.Remove(socket)
	listener, err := net.Listen("unix", socket)
	if err != nil {
		fmt.Fprintf(os.Stderr, "{\"event\":\"handler.listen_failed\",\"error\":%q}\n", err.Error())
		os.Exit(1)
	}
	server := NewServer(services...)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go watchParent(func() { stop <- syscall.SIGTERM })
	go func() {
		<-stop
		server.GracefulStop()
	}()
	Log("handler.listening", map[string]any{"socket": socket, "pid": os.Getpid(), "transport": "grpc"})
	if err := server.Serve(listener); err != nil {
		fmt.Fprintf(os.Stderr, "{\"event\":\"handler.serve_failed\",\"error\":%q}\n", err.Error())
		os.Exit(1)
	}
}

func watchParent(onGone func()) {
	pid, err := strconv.Atoi(os.Getenv("ANGZARR_PARENT_PID"))
	if err != nil || pid <= 1 {
		return
	}
	direct := os.Getppid() == pid
	for {
		time.Sleep(500 * time.Millisecond)
		alive := os.Getppid() == pid
		if !direct {
			alive = syscall.Kill(pid, 0) != syscall.ESRCH
		}
		if !alive {
			Log("handler.parent_gone", map[string]any{"pid": os.Getpid()})
			onGone()
			return
		}
	}
}
