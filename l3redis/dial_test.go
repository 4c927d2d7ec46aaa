package l3redis

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/realpeers"
)

func TestDial(t *testing.T) {
	r := realpeers.Redis(t)
	c, err := Dial(context.Background(), r.URL)
	require.NoError(t, err)
	require.NoError(t, c.Close())

	_, err = Dial(context.Background(), "redis://:s3cret@127.0.0.1:1/0")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret")
	_, err = Dial(context.Background(), "http://nope")
	require.Error(t, err)
}
