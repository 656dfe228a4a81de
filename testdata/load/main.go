// Command load makes bounded TCP traffic on 127.0.0.1 for tcpshow's
// benchmark capture (see `make bench`): many short connections, each a
// request, a reply and a close, and at the same time one long chatty
// connection with Nagle's algorithm off that trades small messages back and
// forth.
//
// Usage:
//
//	go run ./testdata/load [-short N] [-chatty N] [-port P] [-timeout D]
//
// Servers listen on 127.0.0.1:P (short connections) and 127.0.0.1:P+1 (the
// chatty one). Everything is bounded: -short connections, -chatty round
// trips and -timeout of wall time, whichever ends first. It prints one line
// with what it did.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	var cfg config
	flag.IntVar(&cfg.short, "short", 20000, "number of short connections")
	flag.IntVar(&cfg.chatty, "chatty", 100000, "round trips on the chatty connection")
	flag.IntVar(&cfg.port, "port", 47310, "first of the two TCP ports on 127.0.0.1")
	flag.IntVar(&cfg.workers, "workers", 4, "short connections open at once")
	flag.DurationVar(&cfg.timeout, "timeout", 60*time.Second, "stop after this long")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

type config struct {
	short, chatty, port, workers int
	timeout                      time.Duration
}

// Message sizes: short requests and replies, and the chatty messages.
const (
	requestSize = 120
	replySize   = 360
	chattySize  = 48
)

func run(cfg config) error {
	if cfg.short < 0 || cfg.chatty < 0 || cfg.workers < 1 || cfg.port < 1 || cfg.port > 65534 {
		return errors.New("bad flags: counts must be >= 0, -workers >= 1, -port in 1..65534")
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	shortAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.port))
	chattyAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.port+1))
	sl, err := net.Listen("tcp4", shortAddr)
	if err != nil {
		return err
	}
	defer sl.Close()
	cl, err := net.Listen("tcp4", chattyAddr)
	if err != nil {
		return err
	}
	defer cl.Close()
	go serveShort(sl)
	go serveChatty(cl)

	var wg sync.WaitGroup
	var shortDone, trips atomic.Int64
	errs := make(chan error, cfg.workers+1)
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		n, err := chatty(ctx, chattyAddr, cfg.chatty)
		trips.Store(int64(n))
		errs <- err
	}()
	var next atomic.Int64
	for range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(cfg.short) && ctx.Err() == nil {
				if err := shortConn(ctx, shortAddr); err != nil {
					errs <- err
					return
				}
				shortDone.Add(1)
			}
			errs <- nil
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && ctx.Err() == nil {
			return err
		}
	}
	status := "done"
	if ctx.Err() != nil {
		status = "stopped by -timeout"
	}
	fmt.Printf("load: %d short connections, %d chatty round trips in %v (%s)\n",
		shortDone.Load(), trips.Load(), time.Since(start).Round(time.Millisecond), status)
	return nil
}

// serveShort answers each connection's request with a reply, then waits for
// the client to close first.
func serveShort(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			req := make([]byte, requestSize)
			if _, err := io.ReadFull(c, req); err != nil {
				return
			}
			if _, err := c.Write(make([]byte, replySize)); err != nil {
				return
			}
			io.Copy(io.Discard, c)
		}()
	}
}

// shortConn makes one short connection: connect, request, reply, close.
func shortConn(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp4", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(make([]byte, requestSize)); err != nil {
		return err
	}
	_, err = io.ReadFull(c, make([]byte, replySize))
	return err
}

// serveChatty echoes every message back at once.
func serveChatty(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.(*net.TCPConn).SetNoDelay(true)
			buf := make([]byte, chattySize)
			for {
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				if _, err := c.Write(buf); err != nil {
					return
				}
			}
		}()
	}
}

// chatty trades n small messages over one connection with Nagle off and
// returns how many round trips it made.
func chatty(ctx context.Context, addr string, n int) (int, error) {
	if n == 0 {
		return 0, nil
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp4", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.(*net.TCPConn).SetNoDelay(true)
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	msg := make([]byte, chattySize)
	for i := range n {
		msg[0] = byte(i)
		if _, err := c.Write(msg); err != nil {
			return i, err
		}
		if _, err := io.ReadFull(c, msg); err != nil {
			return i, err
		}
	}
	return n, nil
}
