package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWebhooksRefusePrivateAddressesUnlessTold(t *testing.T) {
	c, err := FromEnv(env(nil))
	require.NoError(t, err)
	require.False(t, c.WebhooksAllowPrivate, "production refuses them by default")

	c, err = FromEnv(env(map[string]string{"RIPEN_WEBHOOKS_ALLOW_PRIVATE": "true"}))
	require.NoError(t, err)
	require.True(t, c.WebhooksAllowPrivate)

	_, err = FromEnv(env(map[string]string{"RIPEN_WEBHOOKS_ALLOW_PRIVATE": "maybe"}))
	require.ErrorContains(t, err, "RIPEN_WEBHOOKS_ALLOW_PRIVATE")
}
