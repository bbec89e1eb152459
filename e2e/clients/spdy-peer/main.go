// spdy-peer: a real moby/spdystream endpoint (the library under client-go's
// httpstream/spdy, so under kubectl, crictl and the kubelet) for fakecri's
// SPDY tests (src/streaming/spdy/interop.test.ts). Built in GOPATH mode from
// Debian packages only (golang-go, golang-github-docker-spdystream-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o spdy-peer ./e2e/clients/spdy-peer
//
// Client modes dial -addr, open streams as client-go does (CreateStream, then
// Wait for the SYN_REPLY) and print one JSON line with what happened:
//
//	echo   -streams N -bytes B: on each stream write B seeded-random bytes in
//	       -chunk pieces, then FIN; read back until the peer's FIN (at most
//	       -read-rate bytes a second, if set: a slow reader); compare CRC-32C
//	       and length. Then GOAWAY (conn.Close) as client-go does.
//	ping   -pings N: PING the peer N times.
//	reset  open a stream, write a little, Reset it (RST_STREAM CANCEL).
//	hold   -streams N: open N streams, report how many were replied to and how
//	       many refused, then hold them until stdin ends; exit without GOAWAY.
//
// Server mode: mirror listens on -addr (host:port, port 0 for any), prints
// "listening HOST:PORT", and serves each connection with spdystream's
// MirrorStreamHandler (reply, echo data, FIN after the peer's FIN); a stream
// with header "refuse: yes" is refused (RST_STREAM REFUSED_STREAM).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/moby/spdystream"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type result struct {
	Mode    string    `json:"mode"`
	Replied int       `json:"replied"`
	Refused int       `json:"refused"`
	Echoed  int       `json:"echoed"`
	Bytes   int64     `json:"bytes"`
	PingsMs []float64 `json:"pingsMs,omitempty"`
	Errors  []string  `json:"errors"`
	Seconds float64   `json:"seconds"`
	mu      sync.Mutex
	started time.Time
}

func (r *result) fail(format string, args ...interface{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
}

func (r *result) print() {
	r.Seconds = time.Since(r.started).Seconds()
	if r.Errors == nil {
		r.Errors = []string{}
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}

func main() {
	mode := flag.String("mode", "echo", "echo, ping, reset, hold or mirror")
	addr := flag.String("addr", "", "host:port to dial, or to listen on in mirror mode")
	streams := flag.Int("streams", 1, "streams to open")
	size := flag.Int64("bytes", 1<<20, "bytes to send on each stream (echo)")
	chunk := flag.Int("chunk", 32*1024, "bytes per write (echo)")
	pings := flag.Int("pings", 3, "pings to send (ping)")
	readRate := flag.Int64("read-rate", 0, "bytes a second each stream reads at most (echo; 0: no limit)")
	flag.Parse()

	if *mode == "mirror" {
		mirror(*addr)
		return
	}
	r := &result{Mode: *mode, started: time.Now()}
	nc, err := net.Dial("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(2)
	}
	conn, err := spdystream.NewConnection(nc, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "spdy:", err)
		os.Exit(2)
	}
	go conn.Serve(spdystream.NoOpStreamHandler)

	switch *mode {
	case "echo":
		echo(conn, r, *streams, *size, *chunk, *readRate)
		conn.Close()
	case "ping":
		for i := 0; i < *pings; i++ {
			d, err := conn.Ping()
			if err != nil {
				r.fail("ping %d: %v", i, err)
				break
			}
			r.PingsMs = append(r.PingsMs, float64(d.Microseconds())/1000)
		}
		conn.Close()
	case "reset":
		st, err := open(conn, 0)
		if err != nil {
			r.fail("open: %v", err)
			break
		}
		r.Replied++
		if _, err := st.Write([]byte("before the reset")); err != nil {
			r.fail("write: %v", err)
		}
		if err := st.Reset(); err != nil {
			r.fail("reset: %v", err)
		}
		conn.Close()
	case "hold":
		var wg sync.WaitGroup
		for i := 0; i < *streams; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := open(conn, i)
				r.mu.Lock()
				defer r.mu.Unlock()
				switch {
				case err == nil:
					r.Replied++
				case errors.Is(err, spdystream.ErrReset):
					r.Refused++
				default:
					r.Errors = append(r.Errors, fmt.Sprintf("stream %d: %v", i, err))
				}
			}(i)
		}
		wg.Wait()
		r.print()
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0) // no GOAWAY: the peer sees the connection drop
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", *mode)
		os.Exit(2)
	}
	r.print()
}

