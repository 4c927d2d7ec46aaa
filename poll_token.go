// This file saves a Poller as a resume token and restores it, so an
// operation accepted in one process can be followed in another. The token is
// the Poller's state as JSON, with an explicit version and strategy kind,
// encoded base64url; poll.go holds the Poller, poll_strategy.go the kinds.

package level3

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// tokenPrefix starts every resume token, so a token pasted in the wrong
// place is recognised at once.
const tokenPrefix = "l3poll."

// tokenVersion is the version of the token format this package writes. A
// change that older readers would misread gets a new version. Version 2
// added the origin of the accepted request (pollState.Origin); version 1
// tokens are still read, as recording no origin.
const tokenVersion = 2

// maxTokenLen bounds what ResumePoller decodes.
const maxTokenLen = 16 << 10

// tokenEnvelope is the JSON inside a resume token.
type tokenEnvelope struct {
	Version int             `json:"v"`
	Kind    string          `json:"kind"`
	Poll    pollState       `json:"poll"`
	Op      json.RawMessage `json:"op"` // the strategy's own state
}

// ResumeToken returns a string from which [Client.ResumePoller] continues
// this operation, in this process or another, with the schedule position
// and not-before time (Retry-After) kept. It holds the polled URL, query
// included, so treat it as you would that URL, and the origin of the
// request that was accepted, the one its polls may send credentials to; it
// holds no request header, so the resuming Client brings its own
// credentials. The format is opaque and versioned. Once the operation has
// finished, ResumeToken returns an error wrapping [ErrPollerDone].
func (p *Poller) ResumeToken() (string, error) {
	if err := p.usable(context.Background(), "Poller.ResumeToken"); err != nil {
		return "", err
	}
	if p.done {
		return "", fmt.Errorf("level3: resume token: %w", ErrPollerDone)
	}
	op, err := json.Marshal(p.strategy)
	if err != nil {
		return "", fmt.Errorf("level3: resume token: %w", err)
	}
	raw, err := json.Marshal(tokenEnvelope{Version: tokenVersion, Kind: p.strategy.kind(), Poll: p.state, Op: op})
	if err != nil {
		return "", fmt.Errorf("level3: resume token: %w", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(raw), nil
}

// ResumePoller continues the operation that token (from
// [Poller.ResumeToken]) describes, sending its polls through c, with
// opts.Poll as the schedule (nil opts: the defaults). The other fields of
// [AsyncOptions] (Wait, ExpectETag and the RequestOptions) concern the
// request that starts an operation: ResumePoller returns an error naming the
// first one set. An invalid token returns an error wrapping
// [ErrInvalidResumeToken]. The Poller's first poll is due at the time the
// token recorded (at once if that has passed), and its backoff continues
// from the last wait the token recorded.
//
// The polls carry c's credentials only to the origin the token recorded,
// that of the request that was accepted (or to origins allowed with
// [WithCredentialOrigins] on c). A token written before origins were
// recorded (format version 1) names none: its polls carry credentials only
// to allowed origins, so resume it with a Client that allows the origin of
// the operation when the polls need them.
func (c *Client) ResumePoller(token string, opts *AsyncOptions) (*Poller, error) {
	if err := c.check(context.Background(), "Client.ResumePoller"); err != nil {
		return nil, err
	}
	if name := opts.startOnly(); name != "" {
		return nil, fmt.Errorf("level3: ResumePoller: AsyncOptions.%s applies to starting an operation, not resuming one", name)
	}
	cfg, err := newAsyncConfig(opts)
	if err != nil {
		return nil, err
	}
	st, s, err := decodeToken(token)
	if err != nil {
		return nil, err
	}
	return newPoller(c, s, st, cfg)
}

// decodeToken checks and decodes a resume token.
func decodeToken(token string) (pollState, pollStrategy, error) {
	bad := func(format string, args ...any) (pollState, pollStrategy, error) {
		return pollState{}, nil, fmt.Errorf("%w: %s", ErrInvalidResumeToken, fmt.Sprintf(format, args...))
	}
	token = strings.TrimSpace(token)
	if len(token) > maxTokenLen {
		return bad("longer than %d bytes", maxTokenLen)
	}
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return bad("does not start with %q", tokenPrefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return bad("not base64url: %v", err)
	}
	var env tokenEnvelope
	if err := strictUnmarshal(raw, &env); err != nil {
		return bad("not a level3 poll state: %v", err)
	}
	if env.Version < 1 || env.Version > tokenVersion {
		return bad("format version %d; this version of level3 (%s) reads versions 1 to %d", env.Version, Version, tokenVersion)
	}
	if env.Version == 1 && env.Poll.Origin != "" {
		return bad("an origin in a version 1 token")
	}
	var kind *strategyKind
	for i := range strategyKinds {
		if strategyKinds[i].name == env.Kind {
			kind = &strategyKinds[i]
		}
	}
	if kind == nil {
		return bad("unknown kind of operation %q", env.Kind)
	}
	if len(env.Op) == 0 {
		return bad("no %s state", env.Kind)
	}
	s, err := kind.resume(env.Op)
	if err != nil {
		return bad("%s state: %v", env.Kind, err)
	}
	if err := env.Poll.check(); err != nil {
		return bad("%v", err)
	}
	if s.method() != http.MethodHead && env.Poll.PollMethod == http.MethodHead {
		return bad("%s operations are polled with %s", env.Kind, s.method())
	}
	return env.Poll, s, nil
}

// check validates state read from a token.
func (st pollState) check() error {
	u, err := url.Parse(st.URL)
	switch {
	case err != nil:
		return fmt.Errorf("poll URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("poll URL has scheme %q (want http or https)", u.Scheme)
	case u.Host == "":
		return errors.New("poll URL has no host")
	case st.PollMethod != http.MethodHead && st.PollMethod != http.MethodGet:
		return fmt.Errorf("poll method %q (want HEAD or GET)", st.PollMethod)
	case !validHeaderName(st.Method):
		return fmt.Errorf("request method %q is not a token", st.Method)
	case st.Polls < 0 || st.LastWait < 0:
		return errors.New("negative poll count or wait")
	}
	if st.Origin != "" {
		if canon, err := parseOrigin(st.Origin); err != nil || canon != st.Origin {
			return fmt.Errorf("origin %q is not scheme://host:port", st.Origin)
		}
	}
	return nil
}
