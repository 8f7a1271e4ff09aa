package devtemporal

import (
	"bytes"
	"errors"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.temporal.io/server/common/log/tag"
)

// A queue reader polling before its shard is acquired is logged as an
// error by the server at every start with several shards; it is not one.
func TestShardNotYetAcquiredIsNotAnError(t *testing.T) {
	var buf bytes.Buffer
	l := &zerologAdapter{log: zerolog.New(&buf), min: zerolog.WarnLevel}
	l.Error("Queue reader unable to retrieve tasks", tag.Error(errors.New("shard status unknown")), tag.ShardID(2))
	require.Empty(t, buf.String())
	l.Error("Queue reader unable to retrieve tasks", tag.Error(errors.New("connection refused")))
	require.Contains(t, buf.String(), "connection refused")
}
