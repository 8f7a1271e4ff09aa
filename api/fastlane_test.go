package api_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/sendgrid/sendgriddev"
	"github.com/ripen/ripen/workflows"
)

// runlessInbox is GET /v1/handoffs as the fast-lane tests read it; a
// pointer tells a null journey_id from a missing one.
type runlessInbox struct {
	Handoffs []struct {
		ID         string  `json:"id"`
		JourneyID  *string `json:"journey_id"`
		WorkflowID *string `json:"workflow_id"`
		Status     string  `json:"status"`
		Reason     string  `json:"reason"`
		Offer      string  `json:"offer"`
		Note       string  `json:"note"`
		Claimed    bool    `json:"claimed_identity"`
	} `json:"handoffs"`
}

// postFastLane posts fast-lane event id of acme's contact max.
func (h *harness) postFastLane(id, offer string) {
	h.t.Helper()
	h.json("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{{
		"id": id, "customer_id": "acme", "contact_id": "acme-max", "type": "fast-lane", "topic": offer,
		"note": "please call before noon", "occurred_at": time.Now().UTC().Format(time.RFC3339)}}}, 200, nil)
}

// fastLaneDone waits for the FastLaneHandoff of event id to finish.
func (h *harness) fastLaneDone(id string) {
	h.t.Helper()
	var res workflows.FastLaneHandoffResult
	require.NoError(h.t, h.stack.Client.GetWorkflow(h.t.Context(), workflows.FastLaneWorkflowID(id), "").Get(h.t.Context(), &res))
}

func mailsTo(h *harness, to, subjectPart string) []sendgriddev.Message {
	var out []sendgriddev.Message
	for _, m := range h.stack.SendGrid.Messages() {
		if len(m.To) == 1 && m.To[0] == to && strings.Contains(m.Subject, subjectPart) {
			out = append(out, m)
		}
	}
	return out
}

// A demo request for an offer no running run offers (acme runs no journey)
// is an open hand-off without a run; the owner is mailed once however often
// the event comes, and sales' answer closes it.
func TestAFastLaneNoRunOffersIsHandedOffWithoutARun(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.postFastLane("form-demo-1", "demo")
	h.postFastLane("form-demo-1", "demo") // the form posts it twice
	h.fastLaneDone("form-demo-1")

	var in runlessInbox
	h.json("GET", "/v1/handoffs?status=open", "sales", nil, 200, &in)
	require.Len(t, in.Handoffs, 1)
	got := in.Handoffs[0]
	require.Nil(t, got.JourneyID, "journey_id is null")
	require.Nil(t, got.WorkflowID)
	require.Equal(t, "fast-lane", got.Reason)
	require.Equal(t, "demo", got.Offer)
	require.Equal(t, "please call before noon", got.Note)

	mails := mailsTo(h, "eva@seller.example", "acme GmbH asks for demo")
	require.Len(t, mails, 1, "the owner is told once")
	require.Contains(t, mails[0].Text, "please call before noon")
	require.Contains(t, mails[0].Text, "max@acme.example", "the owner learns who asked")
	link := regexp.MustCompile(`/h/([A-Za-z0-9_-]+)`).FindStringSubmatch(mails[0].Text)
	require.NotNil(t, link, "the owner's email links to the hand-off's page")
	c, err := h.stack.Links.VerifyKind(link[1], linktoken.KindHandoff, time.Now())
	require.NoError(t, err)
	require.Equal(t, got.ID, c.Target)

	var closed struct {
		Status, Feedback string
		FeedbackNote     string `json:"feedback_note"`
	}
	h.json("POST", "/v1/handoffs/"+got.ID+"/feedback", "sales", map[string]any{"outcome": "accepted", "note": "calling at 10"}, 200, &closed)
	require.Equal(t, "accepted", closed.Status)
	require.Equal(t, "calling at 10", closed.FeedbackNote)
	h.json("GET", "/v1/handoffs?status=open", "sales", nil, 200, &in)
	require.Empty(t, in.Handoffs)
}

// A checklist asked for where a journey's mqn.assets has one reaches the
// contact who asked, once, besides the owner's hand-off.
func TestARequestedChecklistIsEmailedToWhoAskedOnce(t *testing.T) {
	h := newHarness(t)
	h.seed()
	assets := strings.NewReplacer("id: erp-automation-crosssell", "id: automation-assets",
		"mqn: {threshold: 40, fast_lane: [consultation, demo, price-indication]}",
		"mqn: {threshold: 40, fast_lane: [consultation, demo, price-indication], assets: {checklist: automation-checklist}}").Replace(testJourney)
	require.Contains(t, assets, "assets:")
	h.json("PUT", "/v1/journeys/automation-assets", "marketing", assets, 201, nil)

	h.postFastLane("form-list-1", "checklist")
	h.postFastLane("form-list-1", "checklist")
	h.fastLaneDone("form-list-1")

	sent := mailsTo(h, "max@acme.example", "about automation-checklist")
	require.Len(t, sent, 1, "the requester gets the asset once")
	require.Equal(t, "asset-checklist", sent[0].CustomArgs["ripen_step"])
	require.Len(t, mailsTo(h, "eva@seller.example", "asks for checklist"), 1)
}

// A journey that names an unknown asset is refused at publish, like a send.
func TestAnUnknownAssetIsRefusedAtPublish(t *testing.T) {
	h := newHarness(t)
	h.seed()
	bad := strings.NewReplacer("id: erp-automation-crosssell", "id: automation-assets",
		"mqn: {threshold: 40, fast_lane: [consultation, demo, price-indication]}",
		"mqn: {threshold: 40, assets: {implementation-note: no-such-note}}").Replace(testJourney)
	code, body := h.do("PUT", "/v1/journeys/automation-assets", "marketing", bad)
	require.Equal(t, 422, code, "%s", body)
	require.Contains(t, string(body), "mqn.assets.implementation-note")
}
