// kube-stream: what crictl and kubectl do with the URL that Exec, Attach or
// PortForward answers, through client-go's own streaming code
// (k8s.io/client-go/tools/remotecommand and tools/portforward, from Debian's
// golang-k8s-client-go-dev), for fakecri's tests.
//
//	kube-stream exec URL [-transport spdy|websocket|fallback] [-stdin] [-tty] [-resize WxH]
//	kube-stream portforward URL PORT [-transport spdy|websocket|fallback]
//
// exec (also attach: the same executor on an attach URL): our stdin (with
// -stdin) is the remote stdin, stdout and stderr come out on ours. The exit
// code is the remote command's, as crictl's: remotecommand answers a
// CodeExitError for a non-zero exit; any other error is printed and exits 1.
// The transport is crictl's --transport (spdy: NewSPDYExecutor with POST;
// websocket: NewWebSocketExecutor with GET) or kubectl's default, fallback:
// WebSocket first, SPDY when the upgrade fails.
//
// portforward: crictl's port-forward (portforward.New on a SPDY dialer, or
// the SPDY-over-WebSocket tunnelling dialer) on a free local port; once
// ready, one connection to it carries our stdin to the pod's PORT and its
// bytes to our stdout. Errors the forwarder reports go to stderr.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	utilexec "k8s.io/client-go/util/exec"
	// GOPATH mode: client-go's k8s.io/klog/v2 is this package (Debian's klog).
	"k8s.io/klog"
)

// klog writes errors to stderr even when it logs to an output of its own
// (-stderrthreshold=ERROR); only its flags turn that off.
func quietKlog() {
	kf := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(kf)
	_ = kf.Set("logtostderr", "false")
	_ = kf.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: kube-stream exec|portforward URL ...")
	}
	mode, raw := os.Args[1], os.Args[2]
	u, err := url.Parse(raw)
	if err != nil {
		fail("bad URL: " + err.Error())
	}
	switch mode {
	case "exec":
		// Our stderr is the remote stderr; client-go's own log stays out
		// of it (its errors come back as values). Debian's client-go 0.32
		// starts the WebSocket reader before it creates the streams, and
		// logs "Unknown stream id 1" when the server's first message (an
		// empty one on stdout, as the kubelet sends) wins that race.
		quietKlog()
		fs := flag.NewFlagSet("exec", flag.ExitOnError)
		transport := fs.String("transport", "spdy", "spdy, websocket or fallback")
		stdin := fs.Bool("stdin", false, "send our stdin")
		tty := fs.Bool("tty", false, "a terminal")
		resize := fs.String("resize", "", "terminal size to send, WxH")
		fs.Parse(os.Args[3:])
		os.Exit(execute(u, *transport, *stdin, *tty, *resize))
	case "portforward":
		if len(os.Args) < 4 {
			fail("usage: kube-stream portforward URL PORT [-transport ...]")
		}
		fs := flag.NewFlagSet("portforward", flag.ExitOnError)
		transport := fs.String("transport", "spdy", "spdy, websocket or fallback")
		fs.Parse(os.Args[4:])
		os.Exit(forward(u, os.Args[3], *transport))
	default:
		fail("unknown mode " + mode)
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "kube-stream:", msg)
	os.Exit(2)
}

// As crictl builds it: plain HTTP to the runtime's streaming server.
func config() *rest.Config {
	return &rest.Config{TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
}

func executor(u *url.URL, transport string) (remotecommand.Executor, error) {
	switch transport {
	case "spdy":
		return remotecommand.NewSPDYExecutor(config(), "POST", u)
	case "websocket":
		return remotecommand.NewWebSocketExecutor(config(), "GET", u.String())
	case "fallback":
		ws, err := remotecommand.NewWebSocketExecutor(config(), "GET", u.String())
		if err != nil {
			return nil, err
		}
		sp, err := remotecommand.NewSPDYExecutor(config(), "POST", u)
		if err != nil {
			return nil, err
		}
		return remotecommand.NewFallbackExecutor(ws, sp, func(err error) bool {
			return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
		})
	}
	return nil, fmt.Errorf("unknown transport %q", transport)
}

// One size, then the end of the queue.
type sizeOnce struct {
	size *remotecommand.TerminalSize
}

func (s *sizeOnce) Next() *remotecommand.TerminalSize {
	next := s.size
	s.size = nil
	return next
}

func execute(u *url.URL, transport string, stdin, tty bool, resize string) int {
	exec, err := executor(u, transport)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube-stream:", err)
		return 1
	}
	opts := remotecommand.StreamOptions{Stdout: os.Stdout, Tty: tty}
	if !tty {
		opts.Stderr = os.Stderr
	}
	if stdin {
		opts.Stdin = os.Stdin
	}
	if resize != "" {
		w, h, ok := strings.Cut(resize, "x")
		width, err1 := strconv.Atoi(w)
		height, err2 := strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil {
			fail("bad -resize " + resize)
		}
		opts.TerminalSizeQueue = &sizeOnce{&remotecommand.TerminalSize{Width: uint16(width), Height: uint16(height)}}
	}
	err = exec.Stream(opts)
	if err == nil {
		return 0
	}
	var exit utilexec.CodeExitError
	if errors.As(err, &exit) {
		fmt.Fprintf(os.Stderr, "kube-stream: command terminated with exit code %d\n", exit.Code)
		return exit.Code
	}
	fmt.Fprintln(os.Stderr, "kube-stream:", err)
	return 1
}

func dialer(u *url.URL, transport string) (httpstream.Dialer, error) {
	spdyDialer := func() (httpstream.Dialer, error) {
		tr, upgrader, err := spdy.RoundTripperFor(config())
		if err != nil {
			return nil, err
		}
		return spdy.NewDialer(upgrader, &http.Client{Transport: tr}, "POST", u), nil
	}
	switch transport {
	case "spdy":
		return spdyDialer()
	case "websocket":
		return portforward.NewSPDYOverWebsocketDialer(u, config())
	case "fallback":
		ws, err := portforward.NewSPDYOverWebsocketDialer(u, config())
		if err != nil {
			return nil, err
		}
		sp, err := spdyDialer()
		if err != nil {
			return nil, err
		}
		return portforward.NewFallbackDialer(ws, sp, func(err error) bool {
			return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
		}), nil
	}
	return nil, fmt.Errorf("unknown transport %q", transport)
}

func forward(u *url.URL, port, transport string) int {
	d, err := dialer(u, transport)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube-stream:", err)
		return 1
	}
	stop := make(chan struct{})
	ready := make(chan struct{})
	// The forwarder's own messages ("Forwarding from ...") are not ours to print.
	pf, err := portforward.NewOnAddresses(d, []string{"127.0.0.1"}, []string{"0:" + port}, stop, ready, io.Discard, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube-stream:", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- pf.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-done:
		fmt.Fprintln(os.Stderr, "kube-stream: port-forward:", err)
		return 1
	}
	ports, err := pf.GetPorts()
	if err != nil || len(ports) != 1 {
		fmt.Fprintln(os.Stderr, "kube-stream: no forwarded port:", err)
		return 1
	}
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", ports[0].Local))
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube-stream:", err)
		return 1
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(conn, os.Stdin)
		conn.(*net.TCPConn).CloseWrite()
	}()
	io.Copy(os.Stdout, conn)
	conn.Close()
	close(stop)
	<-done
	return 0
}
