package main

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/politetest"
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

	s := politetest.NewQuotaServer(t, 1000, time.Second)
	code, _, errOut = runL3(t, "upload", "--put", "--max-rate", "50", s.URL+"/in/", tree(t, 5))
	require.Equal(t, exitOK, code, errOut)
}
