// Package logging builds ripen's zerolog loggers (JSON in production,
// console in dev) and adapts them to the Temporal SDK's logger.
package logging

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
	sdklog "go.temporal.io/sdk/log"
)

// New returns a logger writing JSON, or readable console lines when format
// is "console" (in colour only when stderr is a terminal and NO_COLOR is
// unset).
func New(format, level string) zerolog.Logger {
	return NewTo(os.Stderr, format, level)
}

// NewTo is New writing to out.
func NewTo(out io.Writer, format, level string) zerolog.Logger {
	w := out
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: out, TimeFormat: time.TimeOnly, NoColor: !colour(out)}
	}
	lvl, err := zerolog.ParseLevel(strings.ToLower(level))
	if err != nil || level == "" {
		lvl = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}

// colour says whether out is a terminal that wants colours.
func colour(out io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	f, ok := out.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Temporal adapts zerolog to the Temporal SDK's key-value logger.
func Temporal(l zerolog.Logger) sdklog.Logger { return temporalLogger{l: l} }

type temporalLogger struct{ l zerolog.Logger }

func (t temporalLogger) Debug(msg string, kv ...any) { t.emit(t.l.Debug(), msg, kv) }
func (t temporalLogger) Info(msg string, kv ...any)  { t.emit(t.l.Info(), msg, kv) }
func (t temporalLogger) Warn(msg string, kv ...any)  { t.emit(t.l.Warn(), msg, kv) }
func (t temporalLogger) Error(msg string, kv ...any) { t.emit(t.l.Error(), msg, kv) }

// With implements sdklog.WithLogger.
func (t temporalLogger) With(kv ...any) sdklog.Logger {
	ctx := t.l.With()
	for i := 0; i+1 < len(kv); i += 2 {
		ctx = ctx.Interface(fmt.Sprint(kv[i]), kv[i+1])
	}
	return temporalLogger{l: ctx.Logger()}
}

func (t temporalLogger) emit(ev *zerolog.Event, msg string, kv []any) {
	for i := 0; i+1 < len(kv); i += 2 {
		ev = ev.Interface(fmt.Sprint(kv[i]), kv[i+1])
	}
	ev.Msg(msg)
}
