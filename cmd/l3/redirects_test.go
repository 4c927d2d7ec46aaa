package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/redirects"
)

// cacheIn gives the test a cache directory of its own and returns the path
// of the redirect memory file in it.
func cacheIn(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv(cacheDirEnv, dir)
	return filepath.Join(dir, "redirects.json")
}

func TestCommandsRememberPermanentRedirectsAcrossRuns(t *testing.T) {
	file := cacheIn(t)
	srv := shop(t)
	for run := 1; run <= 3; run++ {
		code, out, errOut := runL3(t, "get", srv.URL+mocks.PathOldOrders)
		require.Equal(t, exitOK, code, errOut)
		assert.JSONEq(t, `{"orders":3}`, out)
	}
	assert.Equal(t, 1, srv.Count(mocks.PathOldOrders), "each later run went straight to the target")
	assert.Equal(t, 3, srv.Count(mocks.PathOrders))
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Contains(t, string(data), srv.URL+mocks.PathOrders)

	code, _, errOut := runL3(t, "get", "--no-cache", srv.URL+mocks.PathOldOrders)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, 2, srv.Count(mocks.PathOldOrders), "--no-cache asks the alias")
}

func TestNoCacheWritesNothing(t *testing.T) {
	file := cacheIn(t)
	srv := shop(t)
	code, _, errOut := runL3(t, "get", "--no-cache", srv.URL+mocks.PathOldOrders)
	require.Equal(t, exitOK, code, errOut)
	_, err := os.Stat(file)
	assert.True(t, os.IsNotExist(err))
}

func TestBrokenCacheFileOnlyWarns(t *testing.T) {
	file := cacheIn(t)
	require.NoError(t, os.WriteFile(file, []byte("not json"), 0o600))
	srv := shop(t)
	code, out, errOut := runL3(t, "get", srv.URL+mocks.PathOldOrders)
	require.Equal(t, exitOK, code, errOut)
	assert.JSONEq(t, `{"orders":3}`, out)
	assert.Contains(t, errOut, "redirect memory not used")
	assert.Contains(t, errOut, "--no-cache")

	code, _, errOut = runL3(t, "redirects")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "delete the file")
}

func TestDiscoverShowsAliasAndTarget(t *testing.T) {
	cacheIn(t)
	srv := shop(t)
	code, out, errOut := runL3(t, "discover", srv.URL+mocks.PathOldOrders)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Alias           "+srv.URL+mocks.PathOldOrders)
	assert.Contains(t, out, "308 Permanent Redirect -> "+srv.URL+mocks.PathOrders)
	assert.Contains(t, out, "profiles: alias, nexus")
	assert.Contains(t, out, "URL             "+srv.URL+mocks.PathOrders)

	code, out, errOut = runL3(t, "discover", "--json", srv.URL+mocks.PathLatest)
	require.Equal(t, exitOK, code, errOut)
	var got struct {
		URL       string `json:"url"`
		Redirects []struct {
			URL        string   `json:"url"`
			Status     int      `json:"status"`
			Location   string   `json:"location"`
			Remembered bool     `json:"remembered"`
			Profiles   []string `json:"profiles"`
		} `json:"redirects"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, srv.URL+mocks.PathReport, got.URL)
	require.Len(t, got.Redirects, 1)
	assert.Equal(t, http.StatusTemporaryRedirect, got.Redirects[0].Status)
	assert.Equal(t, srv.URL+mocks.PathLatest, got.Redirects[0].URL)
	assert.Equal(t, srv.URL+mocks.PathReport, got.Redirects[0].Location)
	assert.Contains(t, got.Redirects[0].Profiles, "https://level3.rest/profiles/alias")

	code, out, _ = runL3(t, "discover", "--json", srv.URL+mocks.PathOrders)
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, `"redirects": []`, "an empty list, not null")
}

func TestRedirectsCommand(t *testing.T) {
	cacheIn(t)
	srv := shop(t)
	code, out, _ := runL3(t, "redirects")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "0 permanent redirects remembered")

	srv.AliasTo("/moved/stats", http.StatusPermanentRedirect, mocks.PathStats)
	for _, p := range []string{mocks.PathOldOrders, "/moved/stats"} {
		code, _, errOut := runL3(t, "get", srv.URL+p)
		require.Equal(t, exitOK, code, errOut)
	}
	code, out, _ = runL3(t, "redirects")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "2 permanent redirects remembered")
	assert.Contains(t, out, srv.URL+mocks.PathStats)
	assert.Contains(t, out, "never")

	code, out, _ = runL3(t, "redirects", "--json")
	require.Equal(t, exitOK, code)
	var listed struct {
		Path    string            `json:"path"`
		Entries []redirects.Entry `json:"entries"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &listed))
	require.Len(t, listed.Entries, 2)
	assert.Equal(t, srv.URL+mocks.PathStats, listed.Entries[0].To, "most recent first")

	code, _, errOut := runL3(t, "redirects", "--forget", srv.URL+"/moved/stats")
	require.Equal(t, exitOK, code, errOut)
	code, _, errOut = runL3(t, "redirects", "--forget", srv.URL+"/moved/stats")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "no redirect remembered")
	code, _, _ = runL3(t, "get", srv.URL+"/moved/stats")
	require.Equal(t, exitOK, code)
	assert.Equal(t, 2, srv.Count("/moved/stats"), "forgotten: asked again")

	code, _, _ = runL3(t, "redirects", "--clear")
	require.Equal(t, exitOK, code)
	code, out, _ = runL3(t, "redirects")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "0 permanent redirects remembered")

	for _, args := range [][]string{
		{"redirects", "extra"},
		{"redirects", "--forget", "/relative"},
		{"redirects", "--forget", "http://a/x", "--clear"},
	} {
		code, _, errOut := runL3(t, args...)
		assert.Equal(t, exitUsage, code, "%q", args)
		assert.NotEmpty(t, errOut)
	}
}

