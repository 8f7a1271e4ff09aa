package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestDefaultsRunAgainstTheLocalStack(t *testing.T) {
	c, err := FromEnv(env(nil))
	require.NoError(t, err)
	require.Equal(t, DefaultDatabaseURL, c.DatabaseURL)
	require.Equal(t, "127.0.0.1:7233", c.TemporalAddress)
	require.Equal(t, "default", c.TemporalNamespace)
	require.Equal(t, FrequencyCap{}, c.FrequencyCap, "unset means no cap")
	require.Equal(t, 90*24*time.Hour, c.LinkTTL)
	require.Equal(t, 30*time.Second, c.Worker.StopTimeout)
}

func TestFrequencyCap(t *testing.T) {
	cases := []struct {
		in   string
		want FrequencyCap
		bad  bool
	}{
		{"3/7d", FrequencyCap{Max: 3, Per: 7 * 24 * time.Hour}, false},
		{" 1/36h ", FrequencyCap{Max: 1, Per: 36 * time.Hour}, false},
		{"3", FrequencyCap{}, true},
		{"0/7d", FrequencyCap{}, true},
		{"3/week", FrequencyCap{}, true},
	}
	for _, c := range cases {
		got, err := ParseFrequencyCap(c.in)
		if c.bad {
			require.ErrorContains(t, err, "RIPEN_FREQUENCY_CAP", c.in)
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got, c.in)
	}
	require.Equal(t, "3/1w", FrequencyCap{Max: 3, Per: 7 * 24 * time.Hour}.String())
}

func TestBadValuesNameTheVariable(t *testing.T) {
	for key, val := range map[string]string{
		"RIPEN_LINK_TTL":                         "soon",
		"SENDGRID_ASM_GROUP_ID":                  "abc",
		"RIPEN_CODEC_AUTH":                       "maybe",
		"RIPEN_WORKER_MAX_CONCURRENT_ACTIVITIES": "-1",
		"RIPEN_WORKER_DEPLOYMENT_NAME":           "ripen",
	} {
		_, err := FromEnv(env(map[string]string{key: val}))
		require.Error(t, err, key)
		require.Contains(t, err.Error(), key)
	}
}
