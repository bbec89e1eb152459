// stream-client: a small client of the kubelet's streaming protocols over
// SPDY/3.1, on moby/spdystream (Debian's golang-github-docker-spdystream-dev,
// the framing client-go uses), for fakecri's tests. It speaks
// remotecommand (exec, attach) and portforward as client-go's
// remotecommand and portforward packages do.
//
//	stream-client exec URL [-stdin] [-tty] [-protocols v4.channel.k8s.io,...] [-resize 80x24,...]
//	stream-client portforward URL PORT
//
// exec: stdin is copied in (when -stdin) and closed at its end; stdout and
// stderr come out on ours; the exit code is the command's (from a v4
// status), 1 with the message for a failure status. portforward: one
// connection to PORT, our stdin to it and its bytes to our stdout; an
// error stream message goes to stderr and exits 1.
package main

import (
	"bufio"
	"encoding/json"
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

	"github.com/moby/spdystream"
)

func main() {
	if len(os.Args) < 3 {
		fail(2, "usage: stream-client exec|portforward URL ...")
	}
	mode, rawURL := os.Args[1], os.Args[2]
	switch mode {
	case "exec":
		fs := flag.NewFlagSet("exec", flag.ExitOnError)
		stdin := fs.Bool("stdin", false, "send our stdin")
		tty := fs.Bool("tty", false, "a terminal: no stderr stream, a resize stream")
		noStdout := fs.Bool("no-stdout", false, "ask for no stdout stream")
		protocols := fs.String("protocols", "v4.channel.k8s.io,v3.channel.k8s.io,v2.channel.k8s.io,channel.k8s.io", "offered protocols")
		resize := fs.String("resize", "", "terminal sizes to send, WxH,WxH")
		fs.Parse(os.Args[3:])
		os.Exit(execute(rawURL, *stdin, !*noStdout, *tty, strings.Split(*protocols, ","), *resize))
	case "portforward":
		if len(os.Args) < 4 {
			fail(2, "usage: stream-client portforward URL PORT")
		}
		os.Exit(forward(rawURL, os.Args[3]))
	default:
		fail(2, "unknown mode "+mode)
	}
}

func fail(code int, msg string) {
	fmt.Fprintln(os.Stderr, "stream-client:", msg)
	os.Exit(code)
}

// dial upgrades an HTTP POST to SPDY/3.1, offering the protocols.
func dial(rawURL string, protocols []string) (*spdystream.Connection, string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		fail(2, err.Error())
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		fail(3, err.Error())
	}
	req, _ := http.NewRequest("POST", rawURL, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "SPDY/3.1")
	for _, p := range protocols {
		req.Header.Add("X-Stream-Protocol-Version", p)
	}
	if err := req.Write(c); err != nil {
		fail(3, err.Error())
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		fail(3, err.Error())
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		fmt.Fprintf(os.Stderr, "stream-client: HTTP %d: %s", resp.StatusCode, body)
		os.Exit(4)
	}
	conn, err := spdystream.NewConnection(&bufConn{Conn: c, r: br}, false)
	if err != nil {
		fail(3, err.Error())
	}
	go conn.Serve(spdystream.NoOpStreamHandler)
	return conn, resp.Header.Get("X-Stream-Protocol-Version")
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }

func open(conn *spdystream.Connection, h http.Header) *spdystream.Stream {
	s, err := conn.CreateStream(h, nil, false)
	if err != nil {
		fail(3, err.Error())
	}
	if err := s.Wait(); err != nil {
		fail(3, err.Error())
	}
	return s
}

func execute(rawURL string, stdin, stdout, tty bool, protocols []string, resize string) int {
	conn, protocol := dial(rawURL, protocols)
	defer conn.Close()
	version := 1
	if strings.HasPrefix(protocol, "v") {
		version, _ = strconv.Atoi(protocol[1:2])
	}
	errStream := open(conn, http.Header{"Streamtype": {"error"}})
	var in, out, errOut, rs *spdystream.Stream
	if stdin {
		in = open(conn, http.Header{"Streamtype": {"stdin"}})
	}
	if stdout {
		out = open(conn, http.Header{"Streamtype": {"stdout"}})
	}
	if !tty {
		errOut = open(conn, http.Header{"Streamtype": {"stderr"}})
	}
	if tty && version >= 3 {
		rs = open(conn, http.Header{"Streamtype": {"resize"}})
	}
	if rs != nil && resize != "" {
		for _, size := range strings.Split(resize, ",") {
			wh := strings.SplitN(size, "x", 2)
			w, _ := strconv.Atoi(wh[0])
			h, _ := strconv.Atoi(wh[1])
			b, _ := json.Marshal(map[string]int{"Width": w, "Height": h})
			rs.Write(b)
		}
	}
	var wg sync.WaitGroup
	if in != nil {
		go func() {
			io.Copy(in, os.Stdin)
			in.Close()
		}()
	}
	for _, p := range []struct {
		s *spdystream.Stream
		w io.Writer
	}{{out, os.Stdout}, {errOut, os.Stderr}} {
		if p.s == nil {
			continue
		}
		wg.Add(1)
		go func(s *spdystream.Stream, w io.Writer) {
			defer wg.Done()
			io.Copy(w, s)
		}(p.s, p.w)
	}
	msg, _ := io.ReadAll(errStream)
	wg.Wait()
	if version < 4 {
		if len(msg) > 0 {
			fmt.Fprintf(os.Stderr, "error: %s\n", msg)
			return 1
		}
		return 0
	}
	var st struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		Reason  string `json:"reason"`
		Details struct {
			Causes []struct {
				Reason  string `json:"reason"`
				Message string `json:"message"`
			} `json:"causes"`
		} `json:"details"`
	}
	if err := json.Unmarshal(msg, &st); err != nil {
		fmt.Fprintf(os.Stderr, "stream-client: bad status %q: %v\n", msg, err)
		return 5
	}
	if st.Status == "Success" {
		return 0
	}
	if st.Reason == "NonZeroExitCode" {
		for _, c := range st.Details.Causes {
			if c.Reason == "ExitCode" {
				rc, _ := strconv.Atoi(c.Message)
				fmt.Fprintf(os.Stderr, "command terminated with exit code %d\n", rc)
				return rc
			}
		}
	}
	fmt.Fprintf(os.Stderr, "error: %s\n", st.Message)
	return 1
}

func forward(rawURL, port string) int {
	conn, _ := dial(rawURL, []string{"portforward.k8s.io"})
	defer conn.Close()
	errStream := open(conn, http.Header{"Streamtype": {"error"}, "Port": {port}, "Requestid": {"0"}})
	errStream.Close()
	data := open(conn, http.Header{"Streamtype": {"data"}, "Port": {port}, "Requestid": {"0"}})
	errc := make(chan string, 1)
	go func() {
		msg, _ := io.ReadAll(errStream)
		errc <- string(msg)
	}()
	go func() {
		io.Copy(data, os.Stdin)
		data.Close()
	}()
	io.Copy(os.Stdout, data)
	if msg := <-errc; msg != "" {
		fmt.Fprintf(os.Stderr, "an error occurred forwarding -> %s: %s\n", port, msg)
		return 1
	}
	return 0
}
