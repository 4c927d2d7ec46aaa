// This file holds the flags of the polite layer of `l3 upload` (--polite,
// --max-rate) and the Client options they make: a polite.Limiter per run,
// over a Store that is this process's memory for a local run, or Redis for
// a distributed one (l3redis.NewLimits), so that a fleet of workers is one
// polite client. See docs/polite.md.

package main

import (
	"flag"
	"io"

	"github.com/l3go/level3"
	"github.com/l3go/level3/polite"
)

// politeFlags are the flags of the polite layer.
type politeFlags struct {
	on      bool    // --polite: on unless --polite=false
	maxRate float64 // --max-rate: requests per second per server from this process; 0: no cap
}

// register adds the polite flags to fs.
func (p *politeFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&p.on, "polite", true, "adapt to each server: fewer requests at once after 429/503 or timeouts, wait out retry-after, "+
		"and stay within the quota its RateLimit fields announce (--polite=false: none of this)")
	fs.Float64Var(&p.maxRate, "max-rate", 0, "send at most this many requests per second to each server, from this process (0: no cap)")
}

// check reports flags that cannot work, when they are parsed (before a
// distributed run dials its Redis).
func (p *politeFlags) check() error {
	if p.on && !(p.maxRate >= 0) { // NaN too
		return usagef("--max-rate must not be negative")
	}
	return nil
}

// clientOptions returns the Client options of the polite layer, for
// c.client: a Limiter over store (nil: this process's memory), logging as
// the caches in Redis do (c.storeLogger: the Store's failures as warnings
// on errOut, and the waits too with -v). With --polite=false it returns
// none. A distributed run passes the run's Redis: l3redis.NewLimits(redisClient, "").
func (p *politeFlags) clientOptions(store polite.Store, c *commonFlags, errOut io.Writer) ([]level3.Option, error) {
	if !p.on {
		return nil, nil
	}
	lim, err := polite.New(&polite.Options{Store: store, MaxRate: p.maxRate, Logger: c.storeLogger(errOut)})
	if err != nil {
		return nil, usagef("%v", err)
	}
	return lim.ClientOptions(level3.RetryPolicy{}), nil
}
