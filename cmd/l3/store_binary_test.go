package main

// --store: the 308 memory and the response cache in Redis, shared by l3
// processes, tested through the built binary against a real redis-server.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/realpeers"
	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/redirects"
)

// Two l3 processes with their own cache directories share what the first
// learned through Redis: the second goes straight to the 308's target (one
// request to the alias in all), and revalidates the body the first fetched.
func TestBinaryStoreSharesWhatOneRunLearned(t *testing.T) {
	t.Parallel()
	rds := realpeers.Redis(t)
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	old, report := srv.URL+mocks.PathOldOrders, srv.URL+mocks.PathReport

	first, second := t.TempDir(), t.TempDir()
	code, out, errOut := runBinaryIn(t, first, time.Minute, "get", "--store", rds.URL, old)
	require.Equal(t, exitOK, code, errOut)
	assert.JSONEq(t, `{"orders":3}`, out)
	code, out, errOut = runBinaryIn(t, second, time.Minute, "get", "--store", rds.URL, old)
	require.Equal(t, exitOK, code, errOut)
	assert.JSONEq(t, `{"orders":3}`, out)
	assert.Equal(t, 1, srv.Count(mocks.PathOldOrders), "the second run went straight to the target")
	assert.Equal(t, 2, srv.Count(mocks.PathOrders))
	for _, dir := range []string{first, second} {
		assert.NoFileExists(t, filepath.Join(dir, "redirects.json"), "the memory is in Redis, not in the cache directory")
	}

	code, _, errOut = runBinaryIn(t, first, time.Minute, "get", "--store", rds.URL, report)
	require.Equal(t, exitOK, code, errOut)
	code, _, errOut = runBinaryIn(t, second, time.Minute, "get", "-v", "--store", rds.URL, report)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "304 Not Modified: body from the cache", "the second process revalidated the first's body")

	code, out, errOut = runBinary(t, time.Minute, "redirects", "--json", "--store", rds.URL)
	require.Equal(t, exitOK, code, errOut)
	var listed struct{ Entries []redirects.Entry }
	require.NoError(t, json.Unmarshal([]byte(out), &listed), out)
	require.Len(t, listed.Entries, 1)
	assert.Equal(t, srv.URL+mocks.PathOrders, listed.Entries[0].To)

	code, _, errOut = runBinaryIn(t, second, time.Minute, "get", "--no-cache", "--store", rds.URL, old)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, 2, srv.Count(mocks.PathOldOrders), "--no-cache turns the store off too")

	code, _, errOut = runBinary(t, time.Minute, "redirects", "--clear", "--store", rds.URL)
	require.Equal(t, exitOK, code, errOut)
	code, _, errOut = runBinaryIn(t, second, time.Minute, "get", "--store", rds.URL, old)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, 3, srv.Count(mocks.PathOldOrders), "cleared: the alias is asked again")
}

// A Redis that cannot be reached makes l3 warn and carry on, its password
// never printed; a URL that is not Redis's is a usage error naming --store.
func TestBinaryStoreUnreachableOnlyWarns(t *testing.T) {
	t.Parallel()
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	code, out, errOut := runBinary(t, time.Minute, "get", "--store", "redis://:s3cret@127.0.0.1:1/0", srv.URL+mocks.PathOldOrders)
	require.Equal(t, exitOK, code, errOut)
	assert.JSONEq(t, `{"orders":3}`, out)
	assert.Contains(t, errOut, "l3: warning: --store not used")
	assert.NotContains(t, errOut, "s3cret")

	code, _, errOut = runBinary(t, time.Minute, "get", "--store", "http://127.0.0.1:1/", srv.URL)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--store wants a Redis URL")
	code, _, errOut = runBinary(t, time.Minute, "redirects", "--store", "redis://:s3cret@127.0.0.1:1/0")
	assert.Equal(t, exitFailed, code)
	assert.NotContains(t, errOut, "s3cret")
}

// Redis stopping in the middle of a run costs no request: l3 warns once
// and carries on.
func TestStoreOutageMidRunOnlyWarns(t *testing.T) {
	rds := realpeers.Redis(t)
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	old := srv.URL + mocks.PathOldOrders
	code, _, errOut := runL3(t, "get", "--store", rds.URL, old) // learns the 308 into Redis
	require.Equal(t, exitOK, code, errOut)

	var warnings bytes.Buffer
	c := commonFlags{store: rds.URL}
	client, err := c.client(&warnings)
	require.NoError(t, err)
	ctx, cancel := c.context(context.Background())
	defer cancel() // closes the connection to Redis
	rds.Stop()
	for range 3 {
		resp, err := client.Get(ctx, old, nil)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		resp.Body.Close()
		assert.JSONEq(t, `{"orders":3}`, string(body))
	}
	assert.Equal(t, 4, srv.Count(mocks.PathOldOrders), "without Redis every request asks the alias")
	assert.Equal(t, 1, strings.Count(warnings.String(), "l3: warning: Redis failed; carrying on without the redirect store"), warnings.String())
	assert.Equal(t, 1, strings.Count(warnings.String(), "l3: warning: Redis failed; carrying on without the response cache"), warnings.String())
}
