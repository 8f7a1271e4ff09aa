package journey

import (
	"errors"
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // timezones work without system zoneinfo
)

var weekdays = map[string]time.Weekday{
	"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday,
	"fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday,
}

// windowClock parses "HH:MM" into minutes after midnight; empty gives def.
// "24:00" is accepted only when allow24 (as the end of a window).
func windowClock(s string, def int, allow24 bool) (int, bool) {
	if s == "" {
		return def, true
	}
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	switch {
	case m > 59, h > 24, h == 24 && (m != 0 || !allow24):
		return 0, false
	}
	return h*60 + m, true
}

func clockString(minutes int) string { return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60) }

// window is a SendWindow in numbers: allowed weekdays and [from, to) in
// minutes after midnight.
type window struct {
	days     [7]bool
	from, to int
}

func (w *SendWindow) window() (window, error) {
	var out window
	if len(w.Days) == 0 {
		out.days = [7]bool{true, true, true, true, true, true, true}
	}
	for _, d := range w.Days {
		wd, ok := weekdays[d]
		if !ok {
			return out, fmt.Errorf("send window: unknown day %q", d)
		}
		out.days[wd] = true
	}
	var ok bool
	if out.from, ok = windowClock(w.From, 0, false); !ok {
		return out, fmt.Errorf("send window: bad from %q", w.From)
	}
	if out.to, ok = windowClock(w.To, 24*60, true); !ok {
		return out, fmt.Errorf("send window: bad to %q", w.To)
	}
	if out.from >= out.to {
		return out, errors.New("send window: from must be before to")
	}
	return out, nil
}

// NextSendTime returns the earliest time at or after now that lies inside the
// send window in timezone tz (an IANA name; empty means UTC): now itself when
// it is inside, else the start of the next window. A nil window is always
// open. Window times are wall-clock times on that day, so on a day when
// clocks change a window still opens at, say, 08:00 local time. A window
// edge that falls in the hour clocks skip (spring forward) is the moment
// they jump; in the hour clocks repeat (fall back), its first occurrence.
func NextSendTime(now time.Time, tz string, w *SendWindow) (time.Time, error) {
	if w == nil {
		return now, nil
	}
	win, err := w.window()
	if err != nil {
		return time.Time{}, err
	}
	loc, err := location(tz)
	if err != nil {
		return time.Time{}, err
	}
	at := func(y int, m time.Month, d, minute int) time.Time { return wallClock(y, m, d, minute, loc) }
	local := now.In(loc)
	y, m, d := local.Date()
	// A week and a day covers every case, including a single allowed
	// weekday whose window today has passed.
	for offset := range 8 {
		noon := time.Date(y, m, d+offset, 12, 0, 0, 0, loc)
		if !win.days[noon.Weekday()] {
			continue
		}
		start := at(y, m, d+offset, win.from)
		end := at(y, m, d+offset, win.to)
		if !local.Before(start) && local.Before(end) {
			return now, nil
		}
		if local.Before(start) {
			return start, nil
		}
	}
	return time.Time{}, errors.New("send window: no opening within a week") // unreachable with a valid window
}

// wallClock is the first instant at which the clock in loc reads minute
// (minutes after midnight, up to 24*60) on the given day, or has passed it:
// time.Date alone gives an instant an hour early for a time clocks skip,
// and either of the two instants for a time they repeat.
func wallClock(y int, m time.Month, d, minute int, loc *time.Location) time.Time {
	if minute >= 24*60 {
		return wallClock(y, m, d+1, minute-24*60, loc) // "24:00" is the next midnight
	}
	day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC) // the calendar day, for comparing dates
	reached := func(t time.Time) (exactly, past bool) {
		l := t.In(loc)
		ld := time.Date(l.Year(), l.Month(), l.Day(), 12, 0, 0, 0, time.UTC)
		clock := l.Hour()*60 + l.Minute()
		switch {
		case ld.After(day):
			return false, true
		case ld.Equal(day):
			return clock == minute && l.Second() == 0, clock >= minute
		}
		return false, false
	}
	t := time.Date(y, m, d, 0, minute, 0, 0, loc)
	// A repeated hour: the same reading up to two hours earlier comes first.
	for _, back := range []time.Duration{2 * time.Hour, time.Hour, 30 * time.Minute} {
		if exactly, _ := reached(t.Add(-back)); exactly {
			return t.Add(-back)
		}
	}
	if exactly, _ := reached(t); exactly {
		return t
	}
	// A skipped reading: the clock jumps past it, at a whole minute (time
	// zones shift by whole minutes). time.Date may have put t before or
	// after the jump, so walk up to it from three hours before.
	for c := t.Add(-3 * time.Hour); c.Before(t.Add(26 * time.Hour)); c = c.Add(time.Minute) {
		if _, past := reached(c); past {
			return c
		}
	}
	return t
}

// locations caches loaded timezones by name; a name always loads the same
// zone, so the cache never changes a result. Only valid names are stored,
// which bounds it by the tz database.
var locations sync.Map

func location(tz string) (*time.Location, error) {
	if tz == "" || tz == "UTC" {
		return time.UTC, nil
	}
	if tz == "Local" {
		return nil, errors.New(`timezone "Local" depends on the machine: name a zone such as "Europe/Berlin"`)
	}
	if l, ok := locations.Load(tz); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("unknown timezone %q", tz)
	}
	locations.Store(tz, l)
	return l, nil
}