func TestDemoRedirectStage(t *testing.T) {
	srv := shop(t)
	c, err := level3.New(level3.WithHTTPClient(srv.Client()), level3.WithRedirectStore(redirects.NewMemory(0)))
	require.NoError(t, err)
	var out syncBuffer
	d := &demo{srv: srv, client: c, out: &out}
	require.NoError(t, demoRedirects(context.Background(), d))
	assert.Contains(t, out.String(), "call 2: the server saw /old-orders 1 time(s), /orders 2 time(s)")
	assert.Contains(t, out.String(), "(2 requests per call)")
	assert.Contains(t, out.String(), "303 See Other -> GET /orders/1: 200 OK")
	assert.Contains(t, out.String(), "its profiles: alias, nexus")

	// A client whose memory already knows the alias fails the stage loudly.
	srv.ResetLog()
	if err := demoRedirects(context.Background(), d); assert.Error(t, err) {
		assert.Contains(t, err.Error(), "got 0 and 1")
	}
}

func TestRedirectMemoryHoldsNoSecrets(t *testing.T) {
	cache := t.TempDir()
	file := filepath.Join(cache, "redirects.json")
	srv := shop(t)
	srv.AliasTo("/to-signed", http.StatusPermanentRedirect, mocks.PathOrders+"?X-Amz-Signature=SIGVALUE&X-Amz-Credential=CREDVALUE")
	for _, u := range []string{
		srv.URL + mocks.PathOldOrders + "?token=TOKVALUE", // the key holds a credential
		srv.URL + "/to-signed",                            // the target does
		srv.URL + mocks.PathOldOrders,                     // neither: remembered
	} {
		code, _, errOut := runBinaryIn(t, cache, time.Minute, "get", u)
		require.Equal(t, exitOK, code, errOut)
	}
	secrets := []string{"TOKVALUE", "SIGVALUE", "CREDVALUE", "PASSVALUE"}
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	for _, s := range secrets {
		assert.NotContains(t, string(data), s)
	}
	assert.Contains(t, string(data), srv.URL+mocks.PathOrders)
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(file)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}

	// A memory an older l3 wrote, with credentials and readable by all:
	// l3 redirects shows none of them, and the file is scrubbed.
	legacy := `{"kind":"level3.redirects","version":1,"entries":[
		{"from":"https://api.example:443/feed?access_token=TOKVALUE","to":"https://api.example/feed2"},
		{"from":"https://api.example:443/pw","to":"https://ann:PASSVALUE@api.example/pw2"},
		{"from":"https://api.example:443/old","to":"https://api.example/new"}]}`
	require.NoError(t, os.WriteFile(file, []byte(legacy), 0o644))
	require.NoError(t, os.Chmod(file, 0o644))
	for _, args := range [][]string{{"redirects"}, {"redirects", "--json"}} {
		code, out, errOut := runBinaryIn(t, cache, time.Minute, args...)
		require.Equal(t, exitOK, code, errOut)
		for _, s := range secrets {
			assert.NotContains(t, out+errOut, s, "%q", args)
		}
		assert.Contains(t, out, "https://api.example/new", "%q", args)
	}
	data, err = os.ReadFile(file)
	require.NoError(t, err)
	for _, s := range secrets {
		assert.NotContains(t, string(data), s)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(file)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "tightened")
	}

	code, _, errOut := runBinaryIn(t, cache, time.Minute, "redirects", "--forget", "https://api.example/feed?access_token=TOKVALUE")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "access_token=xxxxx")
	assert.NotContains(t, errOut, "TOKVALUE")
}
