package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestProcsFor(t *testing.T) {
	unset := func(string) string { return "" }
	set := func(k string) string {
		if k == "GOMAXPROCS" {
			return "4"
		}
		return ""
	}
	assert.Equal(t, 1, procsFor("upload", unset), "a bulk upload runs on one processor")
	assert.Zero(t, procsFor("upload", set), "the environment's GOMAXPROCS wins")
	for _, cmd := range []string{"download", "get", "put", "demo", "serve", ""} {
		assert.Zero(t, procsFor(cmd, unset), "%q keeps Go's choice", cmd)
	}
	limitProcs(nil, unset) // no command: nothing to do, no panic
}
