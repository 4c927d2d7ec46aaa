// This file holds the redirect layer of the Client's pipeline: the loop that
// follows a chain of redirects through the 308 memory and the layers below,
// learns permanent redirects, and falls back to the original URL when the
// memory was wrong. Each decision it takes is a pure function in
// redirect_decide.go; the policy, Hop and RedirectError are in
// redirect_policy.go, and the stores in package redirects.

package level3

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/l3go/level3/redirects"
)

// stopRedirects is the CheckRedirect of the *http.Client at the bottom of the
// pipeline: the redirect layer follows redirects itself, so the *http.Client
// must hand every 3xx back.
func stopRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// withoutRedirects returns a copy of hc that follows no redirects, sharing
// its transport, jar and timeout. hc itself is never modified.
func withoutRedirects(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = stopRedirects
	return &cp
}

// redirector is the redirect layer. It sits above the retry layer, so every
// hop is retried on its own and a retried request starts from the
// remembered target, and below the caller's middleware, which sees one
// request per call. Every hop goes through all the lower layers again, so a
// preflighted upload is preflighted at each URL it is redirected to.
type redirector struct {
	next   Doer
	policy RedirectPolicy
	store  redirects.Store // nil: remember nothing
	// check is the CheckRedirect of the caller's *http.Client, honoured
	// as net/http does: an error stops the chain, ErrUseLastResponse
	// returns the redirect response itself.
	check func(req *http.Request, via []*http.Request) error
	// creds says where credentials may go: a chain that passes through an
	// origin it does not permit carries none on its later hops.
	creds *credentialPolicy
	// cloneHeaders is set when the *http.Client has a cookie jar, which
	// adds its cookies to the header of the request it sends: each hop then
	// gets its own copy, so jar cookies of one origin never reach the next.
	cloneHeaders bool
	logger       *slog.Logger
	now          func() time.Time
}

// redirectLayer returns the pipeline layer that follows redirects with p,
// remembering 308s in store (nil: no memory), with credentials scoped by
// creds. hc is the caller's *http.Client, for its CheckRedirect and Jar. A
// policy that follows none (a negative MaxRedirects) adds no layer: 3xx
// responses are answers.
func redirectLayer(p RedirectPolicy, store redirects.Store, creds *credentialPolicy, hc *http.Client, logger *slog.Logger) Middleware {
	return func(next Doer) Doer {
		if p.limit() == 0 {
			return next
		}
		return &redirector{
			next: next, policy: p, store: store, creds: creds, check: hc.CheckRedirect,
			cloneHeaders: hc.Jar != nil, logger: logger, now: time.Now,
		}
	}
}

// redirectTraceKey carries a *redirectTrace through the request context.
type redirectTraceKey struct{}

// redirectTrace lets Discover see the chain and ask every URL itself.
type redirectTrace struct {
	skipMemory bool  // do not use remembered 308s (new ones are still learned)
	hops       []Hop // set by the layer: the chain of the last call
}

// Do follows the chain of redirects for req. See [RedirectPolicy] and
// [WithRedirectStore] for what it does; a stop by the policy is a
// *RedirectError.
func (r *redirector) Do(req *http.Request) (*http.Response, error) {
	tr, _ := req.Context().Value(redirectTraceKey{}).(*redirectTrace)
	scope, ok := scopeOf(req.Context())
	if !ok {
		scope = callScope{origin: req.URL}
	}
	c := &chase{r: r, req: req, scope: scope, body: bodyStateOf(req), memory: r.store != nil && (tr == nil || !tr.skipMemory)}
	resp, err := c.run()
	if c.misled {
		r.forget(req.Context(), c.stale)
		if c.body != onceBody || !c.bodyUsed {
			if resp != nil {
				drainAndClose(resp.Body)
			}
			r.logger.LogAttrs(req.Context(), slog.LevelDebug, "level3: remembered redirect failed, asking the original URL",
				slog.String("url", redactURL(req.URL)))
			c.memory = false
			resp, err = c.run()
		}
	}
	if !c.bodyUsed && c.body != noBody {
		_ = req.Body.Close() // never handed to a transport, which would have closed it
	}
	if tr != nil {
		tr.hops = c.chain
	}
	return resp, err
}

// chase is the state of one call through the redirect layer.
type chase struct {
	r        *redirector
	req      *http.Request
	body     bodyState
	bodyUsed bool // req.Body itself was handed to the layer below
	memory   bool // use remembered 308s
	chain    []Hop
	stale    []string // memory keys used by the last run
	misled   bool     // the memory led to a 404, a 410 or a loop
	scope    callScope
}

// leaves reports whether a hop to u takes the chain out of its credential
// scope: from then on no hop carries credentials, even one that comes back.
func (c *chase) leaves(u *url.URL) bool {
	return !c.r.creds.permits(c.scope, u)
}

// sizer is implemented by stores that can say cheaply how many entries they
// hold (redirects.Memory and redirects.File), so that an empty memory costs
// a request nothing.
type sizer interface{ Len() int }

