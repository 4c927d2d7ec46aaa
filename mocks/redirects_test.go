package mocks

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/profiles"
)

func TestAliasToTakesTheTargetsProfilesAndAllow(t *testing.T) {
	s := NewServer(t, Strict(t))
	s.AddCatalog()
	c := noRedirects()
	for _, method := range []string{"HEAD", "GET", "PUT", "POST", "DELETE"} {
		resp, _ := do(t, c, method, s.URL+PathOldOrders, nil)
		assert.Equal(t, http.StatusPermanentRedirect, resp.StatusCode, method)
		assert.Equal(t, PathOrders, resp.Header.Get("Location"), method)
		set, err := profiles.Parse(resp.Header.Values("Profile")...)
		require.NoError(t, err)
		assert.True(t, set.Has(profiles.Alias))
		assert.True(t, set.Has(profiles.Nexus))
		assert.True(t, set.Has(profiles.RoleList))
		assert.Equal(t, "GET, HEAD, DELETE", resp.Header.Get("Allow"), "the target's allow")
	}

	other := NewServer(t)
	other.AddCatalog()
	url := s.AliasTo("/elsewhere", http.StatusTemporaryRedirect, other.URL+PathStats)
	assert.Equal(t, s.URL+"/elsewhere", url)
	resp, _ := do(t, c, "GET", url, nil)
	assert.Equal(t, other.URL+PathStats, resp.Header.Get("Location"), "an alias to a second origin")
	assert.Equal(t, "<"+string(profiles.Alias)+">", resp.Header.Get("Profile"))
}

func TestChainAndLoop(t *testing.T) {
	s := NewServer(t, Strict(t))
	s.AddCatalog()
	c := noRedirects()
	first := s.Chain(http.StatusPermanentRedirect, PathStats, "/a", "/b", "/c")
	assert.Equal(t, s.URL+"/a", first)
	for from, to := range map[string]string{"/a": "/b", "/b": "/c", "/c": PathStats} {
		resp, _ := do(t, c, "GET", s.URL+from, nil)
		assert.Equal(t, http.StatusPermanentRedirect, resp.StatusCode)
		assert.Equal(t, to, resp.Header.Get("Location"), from)
		set, _ := profiles.Parse(resp.Header.Values("Profile")...)
		assert.True(t, set.Has(profiles.Info), "%s lists the final target's profile", from)
	}
	followed, err := (&http.Client{}).Get(first)
	require.NoError(t, err)
	followed.Body.Close()
	assert.Equal(t, http.StatusOK, followed.StatusCode)

	loop := s.Loop(http.StatusTemporaryRedirect, "/x", "/y")
	assert.Equal(t, s.URL+"/x", loop)
	resp, _ := do(t, c, "GET", s.URL+"/y", nil)
	assert.Equal(t, "/x", resp.Header.Get("Location"))
	_, err = (&http.Client{}).Get(loop)
	assert.ErrorContains(t, err, "stopped after 10 redirects")
	assert.Empty(t, s.Chain(307, "/t"))
	assert.Empty(t, s.Loop(307))
}
