// This file holds how many processors the Go code of a command may use.
// `l3 upload` runs on one unless the environment says otherwise: a bulk
// upload mostly waits on the network and the server, and its system calls
// (sendfile, writes) do not need a processor of Go's to run in parallel.
// `l3 download` over one connection moves to one once an answer comes over
// HTTP/2 (oneProcOverHTTP2), where it learns the protocol.

package main

import (
	"net/http"
	"runtime"
	"sync"

	"github.com/l3go/level3"
)

// singleProcCommand runs with GOMAXPROCS 1 unless GOMAXPROCS is set. With
// more, Go's scheduler wakes idle threads to look for work each time a
// request or an answer hands over between goroutines, thousands of times a
// second in a bulk upload of small files. Measured on 1,000 files of 64 KiB
// against nginx on a 2-core machine: 10-20 % of l3's CPU time, for no gain in
// wall time. Over HTTPS, sealing TLS records is Go's work, and the sealing of
// all the uploads then shares one processor: one core seals AES-128-GCM at
// about 3 GB/s there, above a 10 Gbit/s link, and 1 GiB over TLS to nginx
// took no longer (bench/README.md). GOMAXPROCS in the environment restores
// Go's choice.
const singleProcCommand = "upload"

// procsSetter returns what sets the process's GOMAXPROCS
// (runtime.GOMAXPROCS), or nil when the environment sets GOMAXPROCS
// (getenv), whose choice always wins. main hands it to the commands as
// streams.procs; it is the one place that reads the environment for this.
func procsSetter(getenv func(string) string) func(int) int {
	if getenv("GOMAXPROCS") != "" {
		return nil
	}
	return runtime.GOMAXPROCS
}

// limitProcs runs the command of args (without the program's name) on one
// processor when it is singleProcCommand, through setProcs (nil: leave the
// processors alone). Only main calls it: tests run commands in their own
// process, which keeps its processors.
func limitProcs(args []string, setProcs func(int) int) {
	if setProcs != nil && len(args) > 0 && args[0] == singleProcCommand {
		setProcs(1)
	}
}

// oneProcOverHTTP2 returns the middleware that `l3 download` over one
// connection adds when main lets it set the processors (streams.procs):
// the first answer that arrives over HTTP/2 sets them to one, through
// setProcs (runtime.GOMAXPROCS). Go's HTTP/2 client reads each frame on
// the connection's goroutine and hands it to the body's reader on another;
// with two processors every hand-over can wake a thread. Measured against
// nginx on a 2-core machine (256 MiB over h2, 11 rounds, bench/README.md):
// 1.12× curl's speed and a median of 0.47 s of CPU on one processor, against
// 0.97× and 0.59 s on two. Over HTTP/1.1 one goroutine reads and writes, and
// two processors were faster over TLS (a median of 0.45 s against 0.50 s,
// 20 rounds), so nothing changes there; nor over several connections,
// whose TLS can use both.
func oneProcOverHTTP2(setProcs func(int) int) level3.Middleware {
	var once sync.Once
	return func(next level3.Doer) level3.Doer {
		return level3.DoerFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := next.Do(req)
			if err == nil && resp.ProtoMajor == 2 {
				once.Do(func() { setProcs(1) })
			}
			return resp, err
		})
	}
}
