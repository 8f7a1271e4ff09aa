package sendgrid

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A post can be refused on its headers alone, before anyone reads its body:
// missing, garbled or oversized signatures and stale or future timestamps.
// What passes still needs the signature checked over the body.
func TestCheckHeadersRefusesWhatNeedsNoBody(t *testing.T) {
	signer, err := NewSigner()
	require.NoError(t, err)
	v, err := NewVerifier(signer.PublicKeyBase64(), 72*time.Hour)
	require.NoError(t, err)
	now := time.Unix(1_700_000_000, 0)
	fresh := strconv.FormatInt(now.Unix(), 10)
	sig, err := signer.Sign(fresh, []byte(`[]`))
	require.NoError(t, err)

	require.NoError(t, v.CheckHeaders(sig, fresh, now))
	require.NoError(t, v.CheckHeaders(sig, strconv.FormatInt(now.Add(-71*time.Hour).Unix(), 10), now), "within the window: the body decides")

	for name, h := range map[string][2]string{
		"no signature":           {"", fresh},
		"no timestamp":           {sig, ""},
		"no headers at all":      {"", ""},
		"signature not base64":   {"%%%", fresh},
		"signature far too long": {strings.Repeat("A", 4096), fresh},
		"four days old":          {sig, strconv.FormatInt(now.Add(-96*time.Hour).Unix(), 10)},
		"four days ahead":        {sig, strconv.FormatInt(now.Add(96*time.Hour).Unix(), 10)},
		"timestamp not a number": {sig, "yesterday"},
	} {
		t.Run(name, func(t *testing.T) {
			err := v.CheckHeaders(h[0], h[1], now)
			require.ErrorIs(t, err, ErrInvalidSignature)
		})
	}
	err = v.CheckHeaders(sig, strconv.FormatInt(now.Add(-96*time.Hour).Unix(), 10), now)
	require.ErrorIs(t, err, ErrTimestampOutOfRange)
	err = v.CheckHeaders(sig, strings.Repeat("9", 5000), now)
	require.ErrorIs(t, err, ErrTimestampOutOfRange)
	require.Less(t, len(err.Error()), 200, "a hostile header is not echoed whole: %s", err)
}

// SendGrid's batches stay under the bound: a batch of a thousand events
// with custom args, a common size, is far below it.
func TestMaxBatchBytesHoldsSendGridsBatches(t *testing.T) {
	ev := `{"email":"someone.with.a.long.name@customer-domain.example","timestamp":1700000000,"event":"click","sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA","sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","url":"https://example.com/r/abcdefghijklmnopqrstuvwxyz0123456789","useragent":"Mozilla/5.0","ip":"192.0.2.1","ripen_run":"ripen/erp-automation-crosssell/acme","ripen_step":"checklist"}`
	require.Less(t, 768<<10, MaxBatchBytes, "SendGrid's documented batch size fits")
	require.Less(t, 1000*(len(ev)+1), MaxBatchBytes)
}

// An error SendGrid answers may echo the recipient; the SendError names no
// one, since it ends up in logs and in the run's history.
func TestSendErrorsNameNoAddress(t *testing.T) {
	_, srv := newFakeAPI(t, answer(400, `{"errors":[{"message":"max@acme.example is not a valid address (reply to eva@seller.example)","field":"personalizations.0.to.0.email"}]}`))
	_, err := New(Config{BaseURL: srv.URL}).Send(context.Background(), nurtureMessage())
	var se *SendError
	require.ErrorAs(t, err, &se)
	for _, text := range []string{err.Error(), se.Body, strings.Join(se.Messages, " ")} {
		assert.NotContains(t, text, "max@acme.example")
		assert.NotContains(t, text, "eva@seller.example")
	}
	assert.Contains(t, err.Error(), "is not a valid address", "the rest of SendGrid's message stays")

	_, srv = newFakeAPI(t, answer(http.StatusBadRequest, `not json, but about max@acme.example`))
	_, err = New(Config{BaseURL: srv.URL}).Send(context.Background(), nurtureMessage())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "max@acme.example")
}

func TestRedactAddresses(t *testing.T) {
	for in, want := range map[string]string{
		`store: suppress address "max@acme.example": disk full`:         `store: suppress address "[address]": disk full`,
		"to <Max.Muster+news@mail.acme.example>, cc eva@seller.example": "to <[address]>, cc [address]",
		"no address here":                 "no address here",
		"score 40 @ step 3":               "score 40 @ step 3",
		"contact acme-max (max@acme.de).": "contact acme-max ([address]).",
	} {
		assert.Equal(t, want, RedactAddresses(in), in)
	}
}
