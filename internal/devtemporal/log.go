package devtemporal

import (
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
	quiet *atomic.Bool // set while stopping: shutdown warnings are noise
}

var _ log.Logger = (*zerologAdapter)(nil)

func (z *zerologAdapter) emit(level zerolog.Level, msg string, tags []tag.Tag) {
	if level < z.min || (z.quiet != nil && z.quiet.Load() && level < zerolog.ErrorLevel) {
		return
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

// nopLogger silences the SDK client used for registering search attributes.
type nopLogger struct{}

func (nopLogger) Debug(string, ...interface{}) {}
func (nopLogger) Info(string, ...interface{})  {}
func (nopLogger) Warn(string, ...interface{})  {}
func (nopLogger) Error(string, ...interface{}) {}
