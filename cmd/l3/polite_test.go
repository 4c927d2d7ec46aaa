package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/politetest"
	"github.com/l3go/level3/polite"
)

// tree writes n small files below a fresh directory and returns it.
func tree(t *testing.T, n int) string {
	contents := map[string]string{}
	for i := range n {
		contents[fmt.Sprintf("f%02d.txt", i)] = "polite"
	}
	return files(t, contents)
}

func TestUploadStaysWithinTheQuotaTheServerAnnounces(t *testing.T) {
	s := politetest.NewQuotaServer(t, 10, time.Second)
	code, _, errOut := runL3(t, "upload", "--put", "--concurrency", "8", s.URL+"/in/", tree(t, 25))
	require.Equal(t, exitOK, code, errOut)
	accepted, first, after := s.Counts()
	assert.Equal(t, 25, accepted)
	assert.Zero(t, first+after, "429s per window: %v accepted", s.PerWindow())
}

func TestUploadPoliteFalseSendsAtOnce(t *testing.T) {
	s := politetest.NewQuotaServer(t, 10, time.Second)
	code, _, _ := runL3(t, "upload", "--put", "--concurrency", "8", "--retries", "0", "--polite=false", s.URL+"/in/", tree(t, 25))
	assert.Equal(t, exitFailed, code)
	_, first, _ := s.Counts()
	assert.Positive(t, first)
}

func TestUploadMaxRate(t *testing.T) {
	code, _, errOut := runL3(t, "upload", "--max-rate", "-1", "http://127.0.0.1:1/", filepath.Join(t.TempDir(), "x"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--max-rate")
	code, _, errOut = runL3(t, "upload", "--queue", "redis://127.0.0.1:1/0", "--run", "r", "--max-rate", "-1", "http://127.0.0.1:1/", filepath.Join(t.TempDir(), "x"))
	assert.Equal(t, exitUsage, code, "refused when parsed, before the run's Redis is dialled")
	assert.Contains(t, errOut, "--max-rate")

	s := politetest.NewQuotaServer(t, 1000, time.Second)
	code, _, errOut = runL3(t, "upload", "--put", "--max-rate", "20", s.URL+"/in/", tree(t, 5))
	require.Equal(t, exitOK, code, errOut)
	accepted, _, _ := s.Counts()
	assert.GreaterOrEqual(t, accepted, 5)
	// At 20 per second, the requests after the first go 50 ms apart (less
	// the first one's way to the server).
	assert.GreaterOrEqual(t, time.Since(s.Started()), time.Duration(accepted-1)*50*time.Millisecond-20*time.Millisecond,
		"%d requests at --max-rate 20", accepted)
}

// brokenStore is a polite.Store whose Redis is away.
type brokenStore struct{}

func (brokenStore) Take(context.Context, string) (polite.Grant, error) {
	return polite.Grant{}, errors.New("redis: connection refused")
}

func (brokenStore) Observe(context.Context, string, polite.Observation) error {
	return errors.New("redis: connection refused")
}

func TestPoliteStoreFailuresAreWarnings(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	var errOut bytes.Buffer
	var c commonFlags
	opts, err := (&politeFlags{on: true}).clientOptions(brokenStore{}, &c, &errOut)
	require.NoError(t, err)
	client, err := level3.New(opts...)
	require.NoError(t, err)
	resp, err := client.Get(context.Background(), srv.URL, nil)
	require.NoError(t, err, "the Limiter goes on with its own memory")
	resp.Body.Close()
	assert.Contains(t, errOut.String(), "l3: warning: polite: the shared store failed; this process goes on alone")
}

func TestABadCACertFailsBeforeStoreIsDialled(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.pem")
	code, _, errOut := runL3(t, "upload", "--store", "redis://127.0.0.1:1/0", "--cacert", missing, "http://127.0.0.1:1/", missing)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--cacert")
	assert.NotContains(t, errOut, "--store not used", "no connection to Redis was tried for a command that cannot run")
}