// open creates a stream the way client-go's connection.CreateStream does.
func open(conn *spdystream.Connection, i int) (*spdystream.Stream, error) {
	h := http.Header{}
	h.Set("Streamtype", "data")
	h.Set("X-Index", strconv.Itoa(i))
	h.Add("X-Multi", "a")
	h.Add("X-Multi", "b")
	st, err := conn.CreateStream(h, nil, false)
	if err != nil {
		return nil, err
	}
	if err := st.WaitTimeout(30 * time.Second); err != nil {
		return nil, err
	}
	return st, nil
}

func echo(conn *spdystream.Connection, r *result, streams int, size int64, chunk int, readRate int64) {
	var wg sync.WaitGroup
	for i := 0; i < streams; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st, err := open(conn, i)
			if errors.Is(err, spdystream.ErrReset) {
				r.mu.Lock()
				r.Refused++
				r.mu.Unlock()
				return
			}
			if err != nil {
				r.fail("stream %d: open: %v", i, err)
				return
			}
			r.mu.Lock()
			r.Replied++
			r.mu.Unlock()
			sent := make(chan uint32, 1)
			go func() {
				sent <- send(st, r, i, size, chunk)
			}()
			h := crc32.New(castagnoli)
			var src io.Reader = st
			if readRate > 0 {
				src = &slowReader{r: st, rate: readRate, start: time.Now()}
			}
			n, err := io.Copy(h, src)
			if err != nil {
				r.fail("stream %d: read: %v", i, err)
				return
			}
			want := <-sent
			if n != size || h.Sum32() != want {
				r.fail("stream %d: echoed %d bytes crc %08x, sent %d crc %08x", i, n, h.Sum32(), size, want)
				return
			}
			r.mu.Lock()
			r.Echoed++
			r.Bytes += n
			r.mu.Unlock()
		}(i)
	}
	wg.Wait()
}

// slowReader reads no faster than rate bytes a second.
type slowReader struct {
	r     io.Reader
	rate  int64
	start time.Time
	read  int64
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(p) > 16*1024 {
		p = p[:16*1024]
	}
	n, err := s.r.Read(p)
	s.read += int64(n)
	due := s.start.Add(time.Duration(float64(s.read) / float64(s.rate) * float64(time.Second)))
	time.Sleep(time.Until(due))
	return n, err
}

// send writes size bytes (a seeded pattern) and a FIN; answers their CRC.
func send(st *spdystream.Stream, r *result, i int, size int64, chunk int) uint32 {
	pattern := make([]byte, 1<<20+chunk)
	rand.New(rand.NewSource(int64(i))).Read(pattern)
	h := crc32.New(castagnoli)
	var off int64
	for left := size; left > 0; {
		n := int64(chunk)
		if n > left {
			n = left
		}
		start := off % (1 << 20)
		b := pattern[start : start+n]
		h.Write(b)
		if _, err := st.Write(b); err != nil {
			r.fail("stream %d: write: %v", i, err)
			break
		}
		off += n
		left -= n
	}
	if err := st.Close(); err != nil {
		r.fail("stream %d: close: %v", i, err)
	}
	return h.Sum32()
}

func mirror(addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(2)
	}
	fmt.Printf("listening %s\n", l.Addr())
	for {
		nc, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "accept:", err)
			os.Exit(2)
		}
		conn, err := spdystream.NewConnection(nc, true)
		if err != nil {
			nc.Close()
			continue
		}
		go conn.Serve(func(st *spdystream.Stream) {
			if st.Headers().Get("Refuse") == "yes" {
				st.Refuse()
				return
			}
			spdystream.MirrorStreamHandler(st)
		})
	}
}
