package devtemporal

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/rs/zerolog"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// zerologAdapter routes the server's ~260 start-up info lines and the rest
// through zerolog, dropping everything below min.
type zerologAdapter struct {
	log   zerolog.Logger
	min   zerolog.Level
	tags  []tag.Tag
	quiet *atomic.Bool // set while stopping: its warnings and errors (on Postgres, every call cut short: "context canceled") are noise
}

var _ log.Logger = (*zerologAdapter)(nil)

func (z *zerologAdapter) emit(level zerolog.Level, msg string, tags []tag.Tag) {
	if level < z.min || (z.quiet != nil && z.quiet.Load() && level < zerolog.FatalLevel) {
		return
	}
	if level == zerolog.ErrorLevel && transient(msg, tags) {
		level = zerolog.DebugLevel
		if level < z.min {
			return
		}
	}
	ev := z.log.WithLevel(level)
	for _, t := range z.tags {
		ev = ev.Interface(t.Key(), t.Value())
	}
	for _, t := range tags {
		ev = ev.Interface(t.Key(), t.Value())
	}
	ev.Msg(msg)
}

func (z *zerologAdapter) Debug(msg string, tags ...tag.Tag)  { z.emit(zerolog.DebugLevel, msg, tags) }
func (z *zerologAdapter) Info(msg string, tags ...tag.Tag)   { z.emit(zerolog.InfoLevel, msg, tags) }
func (z *zerologAdapter) Warn(msg string, tags ...tag.Tag)   { z.emit(zerolog.WarnLevel, msg, tags) }
func (z *zerologAdapter) Error(msg string, tags ...tag.Tag)  { z.emit(zerolog.ErrorLevel, msg, tags) }
func (z *zerologAdapter) DPanic(msg string, tags ...tag.Tag) { z.emit(zerolog.ErrorLevel, msg, tags) }
func (z *zerologAdapter) Panic(msg string, tags ...tag.Tag) {
	z.emit(zerolog.PanicLevel, msg, tags)
	panic(msg)
}
func (z *zerologAdapter) Fatal(msg string, tags ...tag.Tag) {
	z.emit(zerolog.FatalLevel, msg, tags)
}

func (z *zerologAdapter) With(tags ...tag.Tag) log.Logger {
	return &zerologAdapter{log: z.log, min: z.min, quiet: z.quiet, tags: append(append([]tag.Tag{}, z.tags...), tags...)}
}

// transient says whether an error the server logs is one it retries at
// once and that means nothing: with more than one history shard, a shard's
// queue readers poll before the shard is acquired, at every start.
func transient(msg string, tags []tag.Tag) bool {
	if msg != "Queue reader unable to retrieve tasks" {
		return false
	}
	for _, t := range tags {
		if t.Key() == "error" && strings.Contains(fmt.Sprint(t.Value()), "shard status unknown") {
			return true
		}
	}
	return false
}

// nopLogger silences the SDK client used for registering search attributes.
type nopLogger struct{}

func (nopLogger) Debug(string, ...interface{}) {}
func (nopLogger) Info(string, ...interface{})  {}
func (nopLogger) Warn(string, ...interface{})  {}
func (nopLogger) Error(string, ...interface{}) {}