// run follows the chain once: every URL of it, the first included, goes
// through the memory before it is asked.
func (c *chase) run() (*http.Response, error) {
	r, ctx := c.r, c.req.Context()
	c.chain, c.stale, c.misled = nil, nil, false
	method := c.req.Method
	if method == "" {
		method = http.MethodGet
	}
	cur, left, err := c.recall(method, c.req.URL)
	if err != nil {
		return nil, err
	}
	withBody, strip, dropBody := c.body != noBody, left || c.leaves(c.req.URL), false
	var (
		via     []*http.Request
		prev    *http.Response
		pending *http.Request // built for the caller's CheckRedirect
	)
	for {
		hreq := pending
		if hreq == nil {
			if hreq, err = c.newRequest(method, cur, withBody, strip, dropBody, prev); err != nil {
				return nil, err
			}
		}
		if r.check != nil {
			via = append(via, hreq)
		}
		resp, err := r.next.Do(hreq)
		if err != nil {
			return nil, err
		}
		state := noBody
		if withBody {
			state = c.body
		}
		d := redirectBehavior(&r.policy, method, cur, state, resp.StatusCode, resp.Header, c.chain, r.now())
		hop := Hop{Method: method, URL: cur, Status: resp.StatusCode, Location: d.to, Header: resp.Header,
			remember: d.remember, expires: d.expires}
		if d.err != nil {
			drainAndClose(resp.Body)
			c.chain = append(c.chain, hop)
			c.misled = d.err == ErrRedirectLoop && len(c.stale) > 0
			return nil, &RedirectError{Hops: c.chain, Err: d.err}
		}
		if d.kind == hopNone {
			if len(c.stale) > 0 && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone) {
				c.misled = true
				return resp, nil
			}
			r.learn(ctx, c.chain)
			return resp, nil
		}
		kept, keptStale := len(c.chain), len(c.stale)
		c.chain = append(c.chain, hop)
		r.logHop(ctx, hop)
		next, left, err := c.recall(d.method, d.to)
		if err != nil {
			drainAndClose(resp.Body)
			return nil, err
		}
		nextStrip := strip || left || c.leaves(d.to)
		nextBody := withBody && d.kind == hopSame
		nextDrop := dropBody || d.kind == hopGet
		pending = nil
		if r.check != nil {
			if pending, err = c.newRequest(d.method, next, nextBody, nextStrip, nextDrop, resp); err != nil {
				drainAndClose(resp.Body)
				return nil, err
			}
			if cerr := r.check(pending, via); cerr != nil {
				closeRequestBody(pending)
				if cerr == http.ErrUseLastResponse {
					c.chain, c.stale = c.chain[:kept], c.stale[:keptStale]
					r.learn(ctx, c.chain)
					return resp, nil
				}
				drainAndClose(resp.Body)
				return nil, &RedirectError{Hops: c.chain, Err: cerr}
			}
		}
		drainAndClose(resp.Body)
		method, cur, withBody, strip, dropBody, prev = d.method, next, nextBody, nextStrip, nextDrop, resp
	}
}

// recall follows remembered 308s from cur, when the memory is in use, and
// returns where they lead and whether any of them left the chain's
// credential scope;
// each is recorded as a hop. An entry that leads into a loop or past the hop
// limit gives a *RedirectError and marks the run misled.
func (c *chase) recall(method string, cur *url.URL) (*url.URL, bool, error) {
	if !c.memory {
		return cur, false, nil
	}
	if s, ok := c.r.store.(sizer); ok && s.Len() == 0 {
		return cur, false, nil
	}
	r, ctx := c.r, c.req.Context()
	left := false
	for range r.policy.limit() + 1 { // checkHop stops the chain before this bound
		key := redirects.Key(cur)
		e, ok, err := r.store.Get(key)
		if err != nil {
			r.logger.LogAttrs(ctx, slog.LevelWarn, "level3: redirect memory unreadable", slog.Any("error", err))
			break
		}
		if !ok || e.From != key {
			break
		}
		d := rememberedBehavior(&r.policy, method, cur, e, c.chain, r.now())
		if d.drop {
			r.forget(ctx, []string{key})
			break
		}
		if !d.use && d.err == nil {
			break
		}
		hop := Hop{Method: method, URL: cur, Status: http.StatusPermanentRedirect, Location: d.to,
			Remembered: true, remember: true, expires: e.Expires}
		c.chain = append(c.chain, hop)
		c.stale = append(c.stale, key)
		if d.err != nil {
			c.misled = true
			return nil, false, &RedirectError{Hops: c.chain, Err: d.err}
		}
		r.logHop(ctx, hop)
		cur = d.to
		left = left || c.leaves(cur)
	}
	return cur, left, nil
}

