package config

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRateLimitsHaveGenerousDefaultsAndCanBeTurnedOff(t *testing.T) {
	c, err := FromEnv(env(nil))
	require.NoError(t, err)
	require.Equal(t, RateLimit{Rate: 50, Burst: 100}, c.RateLimitKey)
	require.Equal(t, RateLimit{Rate: 20, Burst: 40}, c.RateLimitPublic)
	require.Empty(t, c.TrustedProxies, "no proxy is trusted unless named")

	c, err = FromEnv(env(map[string]string{
		"RIPEN_RATE_LIMIT_KEY": "off", "RIPEN_RATE_LIMIT_PUBLIC": "600/m burst 5",
		"RIPEN_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7 ,fd00::/8",
	}))
	require.NoError(t, err)
	require.True(t, c.RateLimitKey.Off())
	require.Equal(t, RateLimit{Rate: 10, Burst: 5}, c.RateLimitPublic)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("fd00::/8")}, c.TrustedProxies)
}

func TestParseRateLimit(t *testing.T) {
	for in, want := range map[string]RateLimit{
		"50/s":           {Rate: 50, Burst: 100},
		"50/s burst 100": {Rate: 50, Burst: 100},
		"3600/h":         {Rate: 1, Burst: 2},
		"1/m":            {Rate: 1.0 / 60, Burst: 1},
		"0.5/s burst 3":  {Rate: 0.5, Burst: 3},
		"OFF":            {},
	} {
		got, err := ParseRateLimit("RIPEN_RATE_LIMIT_KEY", in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"50", "fast", "50/d", "0/s", "-1/s", "50/s burst", "50/s burst 0", "50/s burst many", "50/s with 100"} {
		_, err := ParseRateLimit("RIPEN_RATE_LIMIT_PUBLIC", in)
		require.ErrorContains(t, err, "RIPEN_RATE_LIMIT_PUBLIC", in)
	}
	_, err := FromEnv(env(map[string]string{"RIPEN_RATE_LIMIT_KEY": "lots"}))
	require.ErrorContains(t, err, "RIPEN_RATE_LIMIT_KEY")
	_, err = FromEnv(env(map[string]string{"RIPEN_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}))
	require.ErrorContains(t, err, `RIPEN_TRUSTED_PROXIES: "proxy.internal"`)
}
