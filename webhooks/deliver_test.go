package webhooks_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/webhooks"
)

func TestBodies(t *testing.T) {
	m := webhooks.Message{ID: "msg_1", Type: "handoff.created", OccurredAt: time.Date(2027, 1, 15, 8, 0, 0, 0, time.FixedZone("CET", 3600)),
		Data:     map[string]any{"handoff_id": "h-1", "customer_id": "acme", "offer": "demo", "note": "call <me> & Eva"},
		Customer: "Acme GmbH", HandoffURL: "https://ripen.example/h/tok", RunURL: "https://ui.example/run"}

	t.Run("standard: type, UTC timestamp and the data with the hand-off link", func(t *testing.T) {
		b, err := webhooks.Body("standard", m)
		require.NoError(t, err)
		var got map[string]any
		require.NoError(t, json.Unmarshal(b, &got))
		require.Equal(t, "handoff.created", got["type"])
		require.Equal(t, "2027-01-15T07:00:00Z", got["timestamp"])
		data := got["data"].(map[string]any)
		require.Equal(t, "h-1", data["handoff_id"])
		require.Equal(t, "https://ripen.example/h/tok", data["handoff_url"])
		require.NotContains(t, data, "run_url", "the Web UI is for operators")
		require.NotContains(t, m.Data, "handoff_url", "the event's own data is not changed")
	})
	t.Run("slack: text, a section and a button to the hand-off page", func(t *testing.T) {
		b, err := webhooks.Body("slack", m)
		require.NoError(t, err)
		var got struct {
			Text   string `json:"text"`
			Blocks []struct {
				Type     string `json:"type"`
				Text     struct{ Type, Text string }
				Elements []struct {
					Type, URL string
				} `json:"elements"`
			} `json:"blocks"`
		}
		require.NoError(t, json.Unmarshal(b, &got))
		require.Contains(t, got.Text, "Acme GmbH")
		require.Contains(t, got.Text, "demo")
		require.Len(t, got.Blocks, 2)
		require.Equal(t, "section", got.Blocks[0].Type)
		require.Contains(t, got.Blocks[0].Text.Text, "call &lt;me&gt; &amp; Eva", "mrkdwn escaped")
		require.Equal(t, "actions", got.Blocks[1].Type)
		require.Equal(t, "button", got.Blocks[1].Elements[0].Type)
		require.Equal(t, "https://ripen.example/h/tok", got.Blocks[1].Elements[0].URL)
	})
	t.Run("slack without any link has no button", func(t *testing.T) {
		b, err := webhooks.Body("slack", webhooks.Message{ID: "msg_2", Type: "run.ended", Data: map[string]any{"customer_id": "acme", "status": "completed"}})
		require.NoError(t, err)
		require.NotContains(t, string(b), "actions")
		require.Contains(t, string(b), "acme left journey")
	})
}