// newRequest returns the request of the next hop: method at u, with the
// body replayed when withBody, outside the credential scope when strip (the
// credential layer then withholds them: see [WithCredentialOrigins]),
// without the body's headers when dropBody, and with Response set to prev,
// the redirect that led here (as net/http does). The first hop of a call is
// the caller's request itself when nothing needs changing.
func (c *chase) newRequest(method string, u *url.URL, withBody, strip, dropBody bool, prev *http.Response) (*http.Request, error) {
	orig := c.req
	if u == orig.URL && method == orig.Method && !c.bodyUsed && !c.r.cloneHeaders {
		c.bodyUsed = c.body != noBody
		return orig, nil
	}
	if !strip && u.User == nil && orig.URL.User != nil && sameOrigin(u, orig.URL) {
		withUser := *u
		withUser.User = orig.URL.User
		u = &withUser
	}
	out := new(http.Request)
	*out = *orig // keeps the context, Close, Cancel and the rest
	out.Method = method
	out.URL = u
	if out.Host != "" && !strings.EqualFold(u.Host, orig.URL.Host) {
		out.Host = "" // a Host set for the original authority does not apply elsewhere
	}
	out.Header = hopHeader(orig.Header, dropBody)
	out.Response = prev
	if strip {
		out = out.WithContext(withoutCallOrigin(out.Context()))
	}
	out.Body, out.GetBody, out.ContentLength, out.TransferEncoding, out.Trailer = nil, nil, 0, nil, nil
	if !withBody || c.body == noBody {
		return out, nil
	}
	if !c.bodyUsed {
		out.Body = orig.Body
		c.bodyUsed = true
	} else {
		body, err := orig.GetBody()
		if err != nil {
			return nil, fmt.Errorf("level3: replaying the request body for %s: %w", redactURL(u), err)
		}
		out.Body = body
	}
	out.GetBody, out.ContentLength = orig.GetBody, orig.ContentLength
	out.TransferEncoding, out.Trailer = orig.TransferEncoding, orig.Trailer
	return out, nil
}

// closeRequestBody closes the body of a request that will not be sent.
func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// learn writes the 308s of a chain into the memory once the chain has ended
// in an answer (not a 404 or 410 at a remembered target, not a policy stop),
// each pointing to the end of the run of 308s it starts, so that a chain
// collapses to one hop. A remembered hop that already points there is not written
// again. The entry expires when the first of the run's does.
func (r *redirector) learn(ctx context.Context, chain []Hop) {
	if r.store == nil {
		return
	}
	for i := range chain {
		if !chain[i].remember {
			continue
		}
		end, expires := i, chain[i].expires
		for end+1 < len(chain) && chain[end+1].remember {
			end++
			if e := chain[end].expires; !e.IsZero() && (expires.IsZero() || e.Before(expires)) {
				expires = e
			}
		}
		if chain[i].Remembered && end == i {
			continue
		}
		to := *chain[end].Location
		to.User = nil
		e := redirects.Entry{From: redirects.Key(chain[i].URL), To: to.String(), Created: r.now().UTC(), Expires: expires.UTC()}
		if expires.IsZero() {
			e.Expires = time.Time{}
		}
		if err := r.store.Put(e); err != nil {
			r.logger.LogAttrs(ctx, slog.LevelWarn, "level3: cannot remember redirect", slog.Any("error", err))
		}
	}
}

// forget deletes keys from the memory, logging failures.
func (r *redirector) forget(ctx context.Context, keys []string) {
	for _, key := range keys {
		if err := r.store.Delete(key); err != nil {
			r.logger.LogAttrs(ctx, slog.LevelWarn, "level3: cannot forget redirect", slog.Any("error", err))
		}
	}
}

// logHop logs one redirect followed, at Debug level.
func (r *redirector) logHop(ctx context.Context, h Hop) {
	if r.logger.Enabled(ctx, slog.LevelDebug) {
		r.logger.LogAttrs(ctx, slog.LevelDebug, "level3: redirect",
			slog.String("method", h.Method), slog.String("from", redactURL(h.URL)),
			slog.Int("status", h.Status), slog.String("to", redactURL(h.Location)),
			slog.Bool("remembered", h.Remembered))
	}
}

// Forget removes what the Client's redirect memory holds for rawURL, so the
// next request for it asks that URL again. It fails when rawURL is not an
// absolute http or https URL, or when the store fails. Without a memory it
// does nothing.
func (c *Client) Forget(rawURL string) error {
	if err := c.check(context.Background(), "Client.Forget"); err != nil {
		return err
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("level3: Forget: %w", err)
	}
	key := redirects.Key(u)
	if key == "" {
		return fmt.Errorf("level3: Forget: %q is not an absolute http or https URL", rawURL)
	}
	if c.redirectStore == nil {
		return nil
	}
	if err := c.redirectStore.Delete(key); err != nil {
		return fmt.Errorf("level3: Forget: %w", err)
	}
	return nil
}

// RedirectStore returns where the Client remembers permanent redirects, for
// inspection (Entries) or sharing; nil when it remembers none.
func (c *Client) RedirectStore() redirects.Store {
	if c == nil {
		return nil
	}
	return c.redirectStore
}
