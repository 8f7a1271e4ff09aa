package sendgriddev_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/sendgrid/sendgriddev"
)

// withInboxFile keeps the fixture's inbox in file.
func withInboxFile(file string) func(*sendgriddev.Options) {
	return func(o *sendgriddev.Options) { o.InboxFile = file }
}

// apiMessages is GET /api/messages.
func (f *fixture) apiMessages(t *testing.T) []sendgriddev.Message {
	t.Helper()
	resp, body := f.do(t, http.MethodGet, "/api/messages", "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var msgs []sendgriddev.Message
	require.NoError(t, json.Unmarshal([]byte(body), &msgs))
	return msgs
}

func TestInboxFileKeepsTheInboxAcrossARestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data", "sendgrid-inbox.json")
	first := newFixture(t, withInboxFile(file))
	id, err := first.client.Send(context.Background(), checklistMail("max@acme.example"))
	require.NoError(t, err)
	first.webhook.next(t, "delivered")
	require.Eventually(t, func() bool {
		m, _ := first.dev.Message(id)
		return len(m.Events) == 1 && m.Events[0].Posted
	}, 5*time.Second, 10*time.Millisecond)
	before := first.apiMessages(t)
	require.NoError(t, first.dev.Close())

	second := newFixture(t, withInboxFile(file))
	after := second.apiMessages(t)
	require.Len(t, after, 1)
	assert.Equal(t, before, after, "messages and their events come back as they were")
	assert.Equal(t, id, after[0].MessageID)
	assert.Equal(t, "Max, 12 steps to automate order entry", after[0].Subject)

	// The restored message's recipients still make events: a click carries
	// the custom args the webhook needs to find the run.
	resp, body := second.do(t, http.MethodPost, "/api/messages/"+id+"/events", "application/json", `{"type": "click"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	click := second.webhook.next(t, "click")
	assert.Equal(t, id, click.MessageID())
	assert.Equal(t, "max@acme.example", click.Email)
	assert.Equal(t, "ripen/erp/acme", click.CustomArgs["ripen_run"])
	assert.Equal(t, "https://ripen.example/r/tok1", click.URL)
}

func TestInboxFileIsWrittenWhileTheServerRuns(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "inbox.json")
	f := newFixture(t, withInboxFile(file), func(o *sendgriddev.Options) { o.WebhookURL = "" })
	id, err := f.client.Send(context.Background(), checklistMail("max@acme.example"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		data, err := os.ReadFile(file)
		return err == nil && strings.Contains(string(data), id)
	}, 5*time.Second, 10*time.Millisecond, "written without waiting for Close: a killed dev stack keeps it too")

	info, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the inbox holds people's addresses")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary files are left behind")
}

func TestInboxFilePostsTheDeliveredEventsTheLastServerDidNot(t *testing.T) {
	file := filepath.Join(t.TempDir(), "inbox.json")
	first := newFixture(t, withInboxFile(file))
	first.webhook.hang = make(chan struct{})
	defer close(first.webhook.hang)
	id, err := first.client.Send(context.Background(), checklistMail("max@acme.example"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return first.webhook.posts.Load() == 1 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, first.dev.Close(), "stops while the delivered event is being posted")
	m, ok := first.dev.Message(id)
	require.True(t, ok)
	require.Len(t, m.Events, 1)
	require.False(t, m.Events[0].Posted)

	second := newFixture(t, withInboxFile(file))
	delivered := second.webhook.next(t, "delivered")
	assert.Equal(t, m.Events[0].SGEventID, delivered.SGEventID, "the same event, so the app takes it once")
	assert.Equal(t, id, delivered.MessageID())
	assert.Equal(t, m.Events[0].At.Unix(), delivered.Timestamp)
	require.Eventually(t, func() bool {
		m, _ := second.dev.Message(id)
		return len(m.Events) == 1 && m.Events[0].Posted
	}, 5*time.Second, 10*time.Millisecond)
}

func TestInboxFileIsBoundedAndClearedLikeTheInbox(t *testing.T) {
	file := filepath.Join(t.TempDir(), "inbox.json")
	noWebhook := func(o *sendgriddev.Options) { o.WebhookURL = "" }
	first := newFixture(t, withInboxFile(file), noWebhook)
	var ids []string
	for range 5 {
		id, err := first.client.Send(context.Background(), checklistMail("max@acme.example"))
		require.NoError(t, err)
		ids = append(ids, id)
	}
	require.NoError(t, first.dev.Close())

	second := newFixture(t, withInboxFile(file), noWebhook, func(o *sendgriddev.Options) { o.MaxMessages = 3 })
	var kept []string
	for _, m := range second.dev.Messages() {
		kept = append(kept, m.MessageID)
	}
	assert.Equal(t, ids[2:], kept, "the newest MaxMessages")
	resp, _ := second.do(t, http.MethodDelete, "/api/messages", "", "")
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.NoError(t, second.dev.Close())

	third := newFixture(t, withInboxFile(file), noWebhook)
	assert.Empty(t, third.apiMessages(t), "a cleared inbox stays cleared")
}

func TestInboxFileThatCannotBeReadIsAnError(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":      "{",
		"other version": `{"version": 99, "messages": []}`,
		"no recipients": `{"version": 1, "messages": [{"message": {"message_id": "m1"}, "recipients": []}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "inbox.json")
			require.NoError(t, os.WriteFile(file, []byte(content), 0o600))
			_, err := sendgriddev.New(sendgriddev.Options{InboxFile: file})
			require.Error(t, err)
			assert.Contains(t, err.Error(), file)
		})
	}
}
