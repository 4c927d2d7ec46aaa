package level3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/mocks/mocktest"
	"github.com/l3go/level3/redirects"
)

// fetchBody GETs url with c and returns the body.
func fetchBody(t *testing.T, c *Client, url string) string {
	t.Helper()
	resp, err := c.Get(context.Background(), url, nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// counts returns the server-side request count of each path.
func counts(srv *mocks.Server, paths ...string) []int {
	out := make([]int, len(paths))
	for i, p := range paths {
		out[i] = srv.Count(p)
	}
	return out
}

func TestRedirect308IsRememberedForEveryMethod(t *testing.T) {
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		c := newTestClient(t, srv)
		alias := srv.URL + mocks.PathOldOrders
		for i := 1; i <= 5; i++ {
			assert.JSONEq(t, `{"orders":3}`, fetchBody(t, c, alias))
			assert.Equal(t, []int{1, i}, counts(srv, mocks.PathOldOrders, mocks.PathOrders),
				"after the first 308, one request per call, straight to the target")
		}

		// Go's own client asks the alias every time: two requests per call.
		srv.ResetLog()
		for i := 1; i <= 3; i++ {
			resp, err := srv.Client().Get(alias)
			require.NoError(t, err)
			resp.Body.Close()
		}
		assert.Equal(t, []int{3, 3}, counts(srv, mocks.PathOldOrders, mocks.PathOrders))

		// Any method: a PUT with a body learned from GETs goes straight there too.
		srv.AliasTo("/v1/orders/2", http.StatusPermanentRedirect, mocks.PathOrder2)
		fetchBody(t, c, srv.URL+"/v1/orders/2")
		srv.ResetLog()
		resp, err := c.Send(context.Background(), http.MethodPut, srv.URL+"/v1/orders/2", "application/json",
			strings.NewReader(`{"id":2,"state":"paid"}`), nil)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, []int{0, 1}, counts(srv, "/v1/orders/2", mocks.PathOrder2))
		got, _ := srv.Resource(mocks.PathOrder2)
		assert.JSONEq(t, `{"id":2,"state":"paid"}`, string(got.Body))
	})
}

func TestRedirect307IsAskedEveryTime(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	for i := 1; i <= 3; i++ {
		assert.Len(t, fetchBody(t, c, srv.URL+mocks.PathLatest), len(mocks.CatalogReport()))
		assert.Equal(t, []int{i, i}, counts(srv, mocks.PathLatest, mocks.PathReport))
	}
	entries, err := c.RedirectStore().Entries()
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestRedirectReplaysBodies(t *testing.T) {
	// 320 KiB: more than Go's server discards from an unread body, so an
	// alias that answers without reading makes it close the connection
	// while the body is still being sent.
	payload := bytes.Repeat([]byte("0123456789abcdef"), 20<<10)
	file := filepath.Join(t.TempDir(), "payload.bin")
	require.NoError(t, os.WriteFile(file, payload, 0o600))

	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for name, open := range map[string]func(t *testing.T) io.Reader{
			"file": func(t *testing.T) io.Reader {
				f, err := os.Open(file)
				require.NoError(t, err)
				t.Cleanup(func() { f.Close() })
				return f
			},
			"seeker":       func(*testing.T) io.Reader { return seekOnly{bytes.NewReader(payload)} },
			"bytes.Reader": func(*testing.T) io.Reader { return bytes.NewReader(payload) },
		} {
			t.Run(http.StatusText(status)+"/"+name, func(t *testing.T) {
				t.Parallel() // each waits ~0.5 s for Go's server to close the connection it did not read
				srv := mocks.NewServer(t)
				up := mocks.Upload()
				srv.Handle("/uploads", up)
				srv.AliasTo("/inbox", status, "/uploads")
				srv.Handle("/files/blob", mocks.Content([]byte("old"), "application/octet-stream"))
				srv.AliasTo("/blob", status, "/files/blob")
				c := newTestClient(t, srv)
				ctx := context.Background()

				resp, err := c.Send(ctx, http.MethodPost, srv.URL+"/inbox", "application/octet-stream", open(t), nil)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, http.StatusCreated, resp.StatusCode)
				created, ok := srv.Resource("/uploads/1")
				require.True(t, ok)
				assert.True(t, bytes.Equal(payload, created.Body), "the POST body arrived whole at the target")

				resp, err = c.Send(ctx, http.MethodPut, srv.URL+"/blob", "application/octet-stream", open(t), nil)
				require.NoError(t, err)
				resp.Body.Close()
				blob, _ := srv.Resource("/files/blob")
				assert.True(t, bytes.Equal(payload, blob.Body), "the PUT body arrived whole at the target")
				assert.Equal(t, int64(len(payload)), srv.BodyBytes("/files/blob"))
			})
		}
	}
}

