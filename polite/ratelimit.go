// This file holds the reading of what a response says about the server's
// limits: the RateLimit and RateLimit-Policy fields
// (draft-ietf-httpapi-ratelimit-headers-11) into Limits, and Retry-After
// (RFC 9110 §10.2.3). What is done with them is in budget.go and limiter.go.

package polite

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"time"

	"github.com/dunglas/httpsfv"
)

// Bounds on what a response can make a client believe, so that no field
// value overflows the arithmetic of a budget or parks a client for years.
const (
	maxCount     = 1 << 40            // quota and remaining units
	maxSeconds   = 366 * 24 * 60 * 60 // windows and effective windows
	maxLimits    = 16                 // policies kept from one response
	maxPolicyLen = 256                // bytes of a policy's name and partition key
)

// Limit is one quota policy of an origin as a response described it: the
// RateLimit-Policy item and the RateLimit item of the same policy
// (draft-ietf-httpapi-ratelimit-headers-11, sections 3 and 4), joined by the
// policy's name and partition key. Either may be missing from a response;
// what it did not say is -1 (counts and Reset) or 0 (Window).
//
// Only policies counted in requests (no "qu" parameter, or "requests") are
// read: a client cannot budget content bytes or concurrent requests by
// counting the requests it sends.
type Limit struct {
	// Policy names the policy: its identifier, followed by ";pk=" and the
	// partition key in base64 when the server sent one.
	Policy string
	// Quota is the policy's "q": the requests allowed per Window.
	Quota int64
	// Window is the policy's "w": the time window of Quota.
	Window time.Duration
	// Remaining is the RateLimit item's "r": the requests still available.
	Remaining int64
	// Reset is the RateLimit item's "t": the effective window, within which
	// the client should send no more than Remaining requests.
	Reset time.Duration
}

// ParseLimits returns the limits that the RateLimit and RateLimit-Policy
// fields of h describe, at most 16, in the order the server gave them.
// Malformed fields are ignored, as the draft requires (section 7), and so
// are members without their required parameter ("q" in a policy, "r" in a
// service limit), members whose parameters have the wrong type or an
// impossible value, and policies counted in units other than requests.
// Values beyond 2^40 units or a year are capped there.
func ParseLimits(h http.Header) []Limit {
	var (
		out   []Limit
		index = map[string]int{}
		skip  = map[string]bool{} // policies in other units
	)
	find := func(name string) *Limit {
		if i, ok := index[name]; ok {
			return &out[i]
		}
		if len(out) == maxLimits {
			return nil
		}
		index[name] = len(out)
		out = append(out, Limit{Policy: name, Quota: -1, Remaining: -1, Reset: -1})
		return &out[len(out)-1]
	}
	// The canonical keys, as h.Values would look them up, without making
	// them again (an allocation each) on every answer.
	for _, m := range sfList(h["Ratelimit-Policy"]) {
		name, p, ok := member(m)
		if !ok {
			continue
		}
		if unit, has := p.Get("qu"); has && unit != "requests" {
			skip[name] = true
			continue
		}
		q, ok := count(p, "q")
		if !ok || q < 0 {
			continue
		}
		w, has := p.Get("w")
		secs, ok := w.(int64)
		if has && (!ok || secs <= 0) {
			continue
		}
		if l := find(name); l != nil && l.Quota < 0 {
			l.Quota, l.Window = q, seconds(secs)
		}
	}
	for _, m := range sfList(h["Ratelimit"]) {
		name, p, ok := member(m)
		if !ok || skip[name] {
			continue
		}
		r, ok := count(p, "r")
		if !ok || r < 0 {
			continue
		}
		reset := time.Duration(-1)
		if t, has := p.Get("t"); has {
			secs, ok := t.(int64)
			if !ok || secs < 0 {
				continue
			}
			reset = seconds(secs)
		}
		if l := find(name); l != nil && l.Remaining < 0 {
			l.Remaining, l.Reset = r, reset
		}
	}
	return out
}

// sfList parses a list-valued field, nil when it is absent or malformed.
func sfList(values []string) httpsfv.List {
	if len(values) == 0 {
		return nil
	}
	l, err := httpsfv.UnmarshalList(values)
	if err != nil {
		return nil
	}
	return l
}

// member returns the name (with the partition key, if any) and the
// parameters of a list member that is an Item whose value is a String (draft
// 11) or a Token (earlier drafts).
func member(m httpsfv.Member) (string, *httpsfv.Params, bool) {
	it, ok := m.(httpsfv.Item)
	if !ok || it.Params == nil {
		return "", nil, false
	}
	var name string
	switch v := it.Value.(type) {
	case string:
		name = v
	case httpsfv.Token:
		name = string(v)
	default:
		return "", nil, false
	}
	if pk, has := it.Params.Get("pk"); has {
		b, ok := pk.([]byte)
		if !ok {
			return "", nil, false
		}
		name += ";pk=" + base64.StdEncoding.EncodeToString(b)
	}
	if len(name) > maxPolicyLen {
		return "", nil, false
	}
	return name, it.Params, true
}

// count returns the integer parameter key of p, capped at maxCount.
func count(p *httpsfv.Params, key string) (int64, bool) {
	v, has := p.Get(key)
	n, ok := v.(int64)
	if !has || !ok {
		return 0, false
	}
	return min(n, maxCount), true
}

// seconds converts a count of seconds from a field, capped at maxSeconds.
func seconds(n int64) time.Duration {
	return time.Duration(min(n, maxSeconds)) * time.Second
}

// retryAfter returns the wait a Retry-After field asks for (RFC 9110
// §10.2.3: delay-seconds or an HTTP-date, read against now), and false when
// the field is absent or malformed. A date in the past is a wait of 0;
// waits are capped at a year.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 63); err == nil {
		return seconds(int64(min(secs, maxSeconds))), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), seconds(maxSeconds)), true
	}
	return 0, false
}
