package polite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/politetest"
	"github.com/l3go/level3/polite"
)

func TestMemoryStoreKeepsTheRules(t *testing.T) {
	politetest.StoreRules(t, func(*testing.T) polite.Store { return polite.NewMemoryStore(0) })
}

func TestMemoryStoreMisuse(t *testing.T) {
	var zero polite.MemoryStore
	_, err := zero.Take(context.Background(), "http://a.test:80")
	assert.ErrorIs(t, err, level3.ErrInvalidUse)
	assert.ErrorIs(t, zero.Observe(context.Background(), "http://a.test:80", polite.Observation{}), level3.ErrInvalidUse)
	s := polite.NewMemoryStore(0)
	//lint:ignore SA1012 the nil Context is the point
	_, err = s.Take(nil, "http://a.test:80") //nolint:staticcheck
	assert.ErrorIs(t, err, level3.ErrInvalidUse)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Take(ctx, "http://a.test:80")
	assert.True(t, errors.Is(err, context.Canceled))
}