func TestRedirectNeedsAReplayableBody(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	once := io.MultiReader(strings.NewReader(`{"id":1}`)) // no GetBody, not a seeker
	req, err := NewRequest(context.Background(), http.MethodPut, srv.URL+mocks.PathOldOrders, once)
	require.NoError(t, err)
	_, err = c.Do(req)
	require.ErrorIs(t, err, ErrBodyNotReplayable)
	var re *RedirectError
	require.ErrorAs(t, err, &re)
	require.Len(t, re.Hops, 1)
	assert.Equal(t, srv.URL+mocks.PathOrders, re.Hops[0].Location.String())
	assert.Contains(t, err.Error(), "cannot be replayed")
	assert.Equal(t, 0, srv.Count(mocks.PathOrders), "nothing half-sent to the target")
}

func TestRedirect303ActionAndLookup(t *testing.T) {
	srv := mocks.NewServer(t, mocks.Strict(t))
	srv.AddCatalog()
	c := newTestClient(t, srv)
	ctx := context.Background()

	// Action (later draft): POST, then GET the changed state.
	req, err := NewRequest(ctx, http.MethodPost, srv.URL+mocks.PathShip, nil)
	require.NoError(t, err)
	req.Header.Set("If-Match", `"whatever"`) // a precondition of the POST, not of the GET
	resp, err := c.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"id":1,"state":"shipped"}`, string(body))
	assert.Equal(t, srv.URL+mocks.PathOrder1, resp.Request.URL.String())
	require.NotNil(t, resp.Request.Response, "the 303 that led here, as net/http links it")
	assert.Equal(t, http.StatusSeeOther, resp.Request.Response.StatusCode)
	log := srv.Requests()
	require.Len(t, log, 2)
	assert.Equal(t, "POST", log[0].Method)
	assert.Equal(t, "GET", log[1].Method)
	assert.Empty(t, log[1].Header.Get("If-Match"), "the POST's precondition is not sent with the GET")

	// Lookup: POST a query, GET the single result, without the query body.
	srv.ResetLog()
	resp, err = c.Send(ctx, http.MethodPost, srv.URL+mocks.PathFindOrder, "application/json", strings.NewReader(`{"id":1}`), nil)
	require.NoError(t, err)
	resp.Body.Close()
	log = srv.Requests()
	require.Len(t, log, 2)
	assert.Equal(t, "GET", log[1].Method)
	assert.Equal(t, mocks.PathOrder1, log[1].Path)
	assert.Empty(t, log[1].Header.Get("Content-Type"))
	assert.Zero(t, log[1].BodyBytes)

	// Action (seed): 204 is the answer, no redirect.
	srv.Handle("/orders/2/archive", mocks.Action(""))
	resp, err = c.Send(ctx, http.MethodPost, srv.URL+"/orders/2/archive", "", nil, nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	entries, _ := c.RedirectStore().Entries()
	assert.Empty(t, entries, "a 303 is never remembered")
}

func TestRedirectChainsCollapse(t *testing.T) {
	srv := mocks.NewServer(t, mocks.Strict(t))
	srv.AddCatalog()
	c := newTestClient(t, srv)
	first := srv.Chain(http.StatusPermanentRedirect, mocks.PathOrders, "/a", "/b", "/c")
	paths := []string{"/a", "/b", "/c", mocks.PathOrders}

	fetchBody(t, c, first)
	assert.Equal(t, []int{1, 1, 1, 1}, counts(srv, paths...))
	fetchBody(t, c, first)
	assert.Equal(t, []int{1, 1, 1, 2}, counts(srv, paths...), "the chain collapsed to one hop")
	fetchBody(t, c, srv.URL+"/b")
	assert.Equal(t, []int{1, 1, 1, 3}, counts(srv, paths...), "every URL of the chain was remembered")

	entries, err := c.RedirectStore().Entries()
	require.NoError(t, err)
	require.Len(t, entries, 3)
	for _, e := range entries {
		assert.Equal(t, srv.URL+mocks.PathOrders, e.To, e.From)
	}

	// A 307 in the middle is asked every time; the 308s around it are not.
	srv.AliasTo("/m3", http.StatusPermanentRedirect, mocks.PathOrders)
	srv.AliasTo("/m2", http.StatusTemporaryRedirect, "/m3")
	srv.AliasTo("/m1", http.StatusPermanentRedirect, "/m2")
	srv.ResetLog()
	fetchBody(t, c, srv.URL+"/m1")
	fetchBody(t, c, srv.URL+"/m1")
	assert.Equal(t, []int{1, 2, 1, 2}, counts(srv, "/m1", "/m2", "/m3", mocks.PathOrders))
}

func TestRedirectLoopThroughTheMemory(t *testing.T) {
	srv := mocks.NewServer(t, mocks.Strict(t))
	srv.AddCatalog()
	store := redirects.NewMemory(10)
	c := newTestClient(t, srv, WithRedirectStore(store))
	key := func(path string) string { return redirects.Key(mustURL(t, srv.URL+path)) }
	plant := func(from, to string) {
		require.NoError(t, store.Put(redirects.Entry{From: key(from), To: srv.URL + to}))
	}

	// The memory says /orders/1 and /orders/2 point to each other, but the
	// server serves both: the memory is dropped and the answer is the server's.
	plant(mocks.PathOrder1, mocks.PathOrder2)
	plant(mocks.PathOrder2, mocks.PathOrder1)
	assert.JSONEq(t, `{"id":1,"state":"open"}`, fetchBody(t, c, srv.URL+mocks.PathOrder1))
	assert.Equal(t, []int{1, 0}, counts(srv, mocks.PathOrder1, mocks.PathOrder2))
	assert.Zero(t, store.Len(), "the entries that led astray are forgotten")

	// A remembered hop into a live redirect back: the same.
	srv.AliasTo("/back", http.StatusPermanentRedirect, mocks.PathOrder3)
	plant(mocks.PathOrder3, "/back")
	assert.JSONEq(t, `{"id":3,"state":"open"}`, fetchBody(t, c, srv.URL+mocks.PathOrder3))
	assert.Equal(t, []int{1, 1}, counts(srv, "/back", mocks.PathOrder3))

	// When the server itself loops, the error names the live chain.
	url := srv.Loop(http.StatusPermanentRedirect, "/l1", "/l2")
	plant("/l1", "/l2")
	plant("/l2", "/l1")
	_, err := c.Get(context.Background(), url, nil)
	require.ErrorIs(t, err, ErrRedirectLoop)
	var re *RedirectError
	require.ErrorAs(t, err, &re)
	require.Len(t, re.Hops, 2)
	assert.False(t, re.Hops[0].Remembered)
}

func TestRedirectMemoryIsDroppedWhenTheTargetIsGone(t *testing.T) {
	srv := mocks.NewServer(t) // 404s are expected
	srv.AddCatalog()
	c := newTestClient(t, srv)
	srv.Handle("/v2/report", mocks.Info(`{"v":2}`))
	srv.Handle("/v3/report", mocks.Info(`{"v":3}`))
	srv.AliasTo("/report", http.StatusPermanentRedirect, "/v2/report")
	fetchBody(t, c, srv.URL+"/report")

	// 404: the alias now points elsewhere; one call asks the target, then the alias.
	srv.Remove("/v2/report")
	srv.AliasTo("/report", http.StatusPermanentRedirect, "/v3/report")
	assert.JSONEq(t, `{"v":3}`, fetchBody(t, c, srv.URL+"/report"))
	entries, _ := c.RedirectStore().Entries()
	require.Len(t, entries, 1)
	assert.Equal(t, srv.URL+"/v3/report", entries[0].To)

	// 410: the same.
	srv.Fail("/v3/report", mocks.Status(http.StatusGone))
	srv.AliasTo("/report", http.StatusPermanentRedirect, mocks.PathStats)
	assert.Contains(t, fetchBody(t, c, srv.URL+"/report"), "revenue")

	// The alias is gone too: the error is the alias's own 404.
	srv.Remove(mocks.PathStats)
	srv.Remove("/report")
	_, err := c.Get(context.Background(), srv.URL+"/report", nil)
	var nf *NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, srv.URL+"/report", nf.URL)
	entries, _ = c.RedirectStore().Entries()
	assert.Empty(t, entries)
}

func TestRedirectGoneTargetWithABodyReadOnce(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	srv.Handle("/forms/new", mocks.Form(`{}`))
	srv.AliasTo("/form", http.StatusPermanentRedirect, "/forms/new")
	fetchBody(t, c, srv.URL+"/form")
	srv.Remove("/forms/new")
	req, err := NewRequest(context.Background(), http.MethodPost, srv.URL+"/form", io.MultiReader(strings.NewReader(`{}`)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	_, err = c.Do(req)
	var nf *NotFoundError
	require.ErrorAs(t, err, &nf, "the body was spent on the remembered target: its answer is returned")
	entries, _ := c.RedirectStore().Entries()
	assert.Empty(t, entries, "and the entry is forgotten")
}

func TestForgetAndInspect(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	fetchBody(t, c, srv.URL+mocks.PathOldOrders)
	entries, err := c.RedirectStore().Entries()
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, redirects.Key(mustURL(t, srv.URL+mocks.PathOldOrders)), entries[0].From)
	assert.Equal(t, srv.URL+mocks.PathOrders, entries[0].To)
	assert.WithinDuration(t, time.Now(), entries[0].Created, time.Minute)
	assert.True(t, entries[0].Expires.IsZero())

	require.NoError(t, c.Forget(srv.URL+mocks.PathOldOrders))
	fetchBody(t, c, srv.URL+mocks.PathOldOrders)
	assert.Equal(t, 2, srv.Count(mocks.PathOldOrders), "forgotten: the alias is asked again")

	assert.Error(t, c.Forget("/relative"))
	assert.Error(t, c.Forget("ftp://x/y"))
	assert.Error(t, c.Forget("http://[::1"))

	none, err := New(WithRedirectStore(nil))
	require.NoError(t, err)
	assert.Nil(t, none.RedirectStore())
	assert.NoError(t, none.Forget(srv.URL+"/x"))
}

func TestRedirectRetriesStartFromTheRememberedTarget(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	fetchBody(t, c, srv.URL+mocks.PathOldOrders)
	srv.Fail(mocks.PathOrders, mocks.Status(http.StatusServiceUnavailable).Times(2))
	srv.ResetLog()
	fetchBody(t, c, srv.URL+mocks.PathOldOrders)
	assert.Equal(t, []int{0, 3}, counts(srv, mocks.PathOldOrders, mocks.PathOrders))

	// A 503 from the alias itself is retried at the alias.
	srv.Fail(mocks.PathLatest, mocks.Status(http.StatusServiceUnavailable))
	srv.ResetLog()
	fetchBody(t, c, srv.URL+mocks.PathLatest)
	assert.Equal(t, []int{2, 1}, counts(srv, mocks.PathLatest, mocks.PathReport))
}

func TestRedirectExpectContinueIsSentAgainAtTheTarget(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	// A transport that waits for 100 Continue; Go's server answers a
	// keep-alive 307 before it, after which net/http sends the body anyway
	// to keep the connection, with a pause of about ExpectContinueTimeout.
	tr := newHTTPClient().Transport.(*http.Transport)
	tr.ExpectContinueTimeout = 100 * time.Millisecond
	c, err := New(WithRetry(fastRetry), WithHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)
	defer tr.CloseIdleConnections()
	body := bytes.Repeat([]byte("x"), 200<<10)
	srv.Handle("/files/up", mocks.Content(nil, "application/octet-stream"))
	srv.AliasTo("/up", http.StatusTemporaryRedirect, "/files/up")
	req, err := NewRequest(context.Background(), http.MethodPut, srv.URL+"/up", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Expect", "100-continue")
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	log := srv.Requests()
	require.Len(t, log, 2)
	for _, r := range log {
		assert.Equal(t, "100-continue", r.Header.Get("Expect"), r.Path)
	}
	assert.Zero(t, srv.BodyBytes("/up"), "the alias answered before the body was sent")
	assert.Equal(t, int64(len(body)), srv.BodyBytes("/files/up"))
}

func TestRedirectLeavesTheCallersClientAlone(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	hc := &http.Client{Transport: srv.Client().Transport}
	c, err := New(WithHTTPClient(hc))
	require.NoError(t, err)
	fetchBody(t, c, srv.URL+mocks.PathOldOrders)
	assert.Nil(t, hc.CheckRedirect, "the caller's *http.Client is not modified")
	assert.Same(t, hc, c.HTTPClient())
}

func TestRedirectStoreFailuresDoNotFailRequests(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	store := new(mocktest.RedirectStore)
	broken := errors.New("disk on fire")
	store.On("Get", mock.Anything).Return(redirects.Entry{}, false, broken)
	store.On("Put", mock.MatchedBy(func(e redirects.Entry) bool {
		return e.To == srv.URL+mocks.PathOrders
	})).Return(broken).Once()
	var logs bytes.Buffer
	c := newTestClient(t, srv, WithRedirectStore(store), WithLogger(newTextLogger(&logs)))
	assert.JSONEq(t, `{"orders":3}`, fetchBody(t, c, srv.URL+mocks.PathOldOrders))
	store.AssertExpectations(t)
	assert.Contains(t, logs.String(), "disk on fire")
}

func TestRedirectLinksResponses(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	resp, err := c.Get(context.Background(), srv.URL+mocks.PathLatest, nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.NotNil(t, resp.Request.Response)
	assert.Equal(t, http.StatusTemporaryRedirect, resp.Request.Response.StatusCode)
	assert.Equal(t, srv.URL+mocks.PathLatest, resp.Request.Response.Request.URL.String())
}

func TestRedirectCookieJarPerHop(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := srv.Client()
	hc.Jar = jar
	c := newTestClient(t, srv, WithHTTPClient(hc))
	srv.Handle("/login", mocks.Info(`{}`))
	srv.Fail("/login", mocks.Status(http.StatusTemporaryRedirect).
		WithHeader("Location", mocks.PathStats).WithHeader("Set-Cookie", "sid=1; Path=/"))
	fetchBody(t, c, srv.URL+"/login")
	log := srv.Requests()
	require.Len(t, log, 2)
	assert.Empty(t, log[0].Header.Values("Cookie"))
	assert.Equal(t, []string{"sid=1"}, log[1].Header.Values("Cookie"), "the jar's cookie, once")
}

func TestRedirectConcurrentCalls(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	var wg sync.WaitGroup
	const workers, calls = 8, 10
	errs := make(chan error, workers*calls)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range calls {
				resp, err := c.Get(context.Background(), srv.URL+mocks.PathOldOrders, nil)
				if err != nil {
					errs <- err
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, workers*calls, srv.Count(mocks.PathOrders))
	assert.LessOrEqual(t, srv.Count(mocks.PathOldOrders), workers, "each worker asks the alias at most once")
}

func TestRedirectContextEndsTheChain(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	srv.Fail(mocks.PathOrders, mocks.Delay(5*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Get(ctx, srv.URL+mocks.PathOldOrders, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 3*time.Second)
}

func TestRedirectUserinfoStaysOnItsOrigin(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	withUser := strings.Replace(srv.URL, "http://", "http://ann:pw@", 1) + mocks.PathOldOrders
	fetchBody(t, c, withUser)
	fetchBody(t, c, withUser)
	entries, _ := c.RedirectStore().Entries()
	require.Len(t, entries, 1)
	assert.NotContains(t, entries[0].From+entries[0].To, "ann", "credentials are never stored")
	for _, r := range srv.Requests() {
		assert.NotEmpty(t, r.Header.Get("Authorization"), "same origin: %s keeps its credentials", r.Path)
	}
}

// newTextLogger logs everything, Debug included, to w.
func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
