package sendgrid

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const eventBatch = `[
  {"email":"max@acme.example","timestamp":1700000000,"smtp-id":"<W3Zr@ismtpd.sendgrid.net>","event":"delivered",
   "category":"nurture","sg_event_id":"ZGVsaXZlcmVk","sg_message_id":"W3ZrXPP-TjOWoM6p5HL9Ng.filter0001.16648.5515E0B88.0",
   "response":"250 OK","ip":"168.1.1.1","tls":1,"ripen_run":"ripen/erp/acme","ripen_step":"checklist","ripen_cycle":"1"},
  {"email":"max@acme.example","timestamp":1700000100,"event":"open","sg_machine_open":true,"useragent":"Mozilla/5.0",
   "sg_event_id":"b3Blbg","sg_message_id":"W3ZrXPP-TjOWoM6p5HL9Ng.filter0001.16648.5515E0B88.0","category":["nurture","erp"],
   "ripen_run":"ripen/erp/acme","asm_group_id":42},
  {"email":"max@acme.example","timestamp":1700000200,"event":"click","url":"https://ripen.example/r/tok","url_offset":{"index":0,"type":"html"},
   "sg_event_id":"Y2xpY2s","sg_message_id":"W3ZrXPP-TjOWoM6p5HL9Ng.filter0001.16648.5515E0B88.0","ripen_run":"ripen/erp/acme"},
  {"email":"gone@acme.example","timestamp":1700000300,"event":"bounce","type":"bounce","bounce_classification":"Invalid Address",
   "reason":"550 5.1.1 The email account that you tried to reach does not exist.","status":"5.1.1",
   "sg_event_id":"Ym91bmNl","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0","unique_args":{"legacy":"yes","ripen_run":"old"},"ripen_run":"new"}
]`

func TestParseEvents(t *testing.T) {
	events, err := ParseEvents([]byte(eventBatch))
	require.NoError(t, err)
	require.Len(t, events, 4)

	delivered := events[0]
	assert.Equal(t, Event{
		SGEventID:   "ZGVsaXZlcmVk",
		SGMessageID: "W3ZrXPP-TjOWoM6p5HL9Ng.filter0001.16648.5515E0B88.0",
		Event:       "delivered",
		Email:       "max@acme.example",
		Timestamp:   1700000000,
		Categories:  []string{"nurture"},
		CustomArgs:  map[string]string{"ripen_run": "ripen/erp/acme", "ripen_step": "checklist", "ripen_cycle": "1"},
	}, delivered, "SendGrid's own string fields (smtp-id, response, ip) are not custom args")
	assert.Equal(t, "W3ZrXPP-TjOWoM6p5HL9Ng", delivered.MessageID())

	open := events[1]
	assert.True(t, open.MachineOpen)
	assert.Equal(t, []string{"nurture", "erp"}, open.Categories)
	assert.Equal(t, 42, open.ASMGroupID)
	assert.Equal(t, map[string]string{"ripen_run": "ripen/erp/acme"}, open.CustomArgs)

	click := events[2]
	assert.Equal(t, "click", click.Event)
	assert.Equal(t, "https://ripen.example/r/tok", click.URL)

	bounce := events[3]
	assert.Equal(t, "bounce", bounce.Type)
	assert.Equal(t, "Invalid Address", bounce.BounceClassification)
	assert.Equal(t, "5.1.1", bounce.Status)
	assert.Contains(t, bounce.Reason, "does not exist")
	assert.Equal(t, "14c5d75ce93.dfd.64b469", bounce.MessageID())
	assert.Equal(t, map[string]string{"legacy": "yes", "ripen_run": "new"}, bounce.CustomArgs,
		"top-level custom args win over the legacy nested unique_args")
}

func TestParseEventsLeniency(t *testing.T) {
	events, err := ParseEvents([]byte(`[{"event":"open","timestamp":1.7e9,"reason":null,"n":5,"flag":true,"obj":{"a":"b"}},{"event":"open","timestamp":"1700000000"}]`))
	require.NoError(t, err)
	require.Len(t, events, 2)
	assert.Equal(t, int64(1_700_000_000), events[0].Timestamp)
	assert.Nil(t, events[0].CustomArgs, "non-string unknown keys are not custom args")
	assert.Equal(t, int64(1_700_000_000), events[1].Timestamp)

	empty, err := ParseEvents([]byte(`[]`))
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func TestParseEventsRejectsMalformedBatches(t *testing.T) {
	for name, raw := range map[string]string{
		"empty body":          ``,
		"not JSON":            `hello`,
		"an object":           `{"event":"open"}`,
		"null":                `null`,
		"an array of strings": `["open"]`,
		"a null event":        `[null]`,
		"trailing data":       `[] []`,
		"truncated":           `[{"event":"open"`,
		"email not a string":  `[{"event":"open","email":5}]`,
		"timestamp a word":    `[{"event":"open","timestamp":"soon"}]`,
		"timestamp huge":      `[{"event":"open","timestamp":1e300}]`,
		"category an object":  `[{"event":"open","category":{}}]`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseEvents([]byte(raw))
			require.Error(t, err)
		})
	}
}

func FuzzParseEvents(f *testing.F) {
	f.Add([]byte(eventBatch))
	f.Add([]byte(sendgridExampleBody))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"timestamp":-1e19,"asm_group_id":1e12,"category":[1]}]`))
	f.Add([]byte(`[{"unique_args":"x","custom_args":{"a":1,"b":"c"}}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		events, err := ParseEvents(raw)
		if err != nil {
			if events != nil {
				t.Fatalf("events returned with error %v", err)
			}
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("accepted invalid JSON %q", raw)
		}
		for _, ev := range events {
			_ = ev.MessageID()
		}
	})
}
