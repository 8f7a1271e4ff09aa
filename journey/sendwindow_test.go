package journey_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

func TestNextSendTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	newYork, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	office := &journey.SendWindow{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "18:00"}
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	tests := []struct {
		name   string
		now    time.Time
		tz     string
		window *journey.SendWindow
		want   time.Time
	}{
		{"no window sends at once", at(berlin, 2026, 11, 27, 23, 0), "Europe/Berlin", nil, at(berlin, 2026, 11, 27, 23, 0)},
		{"inside the window sends at once", at(berlin, 2026, 11, 25, 10, 30), "Europe/Berlin", office, at(berlin, 2026, 11, 25, 10, 30)},
		{"the window start is inside", at(berlin, 2026, 11, 25, 8, 0), "Europe/Berlin", office, at(berlin, 2026, 11, 25, 8, 0)},
		{"before the window waits for it", at(berlin, 2026, 11, 25, 6, 15), "Europe/Berlin", office, at(berlin, 2026, 11, 25, 8, 0)},
		{"the window end is outside", at(berlin, 2026, 11, 25, 18, 0), "Europe/Berlin", office, at(berlin, 2026, 11, 26, 8, 0)},
		{"friday evening waits for monday morning", at(berlin, 2026, 11, 27, 19, 0), "Europe/Berlin", office, at(berlin, 2026, 11, 30, 8, 0)},
		{"now in UTC is read in the contact's timezone", at(time.UTC, 2026, 11, 27, 16, 59), "Europe/Berlin", office, at(time.UTC, 2026, 11, 27, 16, 59)},
		{"now in UTC, evening in New York", at(time.UTC, 2026, 11, 27, 23, 30), "America/New_York", office, at(newYork, 2026, 11, 30, 8, 0)},
		{"empty timezone is UTC", at(time.UTC, 2026, 11, 28, 12, 0), "", office, at(time.UTC, 2026, 11, 30, 8, 0)},
		{"a single weekday whose window passed waits a week", at(berlin, 2026, 11, 30, 9, 0), "Europe/Berlin",
			&journey.SendWindow{Days: []string{"mon"}, From: "07:00", To: "08:00"}, at(berlin, 2026, 12, 7, 7, 0)},
		{"no days means every day", at(berlin, 2026, 11, 28, 20, 0), "Europe/Berlin",
			&journey.SendWindow{From: "08:00", To: "18:00"}, at(berlin, 2026, 11, 29, 8, 0)},
		{"a window to midnight", at(berlin, 2026, 11, 28, 23, 59), "Europe/Berlin",
			&journey.SendWindow{Days: []string{"sat"}, From: "20:00", To: "24:00"}, at(berlin, 2026, 11, 28, 23, 59)},
		{"spring forward: sunday 08:00 CEST is 06:00 UTC", at(berlin, 2026, 3, 28, 20, 0), "Europe/Berlin",
			&journey.SendWindow{From: "08:00", To: "18:00"}, at(time.UTC, 2026, 3, 29, 6, 0)},
		{"fall back: sunday 08:00 CET is 07:00 UTC", at(berlin, 2026, 10, 24, 20, 0), "Europe/Berlin",
			&journey.SendWindow{From: "08:00", To: "18:00"}, at(time.UTC, 2026, 10, 25, 7, 0)},
		{"a window starting in the skipped hour opens when clocks jump", at(berlin, 2026, 3, 29, 1, 0), "Europe/Berlin",
			&journey.SendWindow{From: "02:30", To: "05:00"}, at(time.UTC, 2026, 3, 29, 1, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := journey.NextSendTime(tt.now, tt.tz, tt.window)
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "want %v, got %v", tt.want, got)
		})
	}
}

func TestNextSendTimeErrors(t *testing.T) {
	now := time.Date(2026, 11, 27, 19, 0, 0, 0, time.UTC)
	ok := &journey.SendWindow{From: "08:00", To: "18:00"}
	tests := []struct {
		name   string
		tz     string
		window *journey.SendWindow
	}{
		{"unknown timezone", "Europe/Atlantis", ok},
		{"the machine's timezone", "Local", ok},
		{"unknown day", "", &journey.SendWindow{Days: []string{"monday"}}},
		{"bad time", "", &journey.SendWindow{From: "8:00"}},
		{"empty window", "", &journey.SendWindow{From: "10:00", To: "10:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := journey.NextSendTime(now, tt.tz, tt.window)
			assert.Error(t, err)
		})
	}
}

// A window edge in the hour clocks skip opens when they jump, never before
// (and never on the day before); one in the hour they repeat opens at its
// first occurrence.
func TestSendWindowEdgesOnDaysClocksChange(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	cases := []struct {
		name, tz, from, to string
		now                string
		want               string
	}{
		{"New York springs forward over 02:30", "America/New_York", "02:30", "15:00",
			"2026-03-07T17:00:00Z", "2026-03-08T07:00:00Z"},
		{"Havana skips 00:30, a minute after midnight", "America/Havana", "00:30", "10:00",
			"2026-03-07T17:00:00Z", "2026-03-08T05:00:00Z"},
		{"Santiago skips midnight", "America/Santiago", "00:00", "09:00",
			"2026-09-05T16:00:00Z", "2026-09-06T04:00:00Z"},
		{"Berlin skips 02:30 (time.Date put it after the jump)", "Europe/Berlin", "02:30", "05:00",
			"2026-03-28T16:00:00Z", "2026-03-29T01:00:00Z"},
		{"a window from a midnight clocks skip", "America/Santiago", "00:00", "24:00",
			"2026-09-05T16:00:00Z", "2026-09-06T04:00:00Z"},
		{"New York repeats 01:30", "America/New_York", "01:30", "15:00",
			"2026-10-31T16:00:00Z", "2026-11-01T05:30:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := &journey.SendWindow{Days: []string{"sun"}, From: c.from, To: c.to}
			got, err := journey.NextSendTime(utc(c.now), c.tz, w)
			require.NoError(t, err)
			assert.Equal(t, utc(c.want), got.UTC())
		})
	}
}
