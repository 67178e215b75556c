// Command ferretdb is the Mongo-protocol test server of statefleet's app tests: FerretDB v1
// (SQLite backend) embedded as a library, behind a wire-protocol proxy that forwards one
// message at a time.
//
// Why the proxy: FerretDB v1 runs an update as read-modify-write without a lock, so
// concurrent `$inc` upserts on one document lose increments, where real MongoDB makes every
// single-document update atomic. Serialising the messages restores that guarantee for the
// tests (and costs nothing that matters: the SQLite backend writes one at a time anyway).
//
// Usage: ferretdb [-listen 127.0.0.1:0] [-data-dir DIR]
// When ready it prints one line on stdout: `mongodb://<host>:<port>/`.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

const (
	opMsg = 2013

	flagChecksumPresent = 1 << 0
	flagMoreToCome      = 1 << 1
	flagExhaustAllowed  = 1 << 16

	headerLen = 16
	// MongoDB's maxMessageSizeBytes is 48 MB; anything larger is a framing error.
	maxMessageLen = 48 * 1000 * 1000
	// A backend answer slower than this means FerretDB is stuck; drop the connection
	// instead of holding every other client behind the lock forever.
	backendTimeout = 60 * time.Second
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address the proxy listens on (port 0: pick a free one)")
	dataDir := flag.String("data-dir", "", "directory of the SQLite databases (default: a temporary directory removed at exit)")
	logLevel := flag.String("log-level", "error", "FerretDB log level: debug, info, warn, error")
	flag.Parse()

	if err := run(*listen, *dataDir, *logLevel); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %v\n", err)
		os.Exit(1)
	}
}

func run(listen, dataDir, logLevel string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("-log-level %q: %w", logLevel, err)
	}

	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "statefleet-ferretdb-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dataDir = tmp
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if err = os.MkdirAll(abs, 0o755); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		return err
	}

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	backend, err := backendAddr(f.MongoDBURI())
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	p := &proxy{backend: backend}
	go p.serve(ctx, ln)

	fmt.Printf("mongodb://%s/\n", ln.Addr().String())

	<-ctx.Done()
	ln.Close()
	p.closeAll()
	return <-done
}

func backendAddr(uri string) (string, error) {
	// MongoDBURI is mongodb://host:port/ for a TCP listener.
	const prefix = "mongodb://"
	if len(uri) < len(prefix) || uri[:len(prefix)] != prefix {
		return "", fmt.Errorf("unexpected FerretDB URI %q", uri)
	}
	host := uri[len(prefix):]
	if i := len(host) - 1; i >= 0 && host[i] == '/' {
		host = host[:i]
	}
	return host, nil
}

// proxy forwards each client connection to its own backend connection, and lets one
// request/reply exchange through at a time across all of them.
type proxy struct {
	backend string

	exchange sync.Mutex // held from sending a request to receiving its reply

	connsMu sync.Mutex
	conns   map[net.Conn]struct{}
}

func (p *proxy) serve(ctx context.Context, ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go p.handle(c)
	}
}

func (p *proxy) track(c net.Conn, add bool) {
	p.connsMu.Lock()
	defer p.connsMu.Unlock()
	if p.conns == nil {
		p.conns = map[net.Conn]struct{}{}
	}
	if add {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

func (p *proxy) closeAll() {
	p.connsMu.Lock()
	defer p.connsMu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

func (p *proxy) handle(client net.Conn) {
	p.track(client, true)
	defer p.track(client, false)
	defer client.Close()

	server, err := net.Dial("tcp", p.backend)
	if err != nil {
		return
	}
	p.track(server, true)
	defer p.track(server, false)
	defer server.Close()

	for {
		msg, err := readMessage(client)
		if err != nil {
			return
		}
		expectReply := prepare(msg)
		msg = stripChecksum(msg)

		reply, err := p.roundTrip(server, msg, expectReply)
		if err != nil {
			return
		}
		if reply != nil {
			if _, err = client.Write(reply); err != nil {
				return
			}
		}
	}
}

func (p *proxy) roundTrip(server net.Conn, msg []byte, expectReply bool) ([]byte, error) {
	p.exchange.Lock()
	defer p.exchange.Unlock()

	if _, err := server.Write(msg); err != nil {
		return nil, err
	}
	if !expectReply {
		return nil, nil
	}
	if err := server.SetReadDeadline(time.Now().Add(backendTimeout)); err != nil {
		return nil, err
	}
	return readMessage(server)
}

// prepare clears exhaustAllowed (so one request gets exactly one reply) and reports whether
// the request expects a reply (an OP_MSG with moreToCome has none; every other opcode a
// driver sends, e.g. the legacy OP_QUERY handshake, has one).
func prepare(msg []byte) bool {
	if binary.LittleEndian.Uint32(msg[12:16]) != opMsg || len(msg) < headerLen+4 {
		return true
	}
	flags := binary.LittleEndian.Uint32(msg[headerLen:])
	binary.LittleEndian.PutUint32(msg[headerLen:], flags&^flagExhaustAllowed)
	return flags&flagMoreToCome == 0
}

// stripChecksum drops an OP_MSG's CRC-32C (we changed the flags it covers); the checksum is
// optional in the protocol.
func stripChecksum(msg []byte) []byte {
	if binary.LittleEndian.Uint32(msg[12:16]) != opMsg || len(msg) < headerLen+8 {
		return msg
	}
	flags := binary.LittleEndian.Uint32(msg[headerLen:])
	if flags&flagChecksumPresent == 0 {
		return msg
	}
	msg = msg[:len(msg)-4]
	binary.LittleEndian.PutUint32(msg[0:4], uint32(len(msg)))
	binary.LittleEndian.PutUint32(msg[headerLen:], flags&^flagChecksumPresent)
	return msg
}

func readMessage(r io.Reader) ([]byte, error) {
	var header [headerLen]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(header[0:4])
	if n < headerLen || n > maxMessageLen {
		return nil, fmt.Errorf("bad message length %d", n)
	}
	msg := make([]byte, n)
	copy(msg, header[:])
	if _, err := io.ReadFull(r, msg[headerLen:]); err != nil {
		return nil, err
	}
	return msg, nil
}
