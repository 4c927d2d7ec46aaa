package redirects

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMisuseNeverPanics: a nil *Memory or *File, or a zero File, answers
// every method with ErrInvalidUse (or an empty value), never a panic.
func TestMisuseNeverPanics(t *testing.T) {
	e := Entry{From: "http://a/x", To: "http://a/y"}
	for name, s := range map[string]interface {
		Store
		Len() int
	}{
		"nil Memory": (*Memory)(nil),
		"nil File":   (*File)(nil),
		"zero File":  &File{},
	} {
		t.Run(name, func(t *testing.T) {
			require.NotPanics(t, func() {
				_, ok, err := s.Get("http://a/x")
				assert.False(t, ok)
				assert.ErrorIs(t, err, ErrInvalidUse)
				assert.ErrorIs(t, s.Put(e), ErrInvalidUse)
				assert.ErrorIs(t, s.Delete("http://a/x"), ErrInvalidUse)
				_, err = s.Entries()
				assert.ErrorIs(t, err, ErrInvalidUse)
				assert.Zero(t, s.Len())
			})
		})
	}
	assert.NotPanics(t, func() {
		(*Memory)(nil).Clear()
		assert.ErrorIs(t, (*File)(nil).Clear(), ErrInvalidUse)
		assert.Empty(t, (*File)(nil).Path())
		assert.Empty(t, Key(nil))
	})
}

// TestZeroMemoryWorks: the zero Memory is an empty store of DefaultSize.
func TestZeroMemoryWorks(t *testing.T) {
	var m Memory
	require.NoError(t, m.Put(Entry{From: "http://a/x", To: "http://a/y"}))
	got, ok, err := m.Get("http://a/x")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "http://a/y", got.To)
	assert.Equal(t, 1, m.Len())
	m.Clear()
	assert.Zero(t, m.Len())
}
