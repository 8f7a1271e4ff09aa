package webhooks_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/webhooks"
)

// The example of the Standard Webhooks spec's reference libraries: their
// secret, message, timestamp and body give this signature.
func TestSignMatchesTheSpecsExample(t *testing.T) {
	sig, err := webhooks.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	require.NoError(t, err)
	require.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", sig)
}

func headers(id string, ts time.Time, sig string) http.Header {
	h := http.Header{}
	h.Set(webhooks.HeaderID, id)
	h.Set(webhooks.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(webhooks.HeaderSignature, sig)
	return h
}

func TestVerify(t *testing.T) {
	secret, err := webhooks.NewSecret()
	require.NoError(t, err)
	other, err := webhooks.NewSecret()
	require.NoError(t, err)
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":"run.ended","timestamp":"2027-01-15T08:00:00Z","data":{}}`)
	sig, err := webhooks.Sign(secret, "msg_1", now, body)
	require.NoError(t, err)

	cases := []struct {
		name   string
		secret string
		h      http.Header
		body   []byte
		at     time.Time
		want   error
	}{
		{"a fresh, signed delivery verifies", secret, headers("msg_1", now, sig), body, now, nil},
		{"among several signatures, one that matches is enough", secret, headers("msg_1", now, "v1,bm9wZQ== "+sig), body, now, nil},
		{"another secret does not verify", other, headers("msg_1", now, sig), body, now, webhooks.ErrNoSignature},
		{"a changed body does not verify", secret, headers("msg_1", now, sig), append([]byte(" "), body...), now, webhooks.ErrNoSignature},
		{"another message ID does not verify", secret, headers("msg_2", now, sig), body, now, webhooks.ErrNoSignature},
		{"another timestamp does not verify", secret, headers("msg_1", now.Add(time.Second), sig), body, now, webhooks.ErrNoSignature},
		{"a version other than v1 does not count", secret, headers("msg_1", now, "v2"+sig[2:]), body, now, webhooks.ErrNoSignature},
		{"a replay after the tolerance is stale", secret, headers("msg_1", now, sig), body, now.Add(webhooks.Tolerance + time.Second), webhooks.ErrStaleMessage},
		{"a timestamp from the future is stale too", secret, headers("msg_1", now, sig), body, now.Add(-webhooks.Tolerance - time.Second), webhooks.ErrStaleMessage},
		{"no headers, no signature", secret, http.Header{}, body, now, webhooks.ErrNoSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := webhooks.Verify(tc.secret, tc.h, tc.body, tc.at)
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
}

func TestNewSecretsAreDistinctAndWellFormed(t *testing.T) {
	a, err := webhooks.NewSecret()
	require.NoError(t, err)
	b, err := webhooks.NewSecret()
	require.NoError(t, err)
	require.NotEqual(t, a, b)
	require.Regexp(t, `^whsec_[A-Za-z0-9+/]{32}$`, a)
}

// Whatever the message, body and time, what Sign signs Verify accepts, and
// the signature of anything else it refuses.
func FuzzSignVerify(f *testing.F) {
	f.Add("msg_1", []byte(`{"a":1}`), int64(1_800_000_000), byte(0))
	f.Add("", []byte{}, int64(0), byte(7))
	f.Add("msg_ü.δ", []byte("\x00\xff"), int64(-5), byte(255))
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	f.Fuzz(func(t *testing.T, id string, body []byte, unix int64, flip byte) {
		if id == "" || unix < 0 || unix > 1<<40 {
			return
		}
		at := time.Unix(unix, 0)
		sig, err := webhooks.Sign(secret, id, at, body)
		require.NoError(t, err)
		require.NoError(t, webhooks.Verify(secret, headers(id, at, sig), body, at))
		changed := append([]byte{flip}, body...)
		require.Error(t, webhooks.Verify(secret, headers(id, at, sig), changed, at))
	})
}
